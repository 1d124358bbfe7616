// Cases: the list, and the case sheet editor (perpetrators, victims and
// witnesses with consent, incidents, evidence links, testimony, corroboration).
import { call } from '../api.js';
import { h, field, select } from '../dom.js';
import { t, translate } from '../i18n.js';
import { confirmDialog, fail, toast } from '../feedback.js';
import { show } from '../router.js';
import { vocab } from '../vocabulary.js';


export async function casesPage() {
  const cases = await call('list_cases');
  const [titleField, title] = field(t('case_title'), h('input', { type: 'text', id: 'case-title' }));
  const type = select(vocab().case_types.map((c) => [c, t(`type_${c}`)]), 'gross-violation');
  const [typeField] = field(t('case_type'), type);
  const regimeBoxes = vocab().regimes.map((r) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: r }), h('span', { text: t(`regime_${r}`) })));
  const form = h('form', { class: 'card', id: 'new-case', 'aria-labelledby': 'new-case-h' }, h('h2', { id: 'new-case-h', 'data-i18n': 'new_case' }), titleField, typeField,
    h('fieldset', {}, h('legend', { 'data-i18n': 'regimes' }), ...regimeBoxes),
    h('button', { type: 'submit', class: 'primary', 'data-i18n': 'create_case' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const regimes = regimeBoxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      const sheet = await call('new_case', { title: title.value, caseType: type.value, regimes });
      show('case', sheet.id);
    } catch (err) { fail(err); }
  });
  const entries = cases.map((c) => [c, h('li', {},
    h('button', { class: 'link', onclick: () => show('case', c.id), text: c.title }),
    h('span', { class: 'muted', text: ` · ${t(`type_${c.type}`)} · ${t('counts', { p: c.perpetrators, i: c.incidents, e: c.evidence })}` }))]);
  const list = h('ul', { class: 'cards', id: 'case-list' }, ...entries.map(([, li]) => li));
  if (!cases.length) list.append(h('li', { class: 'muted', 'data-i18n': 'no_cases' }));
  // Many cases: a filter on their titles and types, as the list is read.
  const filter = h('input', { type: 'search', id: 'case-filter', 'data-i18n-placeholder': 'filter_cases', 'data-i18n-label': 'filter_cases' });
  const shown = h('p', { class: 'muted', id: 'case-count', 'aria-live': 'polite' });
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLocaleLowerCase();
    let n = 0;
    for (const [c, li] of entries) {
      li.hidden = Boolean(q) && !`${c.title} ${t(`type_${c.type}`)}`.toLocaleLowerCase().includes(q);
      if (!li.hidden) n += 1;
    }
    shown.textContent = q ? t('cases_shown', { n, all: cases.length }) : '';
  });
  const tools = cases.length > 1 ? [h('div', { class: 'toolbar' }, filter), shown] : [];
  return h('section', { 'aria-labelledby': 'cases-title' }, h('h1', { id: 'cases-title', 'data-i18n': 'nav_cases' }), ...tools, list, form);
}

function opts(values, prefix) { return values.map((v) => [v, t(`${prefix}${v}`)]); }

async function save(sheet, message) {
  try {
    await call('save_case', { sheet });
    toast(message || t('saved'), 'ok');
    show('case', sheet.id);
  } catch (e) { fail(e); }
}

// A remove button for an entry; asks first, then saves the sheet without it.
function removeButton(sheet, label, remove) {
  return h('button', { type: 'button', class: 'ghost small', 'aria-label': `${t('remove')} ${label}`, text: t('remove'), onclick: async () => {
    if (await confirmDialog(t('remove_confirm', { what: label }), t('remove'))) { remove(); save(sheet); }
  } });
}

