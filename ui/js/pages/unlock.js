// Create a vault (recovery code shown once, with a confirmation) or unlock it.
import { call } from '../api.js';
import { h, field } from '../dom.js';
import { t } from '../i18n.js';

export function unlockPage(status, done) {
  return status.exists ? unlockForm(status, done) : createForm(status, done);
}

function unlockForm(status, done) {
  const [passField, pass] = field(t('passphrase'), h('input', { type: 'password', autocomplete: 'current-password', id: 'unlock-pass' }));
  const error = h('p', { class: 'error', role: 'alert', id: 'unlock-error' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'unlock-btn', 'data-i18n': 'unlock' });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'unlock-title' },
    h('h1', { id: 'unlock-title', 'data-i18n': 'unlock_title' }),
    h('p', { class: 'muted', text: status.vault }),
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

function createForm(status, done) {
  const [p1Field, p1] = field(t('new_passphrase'), h('input', { type: 'password', autocomplete: 'new-password', id: 'create-pass' }), t('passphrase_hint'));
  const [p2Field, p2] = field(t('repeat_passphrase'), h('input', { type: 'password', autocomplete: 'new-password', id: 'create-pass2' }));
  const [cField, collector] = field(t('collector_name'), h('input', { type: 'text', id: 'create-collector' }), t('collector_hint'));
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'create-title' },
    h('h1', { id: 'create-title', 'data-i18n': 'create_title' }),
    h('p', { 'data-i18n': 'create_intro' }),
    h('p', { class: 'muted', text: status.vault }),
    p1Field, p2Field, cField, error,
    h('button', { type: 'submit', class: 'primary', id: 'create-btn', 'data-i18n': 'create_vault' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (p1.value !== p2.value) { error.textContent = t('passphrases_differ'); return; }
    try {
      const created = await call('create_vault', { passphrase: p1.value, collector: collector.value });
      p1.value = ''; p2.value = '';
      form.replaceWith(recoveryCard(created, done));
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return form;
}

function recoveryCard(created, done) {
  const check = h('input', { type: 'checkbox', id: 'recovery-confirm' });
  const go = h('button', { class: 'primary', id: 'recovery-continue', disabled: true, 'data-i18n': 'continue' });
  check.addEventListener('change', () => { go.disabled = !check.checked; });
  go.addEventListener('click', () => { code.textContent = ''; done(); });
  const code = h('p', { class: 'recovery', id: 'recovery-code', text: created.recovery_code });
  const card = h('section', { class: 'card narrow', 'aria-labelledby': 'recovery-title' },
    h('h1', { id: 'recovery-title', 'data-i18n': 'recovery_title' }),
    h('p', { 'data-i18n': 'recovery_intro' }),
    code,
    h('p', { class: 'muted', text: `${t('device_key')}: ${created.key_id}` }),
    h('label', { class: 'check' }, check, h('span', { 'data-i18n': 'recovery_confirm' })),
    go);
  setTimeout(() => card.querySelector('#recovery-confirm')?.focus(), 0);
  return card;
}

