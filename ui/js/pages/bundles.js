// The export wizard and the verify-a-bundle page.
import { call, pickFiles, pickSave } from '../api.js';
import { h, field, select } from '../dom.js';
import { t } from '../i18n.js';
import { fail, withProgress } from '../app.js';

const REGIMES = ['us-global-magnitsky', 'uk-global-human-rights', 'eu-global-human-rights', 'canada-magnitsky', 'icc', 'un-mechanism', 'other'];

export async function exportPage() {
  const cases = await call('list_cases');
  const caseSel = select(cases.map((c) => [c.id, c.title]), cases[0]?.id);
  const [cF] = field(t('case'), caseSel);
  // Which items: all linked ones by default; originals or derivatives can be chosen.
  const itemsBox = h('fieldset', { id: 'export-items' }, h('legend', { 'data-i18n': 'export_items' }));
  const allItems = await call('list_items');
  const fillItems = async () => {
    const sheet = await call('case_sheet', { id: caseSel.value });
    const linked = new Set(sheet.evidence.map((l) => l.item));
    const offered = allItems.filter((i) => linked.has(i.id) || (i.parent && linked.has(i.parent)));
    itemsBox.replaceChildren(h('legend', { text: t('export_items') }), ...offered.map((i) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: i.id, checked: linked.has(i.id) }),
      h('span', { text: i.parent ? `${i.title} (${t('derived_from')} ${i.parent})` : i.title }))));
  };
  // Ticking swaps each original for its redacted copy (and back) in the list above.
  const redacted = h('input', { type: 'checkbox', id: 'export-redacted' });
  redacted.addEventListener('change', () => {
    for (const i of allItems.filter((x) => x.parent && x.derivation && x.derivation.operation === 'redaction')) {
      const copy = itemsBox.querySelector(`input[value="${i.id}"]`);
      const original = itemsBox.querySelector(`input[value="${i.parent}"]`);
      if (copy) copy.checked = redacted.checked;
      if (original && copy) original.checked = !redacted.checked;
    }
  });
  const redactedField = h('label', { class: 'check' }, redacted, h('span', { 'data-i18n': 'export_redacted' }));
  caseSel.addEventListener('change', fillItems);
  if (cases.length) await fillItems();
  const forSel = select([['', t('first_regime')], ...REGIMES.map((r) => [r, t(`regime_${r}`)])], '');
  const [fF] = field(t('prepared_for'), forSel, t('prepared_for_hint'));
  const format = select([['folder', t('format_folder')], ['zip', t('format_zip')]], 'folder');
  const [foF] = field(t('format'), format);
  const [rF, recipients] = field(t('recipients'), h('textarea', { id: 'export-recipients', rows: 2, dir: 'ltr', placeholder: 'age1…' }), t('recipients_hint'));
  const [oF, out] = field(t('destination'), h('input', { type: 'text', id: 'export-out', dir: 'ltr' }), t('destination_hint'));
  const choose = h('button', { type: 'button', 'data-i18n': 'choose' });
  choose.addEventListener('click', async () => { const p = await pickSave('bundle'); if (p) out.value = p; });
  const result = h('div', { id: 'export-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', id: 'export-form' }, cF, itemsBox, redactedField, fF, foF, rF, oF, choose, h('button', { type: 'submit', class: 'primary', 'data-i18n': 'export' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    result.replaceChildren();
    try {
      const items = [...itemsBox.querySelectorAll('input:checked')].map((i) => i.value);
      const done = await withProgress(call('export_bundle', { case: caseSel.value, out: out.value, zip: format.value === 'zip', items,
        recipients: recipients.value.split(/\s+/).filter(Boolean), preparedFor: forSel.value || null }));
      const verifyAt = format.value === 'folder' && !recipients.value.trim() ? `${done.path}/data/VERIFY.txt` : t('verify_inside');
      result.replaceChildren(h('div', { class: 'card ok' },
        h('h2', { 'data-i18n': 'export_done' }, t('export_done')),
        h('p', { text: t('exported_n', { n: done.items, path: done.path }) }),
        h('p', {}, h('span', { text: `${t('bundle_sha256')}: ` }), h('code', { id: 'export-sha256', dir: 'ltr', text: done.sha256 })),
        h('p', { text: `${t('signed_by')}: ${done.key_id}` }),
        h('p', { text: `${t('how_to_verify')}: ${verifyAt}` }),
        done.withheld_persons.length ? h('p', { class: 'warn', text: t('withheld', { ids: done.withheld_persons.join(', ') }) }) : null));
    } catch (err) { fail(err); }
  });
  if (!cases.length) return h('section', {}, h('h1', { 'data-i18n': 'nav_export' }), h('p', { class: 'muted', 'data-i18n': 'no_cases' }));
  return h('section', { 'aria-labelledby': 'export-h' }, h('h1', { id: 'export-h', 'data-i18n': 'nav_export' }), form, result);
}

export async function verifyPage() {
  const [pF, path] = field(t('bundle_path'), h('input', { type: 'text', id: 'verify-path', dir: 'ltr' }), t('bundle_path_hint'));
  const chooseFile = h('button', { type: 'button', 'data-i18n': 'choose_file' });
  chooseFile.addEventListener('click', async () => { const [p] = await pickFiles(); if (p) path.value = p; });
  const chooseDir = h('button', { type: 'button', 'data-i18n': 'choose_folder' });
  chooseDir.addEventListener('click', async () => { const [p] = await pickFiles(true); if (p) path.value = p; });
  const [iF, identity] = field(t('identity_file'), h('input', { type: 'text', id: 'verify-identity', dir: 'ltr' }), t('identity_hint'));
  const result = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', id: 'verify-form' }, pF, h('div', { class: 'row' }, chooseFile, chooseDir), iF,
    h('button', { type: 'submit', class: 'primary', 'data-i18n': 'verify' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    result.replaceChildren();
    try {
      const v = await withProgress(call('verify_bundle', { path: path.value, identity: identity.value || null }));
      result.replaceChildren(h('div', { class: `card ${v.ok ? 'ok' : 'bad'}` },
        h('h2', { id: 'verify-verdict', text: v.ok ? t('verified_ok', { key: v.key_id }) : (v.sealed ? t('verified_fail') : t('not_sealed')) }),
        h('ul', { class: 'checks' }, ...v.checks.map((c) => h('li', { class: c.ok ? 'pass' : 'fail' },
          h('strong', { text: `${c.ok ? t('pass') : t('fail')} · ${t(`check_${c.name}`)}` }),
          h('ul', {}, ...c.details.map((d) => h('li', { text: d })))))),
        v.warnings.length ? h('ul', { class: 'warn' }, ...v.warnings.map((w) => h('li', { text: w }))) : null));
    } catch (err) { fail(err); }
  });
  return h('section', { 'aria-labelledby': 'verify-h' }, h('h1', { id: 'verify-h', 'data-i18n': 'nav_verify' }), form, result);
}
