// Settings: auto-lock, checking the vault (the log; every item, or every
// item decrypted and hashed), known senders, time-stamping authorities,
// remotes,
// importing a bundle, the wrong-passphrase limit, the panic wipe, the demo case.
import { call, pickFile } from '../api.js';
import { h, field } from '../dom.js';
import { t } from '../i18n.js';
import { fail, toast, withProgress } from '../feedback.js';
import { show } from '../router.js';
import { getIdleMinutes, setIdleMinutes } from '../idle.js';
import { remotesCard } from './remotes.js';

function checkReport(r) {
  const bad = r.damaged.length + r.quarantined.length + r.log.problems.length;
  return h('div', { class: `card ${bad ? 'bad' : 'ok'}`, id: 'check-report', role: 'region', 'aria-labelledby': 'check-h' },
    h('h3', { id: 'check-h', text: bad ? t('check_damaged', { n: bad }) : t(r.deep ? 'check_ok_deep' : 'check_ok', { n: r.items, e: r.log.events }) }),
    h('ul', {}, ...r.log.problems.map((p) => h('li', { text: p.message })),
      ...r.damaged.map((d) => h('li', { text: `${d.item} (${d.title}): ${d.why}` })),
      ...(r.quarantined.length ? [h('li', { text: t('check_quarantine', { n: r.quarantined.length }) })] : [])));
}

