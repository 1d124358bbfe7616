// The organisation's storage: remotes in Settings (add, test, remove), and
// the Inbox page (deliveries waiting, taking them in, and what this vault
// sent). Names and ids read from a server are data: text only, never markup.
import { call, pickFile } from '../api.js';
import { h, field, select, size } from '../dom.js';
import { t } from '../i18n.js';
import { confirmDialog, fail, toast, withProgress } from '../feedback.js';
import { show } from '../router.js';

// Sends that were interrupted, each resumed (only the parts the server lacks
// are sent) or abandoned (what it sent is deleted).
export async function interruptedCard() {
  const list = h('ul', { id: 'interrupted' });
  const out = h('p', { id: 'interrupted-result', 'aria-live': 'polite' });
  const render = async () => {
    const all = await call('pending_sends');
    list.replaceChildren(...all.map((p) => {
      const resume = h('button', { type: 'button', class: 'resume', text: t('resume_send') });
      resume.addEventListener('click', async () => {
        try {
          const sent = await withProgress(call('resume_send', { delivery: p.delivery }));
          out.textContent = t('resumed', { d: sent.delivery, remote: sent.remote, parts: sent.objects.length, kept: sent.kept });
        } catch (e) { if (e.code !== 'cancelled') fail(e); }
        await render();
      });
      const abandon = h('button', { type: 'button', class: 'link abandon', text: t('abandon_send') });
      abandon.addEventListener('click', async () => {
        if (!await confirmDialog(t('abandon_confirm', { d: p.delivery }), t('abandon_send'))) return;
        try {
          const a = await withProgress(call('abandon_send', { delivery: p.delivery }));
          out.textContent = t('abandoned', { d: a.delivery, n: a.deleted });
        } catch (e) { fail(e); }
        await render();
      });
      return h('li', {}, h('code', { dir: 'ltr', text: p.delivery }), ' ',
        h('span', { text: t('interrupted_item', { remote: p.remote, time: p.started_at, n: p.parts }) }), ' ', resume, ' ', abandon);
    }));
    if (!all.length) list.append(h('li', { class: 'muted', text: t('interrupted_none') }));
  };
  await render();
  return h('div', { class: 'card', role: 'region', 'aria-labelledby': 'interrupted-h' },
    h('h2', { id: 'interrupted-h', text: t('interrupted_title') }), h('p', { class: 'muted', text: t('interrupted_intro') }), list, out);
}