function nextId(prefix, list) {
  let n = 1;
  while (list.some((x) => x.id === `${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

export async function casePage(id) {
  const sheet = await call('case_sheet', { id });
  const items = await call('list_items');
  const matrix = await call('corroboration', { id });
  const itemTitle = (iid) => (items.find((i) => i.id === iid) || { title: iid }).title;

  // Perpetrators.
  const perps = h('ul', { class: 'entries' }, ...sheet.perpetrators.map((p, n) => h('li', {},
    removeButton(sheet, p.id, () => sheet.perpetrators.splice(n, 1)),
    h('strong', { text: `${p.id} · ${p.names.map((n) => n.value).join(' / ')}` }),
    h('span', { class: 'muted', text: ` ${(p.positions || []).map((x) => [x.title, x.unit].filter(Boolean).join(', ')).join('; ')} ${(p.liability || []).map((l) => t(`liability_${l}`)).join(', ')}` }))));
  const [pnF, pName] = field(t('name_original'), h('input', { type: 'text', id: 'perp-name' }));
  const [ptF, pTranslit] = field(t('name_transliteration'), h('input', { type: 'text', id: 'perp-translit' }));
  const [ppF, pPos] = field(t('position'), h('input', { type: 'text', id: 'perp-position' }));
  const [puF, pUnit] = field(t('unit'), h('input', { type: 'text', id: 'perp-unit' }));
  const pLiab = select(opts(vocab().liability, 'liability_'), 'ordered');
  const [plF] = field(t('liability'), pLiab);
  const perpForm = h('form', { class: 'card', id: 'perp-form', 'aria-labelledby': 'perp-form-h' }, h('h3', { id: 'perp-form-h', 'data-i18n': 'add_perpetrator' }), pnF, ptF, ppF, puF, plF,
    h('button', { type: 'submit', 'data-i18n': 'add_perpetrator' }));
  perpForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const names = [{ value: pName.value, kind: 'original' }];
    if (pTranslit.value) names.push({ value: pTranslit.value, kind: 'transliteration' });
    sheet.perpetrators.push({ id: nextId('P', sheet.perpetrators), kind: 'person', names,
      positions: pPos.value ? [{ title: pPos.value, unit: pUnit.value }] : [], liability: [pLiab.value] });
    save(sheet);
  });

  // Victims and witnesses.
  const persons = h('ul', { class: 'entries' }, ...sheet.persons.map((p, n) => h('li', {},
    removeButton(sheet, p.id, () => sheet.persons.splice(n, 1)),
    h('strong', { text: `${p.id} · ${p.pseudonym}` }), ' ',
    h('span', { class: p.consent.given ? 'ok' : 'warn', text: p.consent.given ? t('consent_for', { uses: p.consent.uses.join(', '), to: p.consent.recipients.join(', ') }) : t('no_consent') }))));
  const [vpF, vPseudo] = field(t('pseudonym'), h('input', { type: 'text', id: 'person-pseudonym' }));
  const vRole = select(opts(vocab().person_roles, 'role_'), 'victim');
  const [vrF] = field(t('role'), vRole);
  const vConsent = h('input', { type: 'checkbox', id: 'person-consent' });
  const useBoxes = vocab().consent_uses.map((u) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: u }), h('span', { text: t(`use_${u}`) })));
  const recBoxes = vocab().regimes.map((r) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: r }), h('span', { text: t(`regime_${r}`) })));
  const personForm = h('form', { class: 'card', id: 'person-form', 'aria-labelledby': 'person-form-h' }, h('h3', { id: 'person-form-h', 'data-i18n': 'add_person' }), vpF, vrF,
    h('label', { class: 'check' }, vConsent, h('span', { 'data-i18n': 'consent_given' })),
    h('fieldset', {}, h('legend', { 'data-i18n': 'consent_uses' }), ...useBoxes),
    h('fieldset', {}, h('legend', { 'data-i18n': 'consent_recipients' }), ...recBoxes),
    h('button', { type: 'submit', 'data-i18n': 'add_person' }));
  personForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const checked = (boxes) => boxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    const given = vConsent.checked;
    sheet.persons.push({ id: nextId(vRole.value === 'witness' ? 'W' : 'V', sheet.persons), pseudonym: vPseudo.value, role: vRole.value,
      status: 'none', risk: 'high', consent: { given, uses: given ? checked(useBoxes) : [], recipients: given ? checked(recBoxes) : [] } });
    save(sheet);
  });

  // Incidents.
  const incidents = h('ul', { class: 'entries' }, ...sheet.incidents.map((i, n) => h('li', {},
    removeButton(sheet, i.id, () => sheet.incidents.splice(n, 1)),
    h('strong', { text: `${i.id} · ${t(`violation_${i.violation}`)} · ${i.start}${i.end ? ` – ${i.end}` : ''}` }),
    h('span', { class: 'muted', text: ` ${i.place.admin || ''} ${(i.perpetrators || []).map((p) => `${p.perpetrator} (${t(`link_${p.link}`)})`).join(', ')}` }))));
  const iViol = select(opts(vocab().violations, 'violation_'), 'arbitrary-detention');
  const [ivF] = field(t('violation'), iViol);
  const [isF, iStart] = field(t('start_date'), h('input', { type: 'text', id: 'incident-start', placeholder: 'YYYY-MM-DD', dir: 'ltr' }), t('date_hint'));
  const [ipF, iPlace] = field(t('incident_place'), h('input', { type: 'text', id: 'incident-place' }));
  const [inF, iNarr] = field(t('narrative'), h('textarea', { id: 'incident-narrative', rows: 3 }));
  const iPerp = select([['', t('none')], ...sheet.perpetrators.map((p) => [p.id, `${p.id} ${p.names[0]?.value || ''}`])], '');
  const [iprF] = field(t('perpetrator'), iPerp);
  const iLink = select(opts(vocab().links, 'link_'), 'direct');
  const [ilF] = field(t('alleged_link'), iLink);
  const incForm = h('form', { class: 'card', id: 'incident-form', 'aria-labelledby': 'incident-form-h' }, h('h3', { id: 'incident-form-h', 'data-i18n': 'add_incident' }), ivF, isF, ipF, inF, iprF, ilF,
    h('button', { type: 'submit', 'data-i18n': 'add_incident' }));
  incForm.addEventListener('submit', (e) => {
    e.preventDefault();
    sheet.incidents.push({ id: nextId('I', sheet.incidents), violation: iViol.value, start: iStart.value, place: { admin: iPlace.value },
      narrative: iNarr.value, perpetrators: iPerp.value ? [{ perpetrator: iPerp.value, link: iLink.value }] : [], persons: [] });
    save(sheet);
  });

  // Evidence links.
  const links = h('ul', { class: 'entries' }, ...sheet.evidence.map((l, n) => h('li', {},
    removeButton(sheet, itemTitle(l.item), () => sheet.evidence.splice(n, 1)),
    h('strong', { text: itemTitle(l.item) }), h('span', { class: 'muted', text: ` → ${[l.incident, l.party].filter(Boolean).join(' ')} ${l.supports || ''}` }))));
  const lItem = select(items.map((i) => [i.id, i.title]), items[0]?.id);
  const [liF] = field(t('item'), lItem);
  const lInc = select([['', t('none')], ...sheet.incidents.map((i) => [i.id, `${i.id} ${t(`violation_${i.violation}`)}`])], '');
  const [lnF] = field(t('incident'), lInc);
  const lParty = select([['', t('none')], ...sheet.perpetrators.map((p) => [p.id, `${p.id} ${p.names[0]?.value || ''}`]), ...sheet.persons.map((p) => [p.id, `${p.id} ${p.pseudonym}`])], '');
  const [lpF] = field(t('party'), lParty);
  const [lsF, lSupports] = field(t('supports'), h('input', { type: 'text', id: 'link-supports' }));
  const linkForm = h('form', { class: 'card', id: 'link-form', 'aria-labelledby': 'link-form-h' }, h('h3', { id: 'link-form-h', 'data-i18n': 'link_evidence' }), liF, lnF, lpF, lsF,
    h('button', { type: 'submit', 'data-i18n': 'link_evidence' }));
  linkForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!lItem.value) return;
    sheet.evidence.push({ item: lItem.value, incident: lInc.value || undefined, party: lParty.value || undefined, supports: lSupports.value });
    save(sheet);
  });

  // Testimony.
  const [twF, tWitness] = field(t('witness_pseudonym'), h('input', { type: 'text', id: 'testimony-witness' }));
  const [tiF, tInterviewer] = field(t('interviewer'), h('input', { type: 'text', id: 'testimony-interviewer' }));
  const [tdF, tDate] = field(t('date'), h('input', { type: 'text', id: 'testimony-date', placeholder: 'YYYY-MM-DD', dir: 'ltr' }));
  const [tpF, tPlace] = field(t('interview_place'), h('input', { type: 'text', id: 'testimony-place' }));
  const [tlF, tLang] = field(t('language'), h('input', { type: 'text', id: 'testimony-language' }));
  const [tsF, tText] = field(t('statement'), h('textarea', { id: 'testimony-text', rows: 6 }));
  const testForm = h('form', { class: 'card', id: 'testimony-form', 'aria-labelledby': 'testimony-form-h' }, h('h3', { id: 'testimony-form-h', 'data-i18n': 'record_testimony' }), twF, tiF, tdF, tpF, tlF, tsF,
    h('button', { type: 'submit', 'data-i18n': 'record_testimony' }));
  testForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await call('record_testimony', { interview: { case: sheet.id, witness: tWitness.value, interviewer: tInterviewer.value, date: tDate.value,
        place: tPlace.value, language: tLang.value }, statement: tText.value });
      toast(t('testimony_recorded'), 'ok');
      show('case', sheet.id);
    } catch (err) { fail(err); }
  });

  // Corroboration.
  const mtable = h('table', { id: 'matrix' }, h('thead', {}, h('tr', {}, ...['col_status', 'col_allegation', 'col_sources'].map((k) => h('th', { scope: 'col', 'data-i18n': k })))),
    h('tbody', {}, ...matrix.map((r) => h('tr', {}, h('td', { class: `status ${r.status}`, text: t(`status_${r.status}`) }), h('td', { text: r.allegation }), h('td', { text: r.sources.join('; ') })))));

  // Everything else: the whole sheet as JSON.
  const json = h('textarea', { id: 'sheet-json', rows: 16, dir: 'ltr', spellcheck: 'false', 'aria-label': t('sheet_json') });
  json.value = JSON.stringify(sheet, null, 2);
  const jsonSave = h('button', { 'data-i18n': 'save_sheet_json' });
  jsonSave.addEventListener('click', () => {
    let parsed;
    try { parsed = JSON.parse(json.value); } catch (e) { fail({ message: t('json_invalid', { why: e.message }) }); return; }
    save(parsed);
  });

  const page = h('section', { 'aria-labelledby': 'case-h' },
    h('button', { class: 'ghost', onclick: () => show('cases'), 'data-i18n': 'back_to_cases' }),
    h('h1', { id: 'case-h', text: sheet.title }),
    h('p', { class: 'muted', text: `${sheet.id} · ${t(`type_${sheet.type}`)} · ${sheet.submission.regimes.map((r) => t(`regime_${r}`)).join(', ')}` }),
    h('div', { class: 'grid' },
      h('div', {}, h('h2', { 'data-i18n': 'perpetrators' }), perps, perpForm),
      h('div', {}, h('h2', { 'data-i18n': 'persons' }), persons, personForm),
      h('div', {}, h('h2', { 'data-i18n': 'incidents' }), incidents, incForm),
      h('div', {}, h('h2', { 'data-i18n': 'evidence_links' }), links, linkForm)),
    testForm,
    h('h2', { 'data-i18n': 'corroboration_matrix' }), mtable,
    h('details', {}, h('summary', { 'data-i18n': 'advanced_json' }), json, jsonSave));
  translate(page);
  return page;
}
