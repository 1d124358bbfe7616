// What the pages tell the user: a toast, an error, the progress view of long
// work, and a question in a dialog that keeps focus inside it and gives it
// back. Pages import this, never the app shell.
import { h } from './dom.js';
import { t, translate } from './i18n.js';

export function toast(message, kind = 'error') {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.className = `toast ${kind}`;
  el.hidden = false;
  document.body.classList.add('toasting');
  clearTimeout(el._timer);
  el._timer = setTimeout(() => { el.hidden = true; document.body.classList.remove('toasting'); }, 6000);
}

// Hides the toast: an earlier error must not stand beside what later work says.
export function dismiss() {
  const el = document.getElementById('toast');
  clearTimeout(el._timer);
  el.hidden = true;
  document.body.classList.remove('toasting');
}

export function fail(e) {
  toast(e && e.message ? e.message : String(e));
}

// Long work: show the progress view until `promise` settles.
export async function withProgress(promise) {
  const box = document.getElementById('progress');
  const before = document.activeElement;
  dismiss();
  box.hidden = false;
  document.getElementById('progress-cancel').focus();
  try {
    return await promise;
  } finally {
    box.hidden = true;
    if (before && before.isConnected) before.focus({ preventScroll: true });
  }
}

// Keeps Tab and Shift+Tab among the focusable elements of `box`.
export function trapFocus(box, e) {
  if (e.key !== 'Tab') return;
  const stops = [...box.querySelectorAll('button, input, select, textarea, a[href], [tabindex]:not([tabindex="-1"])')]
    .filter((el) => !el.disabled && !el.hidden);
  if (!stops.length) return;
  const [first, last] = [stops[0], stops[stops.length - 1]];
  if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
  else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
}

// Asks a yes/no question in the page; resolves to true for yes. Escape is no.
export function confirmDialog(question, yes, no = t('cancel')) {
  return new Promise((resolve) => {
    const before = document.activeElement;
    const yesBtn = h('button', { class: 'primary', id: 'confirm-yes', text: yes });
    const noBtn = h('button', { id: 'confirm-no', text: no });
    const box = h('div', { class: 'progress', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'confirm-q', id: 'confirm' },
      h('div', { class: 'card' }, h('p', { id: 'confirm-q', text: question }), h('div', { class: 'row' }, yesBtn, noBtn)));
    const done = (answer) => {
      box.remove();
      if (before && before.isConnected) before.focus({ preventScroll: true });
      resolve(answer);
    };
    yesBtn.addEventListener('click', () => done(true));
    noBtn.addEventListener('click', () => done(false));
    box.addEventListener('keydown', (e) => { if (e.key === 'Escape') done(false); trapFocus(box, e); });
    document.body.append(box);
    translate(box);
    noBtn.focus();
  });
}