// The Settings card: the remotes, each with a test and a remove button, and
// the form that adds one. The secret goes to the vault and nowhere else.
export async function remotesCard() {
  const list = h('ul', { id: 'remotes' });
  const out = h('p', { id: 'remote-result', 'aria-live': 'polite' });
  const render = (remotes) => {
    list.replaceChildren(...remotes.map((r) => {
      const test = h('button', { type: 'button', class: 'link', text: t('test_remote', { name: r.name }) });
      test.addEventListener('click', async () => {
        out.replaceChildren();
        try {
          const p = await withProgress(call('test_remote', { name: r.name }));
          out.className = 'ok';
          out.textContent = t('remote_works', { name: p.remote, n: p.bytes, ms: p.millis });
        } catch (e) { out.className = 'warn'; out.textContent = e.message; }
      });
      const remove = h('button', { type: 'button', class: 'link', text: t('remove_remote', { name: r.name }) });
      remove.addEventListener('click', async () => {
        try { await call('remove_remote', { name: r.name }); render(await call('list_remotes')); } catch (e) { fail(e); }
      });
      const where = r.endpoint.kind === 's3' ? `S3 ${r.endpoint.url} · ${r.endpoint.bucket}` : `WebDAV ${r.endpoint.url} · ${r.endpoint.user}`;
      return h('li', {}, h('strong', { text: r.name }), ' ', h('code', { dir: 'ltr', text: where }),
        r.proxy ? h('span', { class: 'muted', text: ` ${t('via_proxy', { proxy: r.proxy })}` }) : null, ' ', test, ' ', remove);
    }));
    if (!remotes.length) list.append(h('li', { class: 'muted', text: t('no_remotes') }));
  };
  render(await call('list_remotes'));

  const kind = select([['webdav', t('remote_webdav')], ['s3', t('remote_s3')]], 'webdav');
  kind.id = 'remote-kind';
  const [kF] = field(t('remote_kind'), kind);
  const [nF, name] = field(t('remote_name'), h('input', { type: 'text', id: 'remote-name', dir: 'ltr', pattern: '[a-z0-9][a-z0-9-]{0,31}' }), t('remote_name_hint'));
  const [uF, url] = field(t('remote_url'), h('input', { type: 'url', id: 'remote-url', dir: 'ltr' }), t('remote_url_hint'));
  const [userF, user] = field(t('remote_user'), h('input', { type: 'text', id: 'remote-user', dir: 'ltr', autocomplete: 'off' }));
  const [bF, bucket] = field(t('remote_bucket'), h('input', { type: 'text', id: 'remote-bucket', dir: 'ltr' }));
  const [rF, region] = field(t('remote_region'), h('input', { type: 'text', id: 'remote-region', dir: 'ltr', placeholder: 'us-east-1' }));
  const [aF, access] = field(t('remote_access_key'), h('input', { type: 'text', id: 'remote-access-key', dir: 'ltr', autocomplete: 'off' }));
  const [sF, secret] = field(t('remote_secret'), h('input', { type: 'password', id: 'remote-secret', autocomplete: 'off' }), t('remote_secret_hint'));
  const [pF, proxy] = field(t('remote_proxy'), h('input', { type: 'text', id: 'remote-proxy', dir: 'ltr', placeholder: 'socks5h://127.0.0.1:9050' }), t('remote_proxy_hint'));
  const s3Only = [bF, rF, aF];
  const shown = () => {
    for (const f of s3Only) f.hidden = kind.value !== 's3';
    userF.hidden = kind.value === 's3';
  };
  kind.addEventListener('change', shown);
  shown();
  const add = h('button', { type: 'submit', id: 'add-remote', text: t('add_remote') });
  const form = h('form', { id: 'remote-form', 'aria-labelledby': 'remote-form-h' }, h('h3', { id: 'remote-form-h', text: t('add_remote') }),
    kF, nF, uF, userF, bF, rF, aF, sF, pF, add);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const added = name.value;
      await call('add_remote', { name: name.value, kind: kind.value, url: url.value, user: user.value || null,
        bucket: bucket.value || null, region: region.value || null, accessKey: access.value || null,
        proxy: proxy.value || null, secret: secret.value });
      for (const input of [secret, name, url, user, bucket, region, access, proxy]) input.value = '';
      toast(t('remote_added', { name: added }), 'ok');
      render(await call('list_remotes'));
    } catch (err) { fail(err); }
  });
  return h('div', { class: 'card', role: 'region', 'aria-labelledby': 'remotes-h' },
    h('h2', { id: 'remotes-h', text: t('remotes') }), h('p', { class: 'muted', text: t('remotes_intro') }), list, out, form);
}

function takenItem(r) {
  if (r.received) {
    const got = r.received.imported;
    return h('li', { class: 'ok' }, h('span', { text: t('delivery_taken', { d: r.delivery, n: got.items.length, who: got.pinned || '?' }) }), ' ',
      got.case ? h('button', { type: 'button', class: 'link', text: t('open_case'), onclick: () => show('case', got.case) }) : null);
  }
  const hint = r.error.code === 'unpinned' ? ` ${t('delivery_unpinned_hint')}` : '';
  return h('li', { class: 'warn', text: `${r.delivery}: ${r.error.message}${hint}` });
}

function outgoingItem(o) {
  let state;
  if (o.receipt && o.received_by && (!o.receipt.verified || o.problem)) state = t('outbox_not_verified', { who: o.received_by, time: o.receipt.received_at });
  else if (o.receipt && o.received_by) state = t('outbox_received', { who: o.received_by, time: o.receipt.received_at });
  else if (o.receipt) state = t('outbox_unknown_receipt', { fp: o.receipt_key || '?' });
  else if (o.problem) state = t('outbox_refused', { why: o.problem });
  else state = t('outbox_waiting');
  const cls = o.received_by ? (o.receipt.verified && !o.problem ? 'ok' : 'warn') : '';
  return h('li', { class: cls }, h('code', { dir: 'ltr', text: o.delivery }), ' ',
    h('span', { text: `${t('sent_at', { time: o.sent_at })} · ${state}` }));
}

