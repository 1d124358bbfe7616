// How long the app waits before locking itself, chosen in Settings.
let minutes = Number(localStorage.getItem('casefile.idle') || 10);
let changed = () => {};

export function getIdleMinutes() { return minutes; }
export function setIdleMinutes(m) {
  minutes = m;
  localStorage.setItem('casefile.idle', String(m));
  changed();
}
export function onIdleChange(f) { changed = f; }
