// The app shell: language, lock, navigation, progress, idle lock.
import { call, onEvent } from './api.js';
import { setLanguage, savedLanguage, t, translate } from './i18n.js';
import { h, size } from './dom.js';
import { unlockPage } from './pages/unlock.js';
import { evidencePage, itemPage } from './pages/evidence.js';
import { casesPage, casePage } from './pages/cases.js';
import { exportPage, verifyPage } from './pages/bundles.js';
import { settingsPage } from './pages/settings.js';

const pages = { evidence: evidencePage, evidence_item: itemPage, cases: casesPage, case: casePage, export: exportPage, verify: verifyPage, settings: settingsPage };
const main = document.getElementById('main');
let current = 'evidence';
let currentArg;
let idleMinutes = Number(localStorage.getItem('casefile.idle') || 10);
let idleTimer = null;

export function toast(message, kind = 'error') {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.className = `toast ${kind}`;
  el.hidden = false;
  clearTimeout(el._timer);
  el._timer = setTimeout(() => { el.hidden = true; }, 6000);
}

export function fail(e) {
  toast(e && e.message ? e.message : String(e));
}

export async function show(page, arg) {
  current = page;
  currentArg = arg;
  for (const b of document.querySelectorAll('#nav button')) {
    const section = { evidence_item: 'evidence', case: 'cases' }[page] || page;
    b.setAttribute('aria-current', b.dataset.page === section ? 'page' : 'false');
  }
  main.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  try {
    const content = await pages[page](arg);
    main.replaceChildren(content);
    translate(main);
    main.focus();
  } catch (e) {
    if (e.code === 'locked') return showLocked();
    main.replaceChildren(h('p', { class: 'error', text: e.message || String(e) }));
  }
}

export async function refreshStatus() {
  const s = await call('status');
  const status = document.getElementById('vault-status');
  status.textContent = s.unlocked ? t('status_unlocked', { key: s.key_id }) : t('status_locked');
  document.getElementById('nav').hidden = !s.unlocked;
  document.getElementById('lock-btn').hidden = !s.unlocked;
  return s;
}

export async function showLocked() {
  const s = await refreshStatus();
  main.replaceChildren(unlockPage(s, async () => { await refreshStatus(); show('evidence'); }));
  translate(main);
  main.querySelector('input')?.focus();
}

async function lockNow() {
  await call('lock');
  await showLocked();
}

function resetIdle() {
  clearTimeout(idleTimer);
  if (idleMinutes > 0) idleTimer = setTimeout(() => { if (!document.getElementById('nav').hidden) lockNow(); }, idleMinutes * 60000);
}

export function setIdleMinutes(m) {
  idleMinutes = m;
  localStorage.setItem('casefile.idle', String(m));
  resetIdle();
}

export function getIdleMinutes() { return idleMinutes; }

// Long work: show the progress view until `promise` settles.
export async function withProgress(promise) {
  const box = document.getElementById('progress');
  box.hidden = false;
  document.getElementById('progress-cancel').focus();
  try {
    return await promise;
  } finally {
    box.hidden = true;
  }
}

window.addEventListener('error', (e) => toast(e.message));
window.addEventListener('unhandledrejection', (e) => toast(e.reason && e.reason.message ? e.reason.message : String(e.reason)));

async function start() {
  const langSelect = document.getElementById('lang-select');
  langSelect.value = savedLanguage();
  await setLanguage(langSelect.value);
  langSelect.addEventListener('change', async () => {
    await setLanguage(langSelect.value);
    // Labels made at render time follow the new language too.
    const s = await refreshStatus();
    if (s.unlocked) show(current, currentArg); else showLocked();
  });
  document.getElementById('lock-btn').addEventListener('click', lockNow);
  for (const b of document.querySelectorAll('#nav button')) b.addEventListener('click', () => show(b.dataset.page));
  document.getElementById('progress-cancel').addEventListener('click', () => call('cancel'));
  onEvent('progress', (p) => {
    const bar = document.getElementById('progress-bar');
    bar.max = Math.max(p.total, 1);
    bar.value = p.total ? p.done : 0;
    document.getElementById('progress-text').textContent = p.total ? `${size(p.done)} / ${size(p.total)}` : '';
  });
  // The app locked itself because the machine slept: show nothing of the vault.
  onEvent('vault-locked', async () => { await showLocked(); toast(t('locked_on_resume'), 'ok'); });
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey && (e.key === 'l' || e.key === 'L')) { e.preventDefault(); if (!document.getElementById('lock-btn').hidden) lockNow(); }
  });
  for (const ev of ['keydown', 'mousemove', 'mousedown', 'wheel']) document.addEventListener(ev, resetIdle, { passive: true });
  resetIdle();
  const s = await refreshStatus();
  if (s.unlocked) show(current); else showLocked();
}

start();
