// An item's preview (streamed from the vault, never written to disk), the
// facts read from its metadata, and the redaction tool for photos.
import { call, previewUrl } from '../api.js';
import { h, field, select } from '../dom.js';
import { t } from '../i18n.js';
import { fail, toast } from '../feedback.js';
import { onLeave, show } from '../router.js';

// Types the app previews (the same allow-list as the app's protocol).
const PICTURES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
const SOUNDS = new Set(['audio/mp4', 'audio/mpeg', 'audio/ogg', 'audio/webm', 'audio/wav', 'audio/x-wav', 'audio/vnd.wave', 'audio/flac', 'audio/x-flac']);
const FILMS = new Set(['video/mp4', 'video/webm', 'video/ogg']);

export function shownAsPicture(mime) { return PICTURES.has(mime); }

// Rows of facts from the item's own metadata, for the item's <dl>.
export function mediaFacts(m) {
  if (!m) return [];
  const rows = [];
  if (m.width && m.height) rows.push(['dimensions', `${m.width} × ${m.height}`]);
  if (m.captured_at) rows.push(['captured_device', m.captured_at]);
  // A document's dates are the document's own, not a device's.
  const doc = m.pdf_version != null;
  if (m.created_at) rows.push([doc ? 'created_document' : 'created_file', m.created_at]);
  if (m.modified_at) rows.push([doc ? 'modified_document' : 'modified_device', m.modified_at]);
  if (m.gps_time) rows.push(['gps_time', m.gps_time]);
  if (m.position) {
    const p = m.position;
    let s = `${p.latitude.toFixed(6)}, ${p.longitude.toFixed(6)}`;
    if (p.accuracy != null) s += ` (±${Math.round(p.accuracy)} m)`;
    rows.push(['gps_position', s]);
  }
  const device = [m.make, m.model].filter(Boolean).join(' ');
  if (device) rows.push(['device', device]);
  if (m.software) rows.push(['software', m.software]);
  if (m.made_with) rows.push(['made_with', m.made_with]);
  if (m.duration != null) rows.push(['duration', `${m.duration.toFixed(1)} s`]);
  if (m.video_codec) rows.push(['video_codec', [m.video_codec, m.frame_rate && `${m.frame_rate} fps`].filter(Boolean).join(', ')]);
  if (m.codec) rows.push(['audio_codec', [m.codec, m.channels && `${m.channels} ch`, m.sample_rate && `${m.sample_rate} Hz`].filter(Boolean).join(', ')]);
  if (m.pages != null) rows.push(['pages', String(m.pages)]);
  if (m.encrypted) rows.push(['pdf_encrypted', t('yes')]);
  if (m.note) rows.push(['media_note', m.note]);
  return rows;
}

// The preview element for an item, or a sentence saying why there is none.
export function preview(item, m) {
  const src = previewUrl('original', item.id);
  if (PICTURES.has(item.mime) && m && m.width) {
    return h('img', { id: 'preview', class: 'preview', src, alt: t('preview_of', { title: item.title }), draggable: 'false' });
  }
  // Nothing is fetched until the user presses play.
  const label = t('preview_of', { title: item.title });
  if (SOUNDS.has(item.mime)) return h('audio', { id: 'preview', controls: true, preload: 'none', src, 'aria-label': label });
  if (FILMS.has(item.mime)) return h('video', { id: 'preview', class: 'preview', controls: true, preload: 'none', src, 'aria-label': label });
  if (item.mime.startsWith('audio/') || item.mime.startsWith('video/')) return h('p', { class: 'muted', 'data-i18n': 'no_media_preview' });
  if (item.mime === 'application/pdf') return h('p', { class: 'muted', 'data-i18n': 'no_pdf_preview' });
  if (m && m.note) return h('p', { class: 'warn', text: m.note });
  return null;
}

// Positions an overlay through CSSOM: the CSP forbids inline style attributes.
function place(el, x, y, w, hh) {
  Object.assign(el.style, { left: `${x}px`, top: `${y}px`, width: `${w}px`, height: `${hh}px` });
  return el;
}

