// Small DOM helpers. Text always goes in as text, never as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let fieldId = 0;
// A labelled form field, its hint tied to it (aria-describedby) so a screen
// reader reads both; returns [wrapper, input].
export function field(label, input, hint) {
  const id = input.id || `f${++fieldId}`;
  input.id = id;
  const wrap = h('div', { class: 'field' }, h('label', { for: id, text: label }), input);
  if (hint) {
    const hintId = `${id}-hint`;
    wrap.append(h('small', { id: hintId, text: hint }));
    input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), hintId].filter(Boolean).join(' '));
  }
  return [wrap, input];
}

export function select(options, value) {
  const s = h('select');
  for (const [v, label] of options) s.append(h('option', { value: v, selected: v === value, text: label }));
  return s;
}

export function size(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
