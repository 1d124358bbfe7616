// The export wizard and the verify-a-bundle page.
//
// Ids and names read from a vault or a bundle are data: they go into the
// page only as text and as keys of maps, never into a selector or markup.
import { call, pickFile, pickFiles, pickSave } from '../api.js';
import { h, field, select, size } from '../dom.js';
import { t } from '../i18n.js';
import { fail, toast, withProgress } from '../feedback.js';
import { vocab } from '../vocabulary.js';
import { interruptedCard } from './remotes.js';

const LANGUAGES = ['zh', 'ar', 'es', 'ru'];

export async function exportPage() {
  const cases = await call('list_cases');
  if (!cases.length) return h('section', {}, h('h1', { 'data-i18n': 'nav_export' }), h('p', { class: 'muted', 'data-i18n': 'no_cases' }));
  const caseSel = select(cases.map((c) => [c.id, c.title]), cases[0]?.id);
  const [cF] = field(t('case'), caseSel);
  // Which items: all linked ones by default; originals or derivatives can be chosen.
  const itemsBox = h('fieldset', { id: 'export-items' }, h('legend', { 'data-i18n': 'export_items' }));
  const allItems = await call('list_items');
  const boxes = new Map();
  // A case chosen while an earlier one's sheet is still coming: only the
  // latest answer fills the list.
  let asked = 0;
  const fillItems = async () => {
    const mine = ++asked;
    const sheet = await call('case_sheet', { id: caseSel.value });
    if (mine !== asked) return;
    const linked = new Set(sheet.evidence.map((l) => l.item));
    const offered = allItems.filter((i) => linked.has(i.id) || (i.parent && linked.has(i.parent)));
    boxes.clear();
    const labels = offered.map((i) => {
      const box = h('input', { type: 'checkbox', checked: linked.has(i.id) });
      boxes.set(i.id, box);
      const text = i.parent ? `${i.title} (${t('derived_from')} ${i.parent})` : i.title;
      return [text.toLocaleLowerCase(), box, h('label', { class: 'check' }, box, h('span', { text }))];
    });
    // A case with many items: filter them by title, then tick or clear all shown.
    const filter = h('input', { type: 'search', id: 'export-filter', 'aria-label': t('filter_items'), placeholder: t('filter_items') });
    const chosen = h('p', { class: 'muted', id: 'export-chosen', 'aria-live': 'polite' });
    const shownBoxes = () => labels.filter(([, , label]) => !label.hidden).map(([, box]) => box);
    const recount = () => { chosen.textContent = t('items_chosen', { n: [...boxes.values()].filter((b) => b.checked).length, all: labels.length }); };
    filter.addEventListener('input', () => {
      const q = filter.value.trim().toLocaleLowerCase();
      for (const [text, , label] of labels) label.hidden = Boolean(q) && !text.includes(q);
    });
    const all = h('button', { type: 'button', id: 'export-select-shown', text: t('select_shown'), onclick: () => { for (const b of shownBoxes()) b.checked = true; recount(); } });
    const none = h('button', { type: 'button', id: 'export-clear-shown', text: t('clear_shown'), onclick: () => { for (const b of shownBoxes()) b.checked = false; recount(); } });
    itemsBox.replaceChildren(h('legend', { text: t('export_items') }),
      ...(labels.length > 1 ? [h('div', { class: 'toolbar' }, filter, all, none)] : []), chosen, ...labels.map(([, , label]) => label));
    itemsBox.onchange = recount;
    recount();
  };
  // The library picks the redacted copy of each original (one made in this
  // vault, never one received); the page only says whether to.
  const redacted = h('input', { type: 'checkbox', id: 'export-redacted' });
  const redactedField = h('label', { class: 'check' }, redacted, h('span', { 'data-i18n': 'export_redacted' }));
  caseSel.addEventListener('change', fillItems);
  await fillItems();
  const forSel = select([['', t('first_regime')], ...vocab().regimes.map((r) => [r, t(`regime_${r}`)])], '');
  const [fF] = field(t('prepared_for'), forSel, t('prepared_for_hint'));
  const format = select([['folder', t('format_folder')], ['zip', t('format_zip')]], 'folder');
  const [foF] = field(t('format'), format);
  const lang = select([['', t('english_only')], ...LANGUAGES.map((l) => [l, t(`language_${l}`)])], '');
  const [lF] = field(t('instructions_language'), lang, t('instructions_language_hint'));
  const [rF, recipients] = field(t('recipients'), h('textarea', { id: 'export-recipients', rows: 2, dir: 'ltr', placeholder: 'age1…' }), t('recipients_hint'));
  const [oF, out] = field(t('destination'), h('input', { type: 'text', id: 'export-out', dir: 'ltr' }), t('destination_hint'));
  const choose = h('button', { type: 'button', id: 'export-choose', 'data-i18n': 'choose_destination' });
  choose.addEventListener('click', async () => { const p = await pickSave('bundle'); if (p) out.value = p; });
  // Where it goes: a file or folder here, or one of the organisation's
  // remotes (always encrypted to the recipients).
  const remotes = await call('list_remotes');
  const dest = select([['', t('dest_here')], ...remotes.map((r) => [r.name, t('dest_remote', { name: r.name })])], '');
  dest.id = 'export-dest';
  const [dF] = field(t('export_dest'), dest, remotes.length ? t('export_dest_hint') : t('export_dest_no_remotes'));
  const here = [foF, oF, choose];
  const result = h('div', { id: 'export-result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'export-go', text: t('export') });
  const destShown = () => {
    for (const el of here) el.hidden = dest.value !== '';
    submit.textContent = dest.value ? t('send') : t('export');
  };
  dest.addEventListener('change', destShown);
  const form = h('form', { class: 'card', id: 'export-form', 'aria-labelledby': 'export-h' }, cF, itemsBox, redactedField, fF, lF, rF, dF, foF, oF, choose, submit);
  const sendTo = async (items) => {
    const to = recipients.value.split(/\s+/).filter(Boolean);
    if (!to.length) { toast(t('send_needs_recipients')); recipients.focus(); return; }
    const sent = await withProgress(call('send_bundle', { case: caseSel.value, remote: dest.value, items, recipients: to,
      preparedFor: forSel.value || null, preferRedacted: redacted.checked, language: lang.value || null }));
    result.replaceChildren(h('div', { class: 'card ok', role: 'region', 'aria-labelledby': 'export-done-h' },
      h('h2', { id: 'export-done-h', text: t('send_done') }),
      h('p', { id: 'send-summary', text: t('sent_n', { n: sent.export.items, size: size(sent.size), remote: sent.remote, parts: sent.objects.length }) }),
      h('p', {}, h('span', { text: `${t('delivery_id')}: ` }), h('code', { id: 'send-delivery', dir: 'ltr', text: sent.delivery })),
      h('p', {}, h('span', { text: `${t('bundle_sha256')}: ` }), h('code', { id: 'export-sha256', dir: 'ltr', text: sent.sha256 })),
      h('p', {}, h('span', { text: `${t('sealed_by_fingerprint')}: ` }), h('code', { dir: 'ltr', text: sent.export.fingerprint })),
      h('p', { class: 'muted', text: t('send_receipt_hint') }),
      sent.export.withheld_persons.length ? h('p', { class: 'warn', text: t('withheld', { ids: sent.export.withheld_persons.join(', ') }) }) : null));
    // The outcome is below the form: bring it into view and to the reader.
    const heading = result.querySelector('h2');
    heading.tabIndex = -1;
    heading.focus();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    result.replaceChildren();
    const items = [...boxes].filter(([, box]) => box.checked).map(([id]) => id);
    if (dest.value) {
      try { await sendTo(items); } catch (err) {
        if (err.code === 'cancelled') { toast(t('send_cancelled')); return; }
        fail(err);
        // A send that stopped keeps what the server confirmed: offer to resume it here.
        if ((await call('pending_sends')).length) {
          result.replaceChildren(h('p', { class: 'warn', id: 'send-kept', text: t('send_kept') }), await interruptedCard());
        }
      }
      return;
    }
    if (!out.value) { toast(t('choose_destination_first')); choose.focus(); return; }
    try {
      const done = await withProgress(call('export_bundle', { case: caseSel.value, out: out.value, zip: format.value === 'zip', items,
        recipients: recipients.value.split(/\s+/).filter(Boolean), preparedFor: forSel.value || null,
        preferRedacted: redacted.checked, language: lang.value || null }));
      const verifyAt = format.value === 'folder' && !recipients.value.trim() ? `${done.path}/data/VERIFY.txt` : t('verify_inside');
      result.replaceChildren(h('div', { class: 'card ok', role: 'region', 'aria-labelledby': 'export-done-h' },
        h('h2', { id: 'export-done-h', text: t('export_done') }),
        h('p', { text: t('exported_n', { n: done.items, path: done.path }) }),
        h('p', {}, h('span', { text: `${t(done.sha256_of === 'bundle file' ? 'bundle_sha256' : 'tagmanifest_sha256')}: ` }), h('code', { id: 'export-sha256', dir: 'ltr', text: done.sha256 })),
        h('p', {}, h('span', { text: `${t('sealed_by_fingerprint')}: ` }), h('code', { dir: 'ltr', text: done.fingerprint })),
        h('p', { text: `${t('how_to_verify')}: ${verifyAt}` }),
        done.opening_note ? h('p', { id: 'export-opening-note', text: t('opening_note_at', { path: done.opening_note }) }) : null,
        ...done.sealed_no_later_than.map(([a, time]) => h('p', { class: 'stamp', text: t('seal_stamped', { a, time }) })),
        ...done.stamp_failures.map(([a, error]) => h('p', { class: 'warn', text: t('stamp_failed', { a, error }) })),
        done.stamp_failures.length && !done.sealed_no_later_than.length ? h('p', { class: 'warn', text: t('seal_unstamped') }) : null,
        done.withheld_persons.length ? h('p', { class: 'warn', text: t('withheld', { ids: done.withheld_persons.join(', ') }) }) : null));
    } catch (err) { fail(err); }
  });
  return h('section', { 'aria-labelledby': 'export-h' }, h('h1', { id: 'export-h', 'data-i18n': 'nav_export' }), form, result);
}

// Pinning the signer of an intact bundle, after comparing its fingerprint.
function trustForm(v, after) {
  const [nF, name] = field(t('sender_name'), h('input', { type: 'text', id: 'trust-name' }), t('sender_name_hint'));
  const go = h('button', { type: 'submit', class: 'primary', id: 'trust-btn', 'data-i18n': 'trust_sender' });
  const form = h('form', { id: 'trust-form', 'aria-labelledby': 'trust-h' }, h('h3', { id: 'trust-h', 'data-i18n': 'trust_sender' }),
    h('p', { 'data-i18n': 'trust_intro' }), nF, go);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await call('trust_sender', { name: name.value, minisign: v.signer.minisign,
        question: t('trust_question'), confirm: t('trust_sender'), cancel: t('cancel') });
      toast(t('sender_trusted', { name: name.value }), 'ok');
      after();
    } catch (err) { if (err.code !== 'cancelled') fail(err); }
  });
  return form;
}