// Draw rectangles on the photo (or type them) and make a redacted copy.
export function redactTool(item, m, img) {
  const regions = [];
  const stage = h('div', { class: 'stage' });
  const list = h('ul', { class: 'regions', id: 'regions' });
  const mode = select([['box', t('redact_box')], ['blur', t('redact_blur')]], 'box');
  mode.id = 'redact-mode';
  const [modeField] = field(t('redact_mode'), mode);
  const nums = ['x', 'y', 'w', 'h'].map((k) => field(t(`region_${k}`), h('input', { type: 'number', min: '0', id: `region-${k}` })));
  const addBtn = h('button', { id: 'region-add', 'data-i18n': 'region_add' });
  const makeBtn = h('button', { class: 'primary', id: 'redact-go', disabled: true, 'data-i18n': 'redact_go' });

  const scale = () => m.width / (img.clientWidth || m.width);
  const draw = () => {
    stage.querySelectorAll('.region').forEach((el) => el.remove());
    list.replaceChildren(...regions.map((r, i) => {
      const s = 1 / scale();
      stage.append(place(h('div', { class: `region ${r.mode}` }), r.x * s, r.y * s, r.w * s, r.h * s));
      const remove = h('button', { class: 'small', 'aria-label': t('remove_region', { n: i + 1 }), onclick: () => { regions.splice(i, 1); draw(); } }, t('remove'));
      return h('li', {}, remove, `${t(`redact_${r.mode}`)}: ${r.x}, ${r.y}, ${r.w} × ${r.h}`);
    }));
    makeBtn.disabled = regions.length === 0;
  };
  const add = (r) => {
    const x = Math.max(0, Math.min(m.width - 1, Math.round(r.x)));
    const y = Math.max(0, Math.min(m.height - 1, Math.round(r.y)));
    const w = Math.max(1, Math.min(m.width - x, Math.round(r.w)));
    const hgt = Math.max(1, Math.min(m.height - y, Math.round(r.h)));
    regions.push({ mode: mode.value, x, y, w, h: hgt });
    draw();
  };
  addBtn.addEventListener('click', () => {
    const [x, y, w, hh] = nums.map(([, input]) => Number(input.value));
    if (!(w > 0 && hh > 0)) return toast(t('region_invalid'));
    add({ x, y, w, h: hh });
  });

  // Pointer drawing: a drag over the photo makes one region.
  let start = null;
  const rubber = h('div', { class: 'region drawing', hidden: true });
  const at = (e) => { const b = img.getBoundingClientRect(); return [(e.clientX - b.left) * scale(), (e.clientY - b.top) * scale()]; };
  img.addEventListener('pointerdown', (e) => { start = at(e); img.setPointerCapture(e.pointerId); e.preventDefault(); });
  img.addEventListener('pointermove', (e) => {
    if (!start) return;
    const [x, y] = at(e);
    const s = 1 / scale();
    rubber.hidden = false;
    place(rubber, Math.min(x, start[0]) * s, Math.min(y, start[1]) * s, Math.abs(x - start[0]) * s, Math.abs(y - start[1]) * s);
  });
  img.addEventListener('pointerup', (e) => {
    if (!start) return;
    const [x, y] = at(e);
    rubber.hidden = true;
    if (Math.abs(x - start[0]) > 3 && Math.abs(y - start[1]) > 3) {
      add({ x: Math.min(x, start[0]), y: Math.min(y, start[1]), w: Math.abs(x - start[0]), h: Math.abs(y - start[1]) });
    }
    start = null;
  });
  window.addEventListener('resize', draw);
  onLeave(() => window.removeEventListener('resize', draw));

  makeBtn.addEventListener('click', async () => {
    const redaction = { boxes: regions.filter((r) => r.mode === 'box').map(({ x, y, w, h: hh }) => ({ x, y, w, h: hh })),
      blurs: regions.filter((r) => r.mode === 'blur').map(({ x, y, w, h: hh }) => ({ x, y, w, h: hh })) };
    try {
      const copy = await call('redact', { id: item.id, redaction });
      toast(t('redacted_ok'), 'ok');
      show('evidence_item', copy.id);
    } catch (e) { fail(e); }
  });

  stage.append(img, rubber);
  return h('div', { class: 'card', id: 'redact' },
    h('h2', { 'data-i18n': 'redact_title' }),
    h('p', { class: 'muted', 'data-i18n': 'redact_help' }),
    modeField, h('div', { class: 'row' }, ...nums.map(([f]) => f)), addBtn, list, makeBtn);
}
