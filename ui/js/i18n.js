// Strings live in ui/i18n/<lang>.json; the page switches language at run time.
const RTL = new Set(['ar']);
let strings = {};
let fallback = {};

async function load(lang) {
  const response = await fetch(`i18n/${lang}.json`);
  return response.json();
}

export async function setLanguage(lang) {
  if (!Object.keys(fallback).length) fallback = await load('en');
  strings = lang === 'en' ? fallback : await load(lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = RTL.has(lang) ? 'rtl' : 'ltr';
  localStorage.setItem('casefile.lang', lang);
  translate(document);
}

// Fills {name} placeholders in one pass, with a function so that a value is
// never read as a pattern: a value from a bundle or a server holding "{why}"
// or "$&" stays exactly what it is.
export function t(key, vars = {}) {
  const s = strings[key] ?? fallback[key] ?? key;
  return s.replace(/\{([a-z_]+)\}/g, (whole, name) => (Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole));
}

export function translate(root) {
  // data-i18n-vars holds a string's placeholders (JSON), so that a text
  // with a number in it follows a change of language too.
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n, el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : {});
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}

export function savedLanguage() {
  return localStorage.getItem('casefile.lang') || 'en';
}
