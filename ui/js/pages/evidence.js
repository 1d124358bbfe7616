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
  const table = h('table', { id: 'items' }, h('thead', {}, h('tr', { 'aria-rowindex': 1 }, ...['col_title', 'col_kind', 'col_size', 'col_added', 'col_sha256'].map((k) => h('th', { scope: 'col', 'data-i18n': k })))), tbody);
  const pane = h('div', { class: 'scroll', id: 'items-pane' }, table);
  const count = h('p', { class: 'muted', id: 'items-count', 'aria-live': 'polite' });
  let hits = null;
  let more = false;
  let rows = [];
  let painted = null;
  let rowH = 0;

  const rowOf = (i, n) => {
    const open = h('button', { class: 'link', text: i.title, onclick: () => show('evidence_item', i.id) });
    // Thumbnails stream from the vault only for the rows drawn.
    const thumb = shownAsPicture(i.mime)
      ? h('img', { class: 'thumb', src: previewUrl('thumb', i.id), alt: '', loading: 'lazy', onerror: (e) => e.target.remove() }) : null;
    return h('tr', { class: 'item-row', 'aria-rowindex': n + 2, 'data-id': i.id }, h('td', {}, h('div', { class: 'title-cell' }, thumb, open)), h('td', { text: t(`kind_${i.kind}`) }), h('td', { class: 'num', text: size(i.size) }),
      h('td', { text: i.ingested_at.slice(0, 16).replace('T', ' ') }), h('td', { class: 'hash', dir: 'ltr', text: i.sha256.slice(0, 16) }));
  };
  // Set through the style object: the page's CSP refuses style attributes.
  const spacer = (px) => {
    const tr = h('tr', { class: 'spacer', 'aria-hidden': 'true' }, h('td', { colspan: 5 }));
    tr.style.height = `${px}px`;
    return tr;
  };
  // Only the rows in view (and a screenful either side) are in the page: ten
  // thousand items draw as quickly as ten. Rows are all one height (the CSS
  // fixes it), so where each one lies is arithmetic.
  const paint = () => {
    if (!rows.length) {
      tbody.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted', text: t('no_items') })));
      painted = null;
      return;
    }
    if (!rowH) rowH = parseFloat(getComputedStyle(document.documentElement).fontSize) * 4.25;
    const view = pane.clientHeight || window.innerHeight;
    const top = Math.max(0, pane.scrollTop - table.tHead.offsetHeight);
    const seenFirst = Math.floor(top / rowH);
    const seenLast = Math.min(rows.length, Math.ceil((top + view) / rowH));
    // Drawn rows reach a screenful past the view each way: a scroll that
    // stays inside them costs nothing.
    if (painted && seenFirst >= painted[0] && seenLast <= painted[1]) return;
    const first = Math.max(0, seenFirst - 20);
    const last = Math.min(rows.length, seenLast + 20);
    painted = [first, last];
    // Redrawing would drop the focus of a row the keyboard is on: keep it.
    const focused = tbody.contains(document.activeElement) ? document.activeElement.closest('tr')?.dataset.id : null;
    tbody.replaceChildren(spacer(first * rowH), ...rows.slice(first, last).map((i, k) => rowOf(i, first + k)), spacer((rows.length - last) * rowH));
    if (focused) tbody.querySelector(`tr[data-id="${CSS.escape(focused)}"] button`)?.focus({ preventScroll: true });
    // The estimate was off (fonts, text size): measure a drawn row and draw again.
    const real = tbody.querySelector('tr.item-row')?.getBoundingClientRect().height;
    if (real && Math.abs(real - rowH) > 0.5) { rowH = real; painted = null; paint(); }
  };
  let frame = 0;
  pane.addEventListener('scroll', () => { if (!frame) frame = requestAnimationFrame(() => { frame = 0; paint(); }); });
  const resized = () => { rowH = 0; painted = null; paint(); };
  window.addEventListener('resize', resized);
  onLeave(() => window.removeEventListener('resize', resized));

  const render = () => {
    rows = items.filter((i) => !kind.value || i.kind === kind.value);
    if (hits) rows = rows.filter((i) => hits.has(i.id));
    const by = { new: (a, b) => b.ingested_at.localeCompare(a.ingested_at), old: (a, b) => a.ingested_at.localeCompare(b.ingested_at),
      title: (a, b) => a.title.localeCompare(b.title), size: (a, b) => b.size - a.size }[sort.value];
    rows.sort(by);
    table.setAttribute('aria-rowcount', rows.length + 1);
    count.textContent = t(more ? 'items_shown_first' : 'items_shown', { n: rows.length, all: items.length });
    pane.scrollTop = 0;
    painted = null;
    paint();
  };
  // Each keystroke asks again; an answer that comes after a later one's is dropped.
  let asked = 0;
  query.addEventListener('input', async () => {
    const q = query.value.trim();
    const mine = ++asked;
    if (!q) { hits = null; more = false; render(); return; }
    let found;
    let beyond = false;
    try {
      const answer = await call('search', { query: q });
      found = new Set(answer.hits.filter((x) => x.kind === 'item').map((x) => x.id));
      beyond = answer.more;
    } catch { found = new Set(); }
    if (mine !== asked) return;
    hits = found;
    more = beyond;
    render();
  });
  kind.addEventListener('change', render);
  sort.addEventListener('change', render);
  // The pane has its height once the page is in the document.
  requestAnimationFrame(render);

  const importCard = h('div', { class: 'card', role: 'region', 'aria-labelledby': 'import-h' }, h('h2', { id: 'import-h', 'data-i18n': 'import' }), drop, h('div', { class: 'row' }, pickBtn), srcField, pathField, addPathBtn);
  const list = [h('div', { class: 'toolbar' }, query, kind, sort), count, pane];
  // An empty vault opens on adding evidence; one with evidence on the list.
  return h('section', { 'aria-labelledby': 'ev-title' },
    h('h1', { id: 'ev-title', 'data-i18n': 'nav_evidence' }),
    ...(items.length ? [...list, importCard] : [importCard, ...list]));
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
