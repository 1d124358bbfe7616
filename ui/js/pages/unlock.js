// Create a vault (a passphrase that is hard to guess; the recovery code
// shown once, and one group of it typed back) or unlock it.
import { call } from '../api.js';
import { h, field } from '../dom.js';
import { t, translate } from '../i18n.js';

export function unlockPage(status, done) {
  return status.exists ? unlockForm(status, done) : createForm(status, done);
}

function unlockForm(status, done) {
  const [passField, pass] = field(t('passphrase'), h('input', { type: 'password', autocomplete: 'current-password', id: 'unlock-pass' }));
  const error = h('p', { class: 'error', role: 'alert', id: 'unlock-error' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'unlock-btn', 'data-i18n': 'unlock' });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'unlock-title' },
    h('h1', { id: 'unlock-title', 'data-i18n': 'unlock_title' }),
    h('p', { class: 'muted', dir: 'ltr', text: status.vault }),
    passField, error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      await call('unlock', { passphrase: pass.value });
      pass.value = '';
      done();
    } catch (err) {
      error.textContent = err.code === 'wrong_passphrase' ? t('wrong_passphrase') : err.message;
      pass.select();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// A meter under the new passphrase: how long it would take to guess, and why.
function strengthMeter(input, collector) {
  const meter = h('meter', { id: 'strength-meter', min: 0, max: 4, low: 2, high: 3, optimum: 4, value: 0, 'aria-labelledby': 'strength-text' });
  const text = h('p', { id: 'strength-text', class: 'muted', 'aria-live': 'polite', text: t('strength_empty') });
  let pending = 0;
  const update = async () => {
    const mine = ++pending;
    if (!input.value) { meter.value = 0; text.textContent = t('strength_empty'); return; }
    const s = await call('passphrase_strength', { passphrase: input.value, collector: collector.value || null });
    if (mine !== pending) return;
    meter.value = s.score;
    const verdict = t(s.acceptable ? 'strength_ok' : 'strength_weak', { score: s.score });
    text.textContent = [verdict, s.warning, ...(s.suggestions || [])].filter(Boolean).join(' ');
    text.className = s.acceptable ? 'ok' : 'warn';
    input.setAttribute('aria-invalid', s.acceptable ? 'false' : 'true');
  };
  input.addEventListener('input', update);
  return { box: h('div', { class: 'strength' }, meter, text), ok: async () => { await update(); return meter.value >= 3; } };
}

function createForm(status, done) {
  const [p1Field, p1] = field(t('new_passphrase'), h('input', { type: 'password', autocomplete: 'new-password', id: 'create-pass' }), t('passphrase_hint'));
  const [p2Field, p2] = field(t('repeat_passphrase'), h('input', { type: 'password', autocomplete: 'new-password', id: 'create-pass2' }));
  const [cField, collector] = field(t('collector_name'), h('input', { type: 'text', id: 'create-collector' }), t('collector_hint'));
  const meter = strengthMeter(p1, collector);
  const error = h('p', { class: 'error', role: 'alert', id: 'create-error' });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'create-title' },
    h('h1', { id: 'create-title', 'data-i18n': 'create_title' }),
    h('p', { 'data-i18n': 'create_intro' }),
    h('p', { class: 'muted', dir: 'ltr', text: status.vault }),
    p1Field, meter.box, p2Field, cField, error,
    h('button', { type: 'submit', class: 'primary', id: 'create-btn', 'data-i18n': 'create_vault' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (p1.value !== p2.value) { error.textContent = t('passphrases_differ'); return; }
    try {
      const created = await call('create_vault', { passphrase: p1.value, collector: collector.value });
      p1.value = ''; p2.value = '';
      const card = recoveryCard(created, done);
      form.replaceWith(card);
      // The card is new to the page: its texts are put in the language now.
      translate(card);
      // Not "Locked": the vault is open, waiting for the code to be written down.
      document.getElementById('vault-status').textContent = t('status_created');
      card.querySelector('#recovery-group').focus();
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return form;
}

// The code is shown once, so the card goes on only once one group of it,
// picked at random, is typed back right: a checkbox is ticked without
// writing anything down.
function recoveryCard(created, done) {
  const vars = JSON.stringify({ group: created.confirm_group });
  const input = h('input', { type: 'text', id: 'recovery-group', autocomplete: 'off', spellcheck: 'false', maxlength: 8, dir: 'ltr', 'aria-describedby': 'recovery-group-error' });
  const label = h('label', { for: 'recovery-group', 'data-i18n': 'recovery_type_back', 'data-i18n-vars': vars });
  const error = h('p', { class: 'error', role: 'alert', id: 'recovery-group-error' });
  const go = h('button', { type: 'submit', class: 'primary', id: 'recovery-continue', 'data-i18n': 'continue' });
  const code = h('p', { class: 'recovery', id: 'recovery-code', text: created.recovery_code });
  const form = h('form', { id: 'recovery-form' }, h('div', { class: 'field' }, label, input), error, go);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const right = await call('recovery_group_matches', { code: created.recovery_code, group: created.confirm_group, typed: input.value });
    if (!right) {
      error.dataset.i18n = 'recovery_group_wrong';
      error.dataset.i18nVars = vars;
      error.textContent = t('recovery_group_wrong', { group: created.confirm_group });
      input.setAttribute('aria-invalid', 'true');
      input.select();
      return;
    }
    code.textContent = '';
    done();
  });
  return h('section', { class: 'card narrow', 'aria-labelledby': 'recovery-title' },
    h('h1', { id: 'recovery-title', 'data-i18n': 'recovery_title' }),
    h('p', { 'data-i18n': 'recovery_intro' }),
    code,
    h('h2', { 'data-i18n': 'device_fingerprint' }),
    h('p', { 'data-i18n': 'device_fingerprint_intro' }),
    h('p', { class: 'hash', dir: 'ltr', id: 'device-fingerprint', text: created.fingerprint }),
    form);
}
