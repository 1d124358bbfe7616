// Calls into the app. Errors arrive as {code, message}; callers decide on code.
const tauri = window.__TAURI__;

export async function call(command, args = {}) {
  try {
    return await tauri.core.invoke(command, args);
  } catch (e) {
    if (e && typeof e === 'object' && 'code' in e) throw e;
    throw { code: 'internal', message: String(e) };
  }
}

export function onEvent(name, handler) {
  return tauri.event.listen(name, (event) => handler(event.payload));
}

export async function pickFiles(directory = false) {
  const chosen = await tauri.dialog.open({ multiple: !directory, directory });
  if (!chosen) return [];
  return Array.isArray(chosen) ? chosen : [chosen];
}

export async function pickSave(defaultPath) {
  return tauri.dialog.save({ defaultPath });
}

export async function ask(message) {
  return tauri.dialog.ask(message, { kind: 'warning' });
}

// Address of a decrypted preview served by the app itself (never a file):
// `what` is 'thumb' or 'original'. Windows webviews reach custom schemes over http.
export function previewUrl(what, id) {
  const base = navigator.userAgent.includes('Windows') ? 'http://casefile.localhost' : 'casefile://localhost';
  return `${base}/${what}/${encodeURIComponent(id)}`;
}