export async function settingsPage() {
  const status = await call('status');
  const [idleF, idle] = field(t('auto_lock_minutes'), h('input', { type: 'number', min: 0, max: 240, id: 'idle-minutes', value: getIdleMinutes() }), t('auto_lock_hint'));
  idle.addEventListener('change', () => setIdleMinutes(Math.max(0, Number(idle.value) || 0)));

  const checkOut = h('div', { id: 'check-result', 'aria-live': 'polite' });
  const check = (deep) => async () => {
    try { checkOut.replaceChildren(checkReport(await withProgress(call('check_vault', { deep })))); } catch (e) { fail(e); }
  };
  const quick = h('button', { id: 'check-quick', 'data-i18n': 'check_vault_quick', onclick: check(false) });
  const deep = h('button', { id: 'check-deep', 'data-i18n': 'check_vault_deep', onclick: check(true) });

  const senders = await call('list_senders');
  const senderList = h('ul', { id: 'senders' }, ...senders.map((s) => h('li', {}, h('strong', { text: s.name }), ' ',
    h('code', { dir: 'ltr', text: s.fingerprint }))));
  if (!senders.length) senderList.append(h('li', { class: 'muted', 'data-i18n': 'no_senders' }));

  const [impF, impPath] = field(t('bundle_path'), h('input', { type: 'text', id: 'import-path', dir: 'ltr' }));
  const pick = h('button', { type: 'button', 'data-i18n': 'choose_bundle_file' });
  pick.addEventListener('click', async () => { const [p] = await pickFile(); if (p) impPath.value = p; });
  const [trustF, trustAs] = field(t('trust_as'), h('input', { type: 'text', id: 'import-trust-as' }), t('trust_as_hint'));
  const unsigned = h('input', { type: 'checkbox', id: 'import-unsigned', 'aria-describedby': 'import-unsigned-hint' });
  const unsignedF = h('div', { class: 'field' }, h('label', { class: 'check' }, unsigned, h('span', { 'data-i18n': 'import_unsigned' })),
    h('small', { id: 'import-unsigned-hint', 'data-i18n': 'import_unsigned_hint' }));
  const imp = h('button', { 'data-i18n': 'import_bundle' });
  imp.addEventListener('click', async () => {
    try {
      const r = await withProgress(call('import_bundle', { path: impPath.value, identity: null, trustAs: trustAs.value || null, unsigned: unsigned.checked }));
      toast(t('imported_n', { n: r.items.length }), 'ok');
      if (r.case) show('case', r.case);
    } catch (e) {
      if (e.code === 'unsigned') { toast(t('import_unsigned_needed')); unsigned.focus(); return; }
      fail(e);
      if (e.code === 'unpinned') trustAs.focus();
    }
  });

  // Trusted time: pinned RFC 3161 authorities, and stamping the log.
  const authorities = await call('list_authorities');
  const authList = h('ul', { id: 'authorities' });
  const renderAuthorities = (list) => {
    authList.replaceChildren(...list.map((a) => {
      const remove = h('button', { type: 'button', class: 'link', text: t('remove_authority', { name: a.name }) });
      remove.addEventListener('click', async () => {
        try { await call('remove_authority', { name: a.name }); renderAuthorities(await call('list_authorities')); } catch (e) { fail(e); }
      });
      return h('li', {}, h('strong', { text: a.name }), ' ', h('code', { dir: 'ltr', text: a.url }), ' ', remove,
        h('ul', {}, ...a.pinned.map((p) => h('li', { dir: 'ltr', text: p }))));
    }));
    if (!list.length) authList.append(h('li', { class: 'muted', 'data-i18n': 'no_authorities', text: t('no_authorities') }));
  };
  renderAuthorities(authorities);
  const [aNameF, aName] = field(t('authority_name'), h('input', { type: 'text', id: 'authority-name', dir: 'ltr', pattern: '[a-z0-9][a-z0-9-]{0,31}' }));
  const [aUrlF, aUrl] = field(t('authority_url'), h('input', { type: 'url', id: 'authority-url', dir: 'ltr' }));
  const [aCaF, aCa] = field(t('authority_ca'), h('input', { type: 'text', id: 'authority-ca', dir: 'ltr' }), t('authority_ca_hint'));
  const pickCa = h('button', { type: 'button', 'data-i18n': 'choose_ca_file' });
  pickCa.addEventListener('click', async () => { const [p] = await pickFile(); if (p) aCa.value = p; });
  const addAuth = h('button', { id: 'add-authority', 'data-i18n': 'add_authority' });
  addAuth.addEventListener('click', async () => {
    try {
      await withProgress(call('add_authority', { name: aName.value, url: aUrl.value, ca: aCa.value || null }));
      toast(t('saved'), 'ok');
      renderAuthorities(await call('list_authorities'));
    } catch (e) { fail(e); }
  });
  const stampOut = h('ul', { id: 'stamp-result', 'aria-live': 'polite' });
  const stampNow = h('button', { id: 'timestamp-now', 'data-i18n': 'timestamp_now' });
  stampNow.addEventListener('click', async () => {
    try {
      const outcomes = await withProgress(call('timestamp_now'));
      stampOut.replaceChildren(...outcomes.map((o) => h('li', { class: o.outcome === 'failed' ? 'warn' : '', text: {
        stamped: () => t('stamped', { a: o.authority, n: o.size, time: o.time }),
        up_to_date: () => t('stamp_up_to_date', { a: o.authority, n: o.size }),
        failed: () => t('stamp_failed', { a: o.authority, error: o.error }),
      }[o.outcome]() })));
    } catch (e) { fail(e); }
  });
  const cert = await call('device_certificate');
  const certLine = h('p', { id: 'device-certificate', class: cert ? '' : 'muted',
    text: cert ? t('device_certified', { member: cert.member, org: cert.organisation, fp: cert.organisation_fingerprint, from: cert.valid_from }) : t('device_not_certified') });

  // Security: wipe after N wrong passphrases, and the panic wipe.
  const guard = await call('guard');
  const [limitF, limit] = field(t('wipe_after'), h('input', { type: 'number', min: 0, max: 100, id: 'wipe-after', value: guard.wipe_after || 0 }), t('wipe_after_hint'));
  limit.addEventListener('change', async () => {
    const n = Math.max(0, Number(limit.value) || 0);
    try { await call('set_wipe_after', { limit: n === 0 ? null : n }); toast(t('saved'), 'ok'); } catch (e) { fail(e); limit.value = guard.wipe_after || 0; }
  });
  const wipe = h('button', { class: 'danger', id: 'wipe-btn', 'data-i18n': 'wipe_now' });
  wipe.addEventListener('click', async () => {
    try {
      // The question is asked by the app itself, in a native dialog.
      const r = await call('wipe_vault', { question: t('wipe_confirm'), confirm: t('wipe_now'), cancel: t('cancel') });
      sessionStorage.setItem('casefile.wiped', String(r.keys_destroyed_ms.toFixed(1)));
      location.reload();
    } catch (e) { if (e.code !== 'cancelled') fail(e); }
  });
  const demo = h('button', { 'data-i18n': 'load_demo' });
  demo.addEventListener('click', async () => {
    try { const s = await call('demo'); toast(t('demo_loaded'), 'ok'); show('case', s.id); } catch (e) { fail(e); }
  });
  const remotes = await remotesCard();
  const card = (id, ...children) => h('div', { class: 'card', role: 'region', 'aria-labelledby': id }, ...children);
  return h('section', { 'aria-labelledby': 'settings-h' },
    h('h1', { id: 'settings-h', 'data-i18n': 'nav_settings' }),
    card('vault-h', h('h2', { id: 'vault-h', 'data-i18n': 'vault' }), h('p', { class: 'muted', dir: 'ltr', text: status.vault }),
      h('p', {}, h('span', { text: `${t('device_fingerprint')}: ` }), h('code', { id: 'settings-fingerprint', dir: 'ltr', text: status.fingerprint })), certLine, idleF),
    card('check-vault-h', h('h2', { id: 'check-vault-h', 'data-i18n': 'check_vault' }), h('p', { class: 'muted', 'data-i18n': 'check_vault_intro' }),
      h('div', { class: 'row' }, quick, deep), checkOut),
    card('senders-h', h('h2', { id: 'senders-h', 'data-i18n': 'known_senders' }), h('p', { class: 'muted', 'data-i18n': 'known_senders_intro' }), senderList),
    card('authorities-h', h('h2', { id: 'authorities-h', 'data-i18n': 'authorities' }), h('p', { class: 'muted', 'data-i18n': 'authorities_intro' }), authList,
      aNameF, aUrlF, aCaF, pickCa, h('div', { class: 'row' }, addAuth, stampNow), stampOut),
    remotes,
    card('import-card-h', h('h2', { id: 'import-card-h', 'data-i18n': 'import_bundle' }), impF, pick, trustF, unsignedF, imp),
    card('security-h', h('h2', { id: 'security-h', 'data-i18n': 'security' }), limitF,
      h('h3', { 'data-i18n': 'panic_wipe' }), h('p', { class: 'muted', 'data-i18n': 'wipe_intro' }), wipe),
    card('demo-h', h('h2', { id: 'demo-h', 'data-i18n': 'demo' }), h('p', { 'data-i18n': 'demo_intro' }), demo));
}