function verdictCard(v, again) {
  // Three outcomes, never two: pinned, intact but unpinned, or failed.
  const state = v.ok ? (v.pinned ? 'trusted' : 'unpinned') : 'failed';
  const title = {
    trusted: t('verified_ok', { who: v.pinned }),
    unpinned: t('verified_unpinned'),
    failed: v.sealed ? t('verified_fail') : t('not_sealed'),
  }[state];
  return h('div', { class: `card ${{ trusted: 'ok', unpinned: 'unpinned', failed: 'bad' }[state]}`, role: 'region', 'aria-labelledby': 'verify-verdict', 'data-state': state },
    h('h2', { id: 'verify-verdict', text: title }),
    v.signer ? h('p', {}, h('span', { text: `${t('signer_fingerprint')}: ` }), h('code', { id: 'signer-fingerprint', dir: 'ltr', text: v.signer.fingerprint })) : null,
    state === 'unpinned' ? [h('p', { class: 'warn', 'data-i18n': 'unpinned_explain' }), trustForm(v, again)] : null,
    ...v.sealed_no_later_than.map(([a, time]) => h('p', { class: 'stamp', text: t('sealed_no_later', { a, time }) })),
    v.existed.length ? h('ul', { id: 'existed' }, ...v.existed.map((e) => h('li', { text: t('existed', { item: e.item, time: e.time, a: e.authority }) }))) : null,
    h('ul', { class: 'checks' }, ...v.checks.map((c) => h('li', { class: c.ok ? 'pass' : 'fail' },
      h('strong', { text: `${c.ok ? t('pass') : t('fail')} · ${t(`check_${c.name}`)}` }),
      h('ul', {}, ...c.details.map((d) => h('li', { text: d })))))),
    v.warnings.length ? h('ul', { class: 'warn' }, ...v.warnings.map((w) => h('li', { text: w }))) : null);
}

