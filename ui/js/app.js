// The app shell: language, lock, navigation, progress, idle lock.
//
// Locking always wins: the page is cleared first, then the app is told
// (which stops running work and revokes every preview address), then the
// page reloads, so no picture, sound, listener or timer of the unlocked
// vault survives in the window, whatever the lock says back.
import { call, onEvent, setToken } from './api.js';
import { setLanguage, savedLanguage, t, translate } from './i18n.js';
import { size } from './dom.js';
import { toast } from './feedback.js';
import { getIdleMinutes, onIdleChange } from './idle.js';
import { here, leave, register, show, whenLocked } from './router.js';
import { loadVocabulary } from './vocabulary.js';
import { unlockPage } from './pages/unlock.js';
import { evidencePage, itemPage } from './pages/evidence.js';
import { casesPage, casePage } from './pages/cases.js';
import { exportPage, verifyPage } from './pages/bundles.js';
import { settingsPage } from './pages/settings.js';
import { inboxPage } from './pages/remotes.js';

for (const [name, render] of Object.entries({
  evidence: evidencePage, evidence_item: itemPage, cases: casesPage, case: casePage,
  export: exportPage, verify: verifyPage, inbox: inboxPage, settings: settingsPage,
})) register(name, render);

const main = document.getElementById('main');
let idleTimer = null;

export async function refreshStatus() {
  const s = await call('status');
  setToken(s.token);
  const status = document.getElementById('vault-status');
  status.textContent = s.unlocked ? t('status_unlocked', { key: (s.fingerprint || '').slice(0, 16) }) : t('status_locked');
  document.getElementById('nav').hidden = !s.unlocked;
  document.getElementById('lock-btn').hidden = !s.unlocked;
  return s;
}

export async function showLocked() {
  leave();
  const s = await refreshStatus();
  main.replaceChildren(unlockPage(s, async () => { await refreshStatus(); show('evidence'); }));
  translate(main);
  main.querySelector('input')?.focus();
}
whenLocked(showLocked);

// Everything of the unlocked vault goes from the page before the app is even asked.
function forget() {
  leave();
  setToken(null);
  main.replaceChildren();
  document.getElementById('nav').hidden = true;
  document.getElementById('lock-btn').hidden = true;
  document.getElementById('progress').hidden = true;
}

async function lockNow(why = 'lock') {
  forget();
  try {
    await call('lock');
  } catch (e) {
    sessionStorage.setItem('casefile.lock-error', e.message || String(e));
  }
  sessionStorage.setItem('casefile.locked', why);
  location.reload();
}

function resetIdle() {
  clearTimeout(idleTimer);
  const m = getIdleMinutes();
  if (m > 0) idleTimer = setTimeout(() => { if (!document.getElementById('nav').hidden) lockNow('idle'); }, m * 60000);
}
onIdleChange(resetIdle);

window.addEventListener('error', (e) => toast(e.message));
window.addEventListener('unhandledrejection', (e) => toast(e.reason && e.reason.message ? e.reason.message : String(e.reason)));

async function start() {
  const langSelect = document.getElementById('lang-select');
  langSelect.value = savedLanguage();
  await setLanguage(langSelect.value);
  await loadVocabulary();
  langSelect.addEventListener('change', async () => {
    await setLanguage(langSelect.value);
    // The recovery code is shown once: redrawing would lose it, so its card
    // is only put in the new language.
    const card = document.getElementById('recovery-code');
    if (card && card.textContent) {
      translate(document.querySelector('main'));
      document.getElementById('vault-status').textContent = t('status_created');
      return;
    }
    // Labels made at render time follow the new language too.
    const s = await refreshStatus();
    if (s.unlocked) show(...here()); else showLocked();
  });
  document.getElementById('lock-btn').addEventListener('click', () => lockNow());
  for (const b of document.querySelectorAll('#nav button')) b.addEventListener('click', () => show(b.dataset.page));
  document.getElementById('progress-cancel').addEventListener('click', () => call('cancel'));
  onEvent('progress', (p) => {
    const bar = document.getElementById('progress-bar');
    bar.max = Math.max(p.total, 1);
    bar.value = p.total ? p.done : 0;
    document.getElementById('progress-text').textContent = p.total ? `${size(p.done)} / ${size(p.total)}` : '';
  });
  // The app locked itself because the machine slept: show nothing of the vault.
  onEvent('vault-locked', () => { forget(); sessionStorage.setItem('casefile.locked', 'sleep'); location.reload(); });
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey && (e.key === 'l' || e.key === 'L')) { e.preventDefault(); if (!document.getElementById('lock-btn').hidden) lockNow(); }
  });
  // No "save image" or "open in new window" from the page's context menu.
  document.addEventListener('contextmenu', (e) => { if (e.target.closest('img, video, audio, a')) e.preventDefault(); });
  for (const ev of ['keydown', 'mousemove', 'mousedown', 'wheel']) document.addEventListener(ev, resetIdle, { passive: true });
  resetIdle();
  const s = await refreshStatus();
  const locked = sessionStorage.getItem('casefile.locked');
  const lockError = sessionStorage.getItem('casefile.lock-error');
  const wiped = sessionStorage.getItem('casefile.wiped');
  for (const k of ['casefile.locked', 'casefile.lock-error', 'casefile.wiped']) sessionStorage.removeItem(k);
  if (s.unlocked) show('evidence'); else await showLocked();
  if (wiped) toast(t('wiped', { ms: wiped }), 'ok');
  else if (lockError) toast(t('lock_error', { why: lockError }));
  else if (locked === 'sleep') toast(t('locked_on_resume'), 'ok');
  else if (locked === 'idle') toast(t('locked_idle'), 'ok');
}

start();
