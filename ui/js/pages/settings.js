// Settings: auto-lock, the custody log check, the wrong-passphrase limit,
// the panic wipe, the demo case, importing a bundle.
import { ask, call, pickFiles } from '../api.js';
import { h, field } from '../dom.js';
import { t } from '../i18n.js';
import { fail, getIdleMinutes, setIdleMinutes, show, showLocked, toast, withProgress } from '../app.js';

export async function settingsPage() {
  const status = await call('status');
  const [idleF, idle] = field(t('auto_lock_minutes'), h('input', { type: 'number', min: 0, max: 240, id: 'idle-minutes', value: getIdleMinutes() }), t('auto_lock_hint'));
  idle.addEventListener('change', () => setIdleMinutes(Math.max(0, Number(idle.value) || 0)));
  const logResult = h('p', { id: 'log-result', 'aria-live': 'polite' });
  const checkLog = h('button', { 'data-i18n': 'check_log' });
  checkLog.addEventListener('click', async () => {
    try {
      const r = await call('verify_log');
      logResult.textContent = r.problems.length ? r.problems[0].message : t('log_ok', { n: r.events, c: r.checkpoints });
      logResult.className = r.problems.length ? 'error' : 'ok';
    } catch (e) { fail(e); }
  });
  const demo = h('button', { 'data-i18n': 'load_demo' });
  demo.addEventListener('click', async () => {
    try { const s = await call('demo'); toast(t('demo_loaded'), 'ok'); show('case', s.id); } catch (e) { fail(e); }
  });
  const [impF, impPath] = field(t('bundle_path'), h('input', { type: 'text', id: 'import-path', dir: 'ltr' }));
  const pick = h('button', { type: 'button', 'data-i18n': 'choose_file' });
  pick.addEventListener('click', async () => { const [p] = await pickFiles(); if (p) impPath.value = p; });
  const imp = h('button', { 'data-i18n': 'import_bundle' });
  imp.addEventListener('click', async () => {
    try {
      const r = await withProgress(call('import_bundle', { path: impPath.value, identity: null }));
      toast(t('imported_n', { n: r.items.length }), 'ok');
    } catch (e) { fail(e); }
  });
  // Security: wipe after N wrong passphrases, and the panic wipe.
  const guard = await call('guard');
  const [limitF, limit] = field(t('wipe_after'), h('input', { type: 'number', min: 0, max: 100, id: 'wipe-after', value: guard.wipe_after || 0 }), t('wipe_after_hint'));
  limit.addEventListener('change', async () => {
    const n = Math.max(0, Number(limit.value) || 0);
    try { await call('set_wipe_after', { limit: n === 0 ? null : n }); toast(t('saved'), 'ok'); } catch (e) { fail(e); limit.value = guard.wipe_after || 0; }
  });
  const wipe = h('button', { class: 'danger', id: 'wipe-btn', 'data-i18n': 'wipe_now' });
  wipe.addEventListener('click', async () => {
    if (!(await ask(t('wipe_confirm')))) return;
    try {
      const r = await call('wipe_vault');
      toast(t('wiped', { ms: (r.keys_destroyed_in.secs * 1000 + r.keys_destroyed_in.nanos / 1e6).toFixed(1) }), 'ok');
      await showLocked();
    } catch (e) { fail(e); }
  });
  return h('section', { 'aria-labelledby': 'settings-h' },
    h('h1', { id: 'settings-h', 'data-i18n': 'nav_settings' }),
    h('div', { class: 'card' }, h('h2', { 'data-i18n': 'vault' }), h('p', { class: 'muted', dir: 'ltr', text: status.vault }),
      h('p', { text: `${t('device_key')}: ${status.key_id}` }), idleF, checkLog, logResult),
    h('div', { class: 'card' }, h('h2', { 'data-i18n': 'security' }), limitF,
      h('h3', { 'data-i18n': 'panic_wipe' }), h('p', { class: 'muted', 'data-i18n': 'wipe_intro' }), wipe),
    h('div', { class: 'card' }, h('h2', { 'data-i18n': 'import_bundle' }), impF, pick, imp),
    h('div', { class: 'card' }, h('h2', { 'data-i18n': 'demo' }), h('p', { 'data-i18n': 'demo_intro' }), demo));
}
