// Settings: auto-lock, the custody log check, the demo case, importing a bundle.
import { call, pickFiles } from '../api.js';
import { h, field } from '../dom.js';
import { t } from '../i18n.js';
import { fail, getIdleMinutes, setIdleMinutes, show, toast, withProgress } from '../app.js';

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
  return h('section', { 'aria-labelledby': 'settings-h' },
    h('h1', { id: 'settings-h', 'data-i18n': 'nav_settings' }),
    h('div', { class: 'card' }, h('h2', { 'data-i18n': 'vault' }), h('p', { class: 'muted', dir: 'ltr', text: status.vault }),
      h('p', { text: `${t('device_key')}: ${status.key_id}` }), idleF, checkLog, logResult),
    h('div', { class: 'card' }, h('h2', { 'data-i18n': 'import_bundle' }), impF, pick, imp),
    h('div', { class: 'card' }, h('h2', { 'data-i18n': 'demo' }), h('p', { 'data-i18n': 'demo_intro' }), demo));
}