// The Inbox page: pick a remote, see what waits for this vault, take it in
// (decrypted with an age identity file, verified against known senders,
// receipts written back), and see what this vault sent and who received it.
export async function inboxPage() {
  const remotes = await call('list_remotes');
  const section = (...c) => h('section', { 'aria-labelledby': 'inbox-h' }, h('h1', { id: 'inbox-h', text: t('nav_inbox') }), ...c);
  if (!remotes.length) {
    return section(h('p', { class: 'muted', text: t('inbox_no_remotes') }),
      h('button', { type: 'button', text: t('nav_settings'), onclick: () => show('settings') }));
  }
  const remote = select(remotes.map((r) => [r.name, r.name]), remotes[0].name);
  remote.id = 'inbox-remote';
  const [rF] = field(t('remote'), remote);
  const waitingOut = h('div', { id: 'inbox-waiting', 'aria-live': 'polite' });
  const takenOut = h('ul', { id: 'inbox-taken', 'aria-live': 'polite' });
  const sentOut = h('div', { id: 'outbox', 'aria-live': 'polite' });
  const look = async () => {
    try {
      const box = await withProgress(call('inbox', { remote: remote.value }));
      const notes = [
        ...box.strange.not_deliveries.map((n) => t('inbox_not_delivery', { n })),
        ...box.strange.refused.map(([d, why]) => t('inbox_refused', { d, why })),
        ...box.strange.unknown_receipts.map((d) => t('inbox_unknown_receipt', { d })),
      ];
      waitingOut.replaceChildren(
        h('p', { id: 'inbox-count', text: box.waiting.length ? t('inbox_waiting', { n: box.waiting.length }) : t('inbox_empty') }),
        h('ul', {}, ...box.waiting.map((w) => h('li', {}, h('code', { dir: 'ltr', text: w.delivery }), ' ',
          h('span', { text: `${size(w.size)} · ${t('parts_n', { n: w.parts })}` })))),
        ...(notes.length ? [h('ul', { class: 'warn' }, ...notes.map((n) => h('li', { text: n })))] : []));
    } catch (e) { fail(e); }
  };
  const lookBtn = h('button', { type: 'button', id: 'inbox-look', text: t('inbox_look'), onclick: () => { takenOut.replaceChildren(); look(); } });
  const [iF, identity] = field(t('identity_file'), h('input', { type: 'text', id: 'inbox-identity', dir: 'ltr' }), t('inbox_identity_hint'));
  const chooseId = h('button', { type: 'button', text: t('choose_identity') });
  chooseId.addEventListener('click', async () => { const [p] = await pickFile(); if (p) identity.value = p; });
  const take = h('button', { type: 'button', class: 'primary', id: 'inbox-import', text: t('inbox_import') });
  take.addEventListener('click', async () => {
    if (!identity.value) { toast(t('inbox_identity_first')); identity.focus(); return; }
    try {
      const all = await withProgress(call('inbox_import', { remote: remote.value, identity: identity.value }));
      takenOut.replaceChildren(...all.map(takenItem));
      if (!all.length) takenOut.append(h('li', { class: 'muted', text: t('inbox_empty') }));
      await look();
    } catch (e) { fail(e); }
  });
  const sent = async () => {
    try {
      const all = await withProgress(call('outbox', { remote: remote.value }));
      sentOut.replaceChildren(all.length ? h('ul', {}, ...all.map(outgoingItem)) : h('p', { class: 'muted', text: t('outbox_empty') }));
    } catch (e) { fail(e); }
  };
  const sentBtn = h('button', { type: 'button', id: 'outbox-look', text: t('outbox_look'), onclick: sent });
  return section(
    h('div', { class: 'card', role: 'region', 'aria-labelledby': 'inbox-in-h' }, h('h2', { id: 'inbox-in-h', text: t('inbox_title') }),
      h('p', { class: 'muted', text: t('inbox_intro') }), rF, lookBtn, waitingOut, iF, chooseId, take, takenOut),
    h('div', { class: 'card', role: 'region', 'aria-labelledby': 'outbox-h' }, h('h2', { id: 'outbox-h', text: t('outbox_title') }),
      h('p', { class: 'muted', text: t('outbox_intro') }), sentBtn, sentOut),
    await interruptedCard());
}
