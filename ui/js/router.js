// Which page is shown. Pages register with the shell (app.js); a page asks
// to be told when it is left (listeners, timers, observers), so nothing it
// set up outlives it.
import { h } from './dom.js';
import { t, translate } from './i18n.js';

const pages = {};
const leaving = [];
let current = 'evidence';
let currentArg;
let onLocked = () => {};

export function register(name, render) { pages[name] = render; }
export function whenLocked(f) { onLocked = f; }
export function here() { return [current, currentArg]; }

// Runs `f` when the page that is showing is left (or the app locks).
export function onLeave(f) { leaving.push(f); }

export function leave() {
  for (const f of leaving.splice(0)) {
    try { f(); } catch { /* leaving must go on */ }
  }
}

export async function show(page, arg) {
  leave();
  current = page;
  currentArg = arg;
  const main = document.getElementById('main');
  for (const b of document.querySelectorAll('#nav button')) {
    const section = { evidence_item: 'evidence', case: 'cases' }[page] || page;
    b.setAttribute('aria-current', b.dataset.page === section ? 'page' : 'false');
  }
  main.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  try {
    const content = await pages[page](arg);
    main.replaceChildren(content);
    translate(main);
    // Focus the page's heading, which names it, without scrolling the header away.
    const heading = main.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  } catch (e) {
    if (e.code === 'locked') return onLocked();
    main.replaceChildren(h('p', { class: 'error', role: 'alert', text: e.message || String(e) }));
  }
}
