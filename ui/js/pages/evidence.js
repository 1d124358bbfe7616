// The evidence list: import (drop, pick, or type a path), search, sort, filter;
// and the item view with metadata, hashes and the custody timeline.
import { call, onEvent, pickFiles, previewUrl } from '../api.js';
import { h, field, select, size } from '../dom.js';
import { t } from '../i18n.js';
import { fail, toast, withProgress } from '../feedback.js';
import { onLeave, show } from '../router.js';
import { vocab } from '../vocabulary.js';
import { mediaFacts, preview, redactTool, shownAsPicture } from './media.js';


async function addPaths(paths, source) {
  if (!paths.length) return;
  try {
    const added = await withProgress(call('add_files', { paths, source }));
    if (added.failed.length) {
      toast(t('added_some', { n: added.items.length, failed: added.failed.length, first: added.failed[0].reason }), 'error');
    } else {
      toast(t('added_n', { n: added.items.length }), 'ok');
    }
  } catch (e) {
    fail(e);
  }
  show('evidence');
}

export async function evidencePage() {
  const items = await call('list_items');
  const [srcField, source] = field(t('source'), h('input', { type: 'text', id: 'add-source' }), t('source_hint'));
  const [pathField, pathInput] = field(t('add_by_path'), h('textarea', { id: 'add-path', dir: 'ltr', rows: 3, spellcheck: 'false' }), t('add_by_path_hint'));
  const addPathBtn = h('button', { id: 'add-path-btn', 'data-i18n': 'add_paths' });
  addPathBtn.addEventListener('click', () => addPaths(pathInput.value.split('\n').flatMap((l) => l.split(';')).map((s) => s.trim()).filter(Boolean), source.value));
  const pickBtn = h('button', { class: 'primary', id: 'pick-files', 'data-i18n': 'choose_files' });
  pickBtn.addEventListener('click', async () => addPaths(await pickFiles(), source.value));
  const drop = h('div', { class: 'dropzone', 'data-i18n': 'drop_here' });

  // Files dropped on the window are added while this page shows, and only then.
  const unlisten = onEvent('tauri://drag-drop', (p) => addPaths(p.paths || [], source.value));
  onLeave(() => unlisten.then((stop) => stop()));

  const query = h('input', { type: 'search', id: 'search', 'data-i18n-placeholder': 'search_placeholder', 'data-i18n-label': 'search' });
  const kind = select([['', t('all_kinds')], ...vocab().item_kinds.map((k) => [k, t(`kind_${k}`)])], '');
  kind.setAttribute('aria-label', t('filter_kind'));
  const sort = select([['new', t('sort_newest')], ['old', t('sort_oldest')], ['title', t('sort_title')], ['size', t('sort_size')]], 'new');
  sort.setAttribute('aria-label', t('sort_by'));
  const tbody = h('tbody');
  let hits = null;

  const render = () => {
    let rows = items.filter((i) => !kind.value || i.kind === kind.value);
    if (hits) rows = rows.filter((i) => hits.has(i.id));
    const by = { new: (a, b) => b.ingested_at.localeCompare(a.ingested_at), old: (a, b) => a.ingested_at.localeCompare(b.ingested_at),
      title: (a, b) => a.title.localeCompare(b.title), size: (a, b) => b.size - a.size }[sort.value];
    rows.sort(by);
    tbody.replaceChildren(...rows.map((i) => {
      const open = h('button', { class: 'link', text: i.title, onclick: () => show('evidence_item', i.id) });
      // Thumbnails stream from the vault only as rows scroll into view.
      const thumb = shownAsPicture(i.mime)
        ? h('img', { class: 'thumb', src: previewUrl('thumb', i.id), alt: '', loading: 'lazy', onerror: (e) => e.target.remove() }) : null;
      return h('tr', {}, h('td', {}, h('div', { class: 'title-cell' }, thumb, open)), h('td', { text: t(`kind_${i.kind}`) }), h('td', { class: 'num', text: size(i.size) }),
        h('td', { text: i.ingested_at.slice(0, 16).replace('T', ' ') }), h('td', { class: 'hash', dir: 'ltr', text: i.sha256.slice(0, 16) }));
    }));
    if (!rows.length) tbody.append(h('tr', {}, h('td', { colspan: 5, class: 'muted', text: t('no_items') })));
  };
  query.addEventListener('input', async () => {
    const q = query.value.trim();
    if (!q) { hits = null; render(); return; }
    try {
      hits = new Set((await call('search', { query: q })).filter((x) => x.kind === 'item').map((x) => x.id));
    } catch { hits = new Set(); }
    render();
  });
  kind.addEventListener('change', render);
  sort.addEventListener('change', render);
  render();

  return h('section', { 'aria-labelledby': 'ev-title' },
    h('h1', { id: 'ev-title', 'data-i18n': 'nav_evidence' }),
    h('div', { class: 'card', role: 'region', 'aria-labelledby': 'import-h' }, h('h2', { id: 'import-h', 'data-i18n': 'import' }), drop, h('div', { class: 'row' }, pickBtn), srcField, pathField, addPathBtn),
    h('div', { class: 'toolbar' }, query, kind, sort),
    h('div', { class: 'scroll' }, h('table', { id: 'items' }, h('thead', {}, h('tr', {}, ...['col_title', 'col_kind', 'col_size', 'col_added', 'col_sha256'].map((k) => h('th', { scope: 'col', 'data-i18n': k })))), tbody)));
}

export async function itemPage(id) {
  const d = await call('item_detail', { id });
  const i = d.item;
  const meta = [['id', i.id], ['col_title', i.title], ['col_kind', t(`kind_${i.kind}`)], ['original_name', i.original_name], ['mime', i.mime],
    ['col_size', `${size(i.size)} (${i.size})`], ['sha256', i.sha256], ['sha512', i.sha512], ['ingested', i.ingested_at], ['captured_stated', i.captured_at || ''],
    ['collector', i.collector], ['source', i.source], ['language', i.language], ['notes', i.notes], ['derived_from', i.parent || ''],
    ...mediaFacts(d.media)].filter(([, v]) => v);
  const events = (list) => h('ol', { class: 'timeline' }, ...list.map((e) => h('li', {},
    h('span', { class: 'when', dir: 'ltr', text: e.time.replace('T', ' ').slice(0, 19) }), ' ',
    h('strong', { text: t(`action_${e.action}`) }), ' ', h('span', { class: 'muted', text: `#${e.seq} · ${e.actor}` }))));
  const view = preview(i, d.media);
  const tool = view && view.tagName === 'IMG' ? redactTool(i, d.media, view) : null;
  return h('section', { 'aria-labelledby': 'item-title' },
    h('button', { class: 'ghost', onclick: () => show('evidence'), 'data-i18n': 'back_to_evidence' }),
    h('h1', { id: 'item-title', text: i.title }),
    view ? h('figure', { class: 'figure' }, view.parentNode || view) : null,
    tool,
    h('dl', { class: 'meta' }, ...meta.flatMap(([k, v]) => [h('dt', { 'data-i18n': k }), h('dd', { dir: k.startsWith('sha') ? 'ltr' : null, class: k.startsWith('sha') ? 'hash' : null, text: v })])),
    h('h2', { 'data-i18n': 'custody_timeline' }),
    d.received.length ? [h('h3', { 'data-i18n': 'received_history' }), events(d.received), h('h3', { 'data-i18n': 'history_here' })] : null,
    events(d.events));
}