export async function verifyPage() {
  const [pF, path] = field(t('bundle_path'), h('input', { type: 'text', id: 'verify-path', dir: 'ltr' }), t('bundle_path_hint'));
  const chooseFile = h('button', { type: 'button', 'data-i18n': 'choose_bundle_file' });
  chooseFile.addEventListener('click', async () => { const [p] = await pickFile(); if (p) path.value = p; });
  const chooseDir = h('button', { type: 'button', 'data-i18n': 'choose_bundle_folder' });
  chooseDir.addEventListener('click', async () => { const [p] = await pickFiles(true); if (p) path.value = p; });
  const [iF, identity] = field(t('identity_file'), h('input', { type: 'text', id: 'verify-identity', dir: 'ltr' }), t('identity_hint'));
  const chooseId = h('button', { type: 'button', 'data-i18n': 'choose_identity' });
  chooseId.addEventListener('click', async () => { const [p] = await pickFile(); if (p) identity.value = p; });
  const result = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const run = async () => {
    result.replaceChildren();
    try {
      const v = await withProgress(call('verify_bundle', { path: path.value, identity: identity.value || null }));
      result.replaceChildren(verdictCard(v, run));
    } catch (err) { fail(err); }
  };
  const form = h('form', { class: 'card', id: 'verify-form', 'aria-labelledby': 'verify-h' }, pF, h('div', { class: 'row' }, chooseFile, chooseDir), iF, chooseId,
    h('button', { type: 'submit', class: 'primary', 'data-i18n': 'verify' }));
  form.addEventListener('submit', (e) => { e.preventDefault(); run(); });
  return h('section', { 'aria-labelledby': 'verify-h' }, h('h1', { id: 'verify-h', 'data-i18n': 'nav_verify' }), form, result);
}
