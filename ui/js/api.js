// Calls into the app. Errors arrive as {code, message}; callers decide on code.
// The page has no global Tauri API (withGlobalTauri is off): it speaks to the
// app only through the IPC bridge, and only to the commands its capability
// allows. File dialogs open from Rust, which remembers what the user chose.
const ipc = window.__TAURI_INTERNALS__;
let token = null;

export async function call(command, args = {}) {
  try {
    return await ipc.invoke(command, args);
  } catch (e) {
    if (e && typeof e === 'object' && 'code' in e) throw e;
    throw { code: 'internal', message: String(e) };
  }
}

// Listens to an app event; resolves to a function that stops listening.
export async function onEvent(name, handler) {
  const id = await ipc.invoke('plugin:event|listen', {
    event: name,
    target: { kind: 'Any' },
    handler: ipc.transformCallback((e) => handler(e.payload)),
  });
  return async () => {
    window.__TAURI_EVENT_PLUGIN_INTERNALS__?.unregisterListener(name, id);
    await ipc.invoke('plugin:event|unlisten', { event: name, eventId: id });
  };
}

export async function pickFiles(folder = false) {
  return call('choose_files', { folder, many: !folder });
}

export async function pickFile() {
  return call('choose_files', { folder: false, many: false });
}

export async function pickSave(name) {
  return call('choose_destination', { name });
}

// The token of this unlock, which preview addresses carry (none when locked).
export function setToken(t) { token = t; }

// Address of a decrypted preview served by the app itself (never a file):
// `what` is 'thumb' or 'original'. Windows webviews reach custom schemes over http.
export function previewUrl(what, id) {
  const base = navigator.userAgent.includes('Windows') ? 'http://casefile.localhost' : 'casefile://localhost';
  return `${base}/${encodeURIComponent(token || 'locked')}/${what}/${encodeURIComponent(id)}`;
}
