//! Remotes (the organisation's storage) and deliveries through them:
//! sending a case, the inbox and the outbox. The network is reached without
//! holding the vault wherever the library allows (a connection needs no
//! vault once made), so locking waits only on work that reads the vault.

use casefile::bundle::{ExportOptions, Format};
use casefile::delivery::{self, Abandoned, Outgoing, Received, Sent, Strange, Waiting};
use casefile::remote::{Endpoint, Probe, Remote, RemoteName};
use casefile::vault::PendingSend;
use serde::Serialize;
use tauri::{AppHandle, Manager};
use zeroize::Zeroizing;

use super::bundles::{language, regime};
use super::long_work;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// The remotes (never their secrets).
#[tauri::command]
pub async fn list_remotes(
    state: tauri::State<'_, crate::state::AppState>,
) -> ApiResult<Vec<Remote>> {
    state.with(|v| Ok(v.remotes()?))
}

/// Adds a remote: `kind` is `webdav` (with `user`) or `s3` (with `bucket`,
/// `region` and `access_key`). The secret is kept only in the vault; nothing
/// is sent (`test_remote` checks it).
#[tauri::command]
#[allow(clippy::too_many_arguments)] // one per field of the form
pub async fn add_remote(
    state: tauri::State<'_, crate::state::AppState>,
    name: String,
    kind: String,
    url: String,
    user: Option<String>,
    bucket: Option<String>,
    region: Option<String>,
    access_key: Option<String>,
    proxy: Option<String>,
    secret: String,
) -> ApiResult<Remote> {
    let secret = Zeroizing::new(secret);
    let invalid = |e: String| ApiError::new(ErrorCode::Invalid, e);
    let name = RemoteName::parse(name.trim()).map_err(|e| invalid(e.to_string()))?;
    let text = |o: Option<String>| o.map(|s| s.trim().to_string()).unwrap_or_default();
    let endpoint = match kind.as_str() {
        "webdav" => Endpoint::webdav(url.trim(), &text(user)),
        "s3" => {
            let region = text(region);
            Endpoint::s3(
                url.trim(),
                &text(bucket),
                if region.is_empty() {
                    "us-east-1"
                } else {
                    &region
                },
                &text(access_key),
            )
        }
        _ => return Err(invalid("a remote is WebDAV or S3".into())),
    }
    .map_err(|e| invalid(e.to_string()))?;
    let proxy = proxy
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    state.with(|v| Ok(v.add_remote(&name, &endpoint, proxy.as_deref(), &secret)?))
}

/// Forgets a remote and its secret.
#[tauri::command]
pub async fn remove_remote(
    state: tauri::State<'_, crate::state::AppState>,
    name: String,
) -> ApiResult<Remote> {
    state.with(|v| Ok(v.remove_remote(&name)?))
}

/// Writes a small random object to the remote, reads it back and deletes it.
#[tauri::command]
pub async fn test_remote<R: tauri::Runtime>(app: AppHandle<R>, name: String) -> ApiResult<Probe> {
    long_work(app, "remote", 0, move |state, _task| {
        let storage = state.with(|v| Ok(v.connect_remote(&name)?))?;
        Ok(storage.probe()?)
    })
    .await
}

/// Exports a case encrypted to its recipients and delivers it to a remote,
/// with progress; cancelling (or locking) deletes the parts it wrote, a
/// failure keeps them for `resume_send`.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // one per field of the export wizard
pub async fn send_bundle<R: tauri::Runtime>(
    app: AppHandle<R>,
    case: String,
    remote: String,
    items: Vec<String>,
    recipients: Vec<String>,
    prepared_for: Option<String>,
    prefer_redacted: Option<bool>,
    language: Option<String>,
) -> ApiResult<Sent> {
    let recipients = casefile::bundle::parse_recipients(&recipients)?;
    let opts = ExportOptions {
        case,
        out: Default::default(),
        format: Format::Encrypted,
        items: (!items.is_empty()).then_some(items),
        recipients,
        prepared_for: regime(prepared_for)?,
        prefer_redacted: prefer_redacted.unwrap_or(false),
        language: self::language(language)?,
    };
    long_work(app, "send", 0, move |state, task| {
        state.with(|v| Ok(delivery::send(v, &remote, &opts, task)?))
    })
    .await
}

/// The sends that were interrupted (a network gone, a full disk, the app
/// closed) and wait to be resumed or abandoned.
#[tauri::command]
pub async fn pending_sends(
    state: tauri::State<'_, crate::state::AppState>,
) -> ApiResult<Vec<PendingSend>> {
    state.with(|v| Ok(delivery::pending(v)?))
}

/// Resumes an interrupted send, with progress: only the parts the remote
/// lacks are sent.
#[tauri::command]
pub async fn resume_send<R: tauri::Runtime>(
    app: AppHandle<R>,
    delivery: String,
) -> ApiResult<Sent> {
    long_work(app, "send", 0, move |state, task| {
        state.with(|v| Ok(delivery::resume(v, &delivery, task)?))
    })
    .await
}

/// Abandons an interrupted send: what it wrote on the remote is deleted.
#[tauri::command]
pub async fn abandon_send<R: tauri::Runtime>(
    app: AppHandle<R>,
    delivery: String,
) -> ApiResult<Abandoned> {
    long_work(app, "abandon", 0, move |state, _task| {
        state.with(|v| Ok(delivery::abandon(v, &delivery)?))
    })
    .await
}

/// What the inbox page shows of a remote.
#[derive(Serialize)]
pub struct Inbox {
    waiting: Vec<Waiting>,
    strange: Strange,
}

/// The deliveries waiting on a remote, and what is there besides.
#[tauri::command]
pub async fn inbox<R: tauri::Runtime>(app: AppHandle<R>, remote: String) -> ApiResult<Inbox> {
    long_work(app, "inbox", 0, move |state, _task| {
        // The vault is read first; the remote is listed without it, so a
        // lock never waits on the network.
        let (storage, known) =
            state.with(|v| Ok((v.connect_remote(&remote)?, delivery::known_keys(v)?)))?;
        let (waiting, strange) = delivery::waiting_among(&storage, &known)?;
        Ok(Inbox { waiting, strange })
    })
    .await
}

/// One delivery's outcome on import: taken in, or why not.
#[derive(Serialize)]
pub struct Taken {
    delivery: String,
    received: Option<Received>,
    error: Option<ApiError>,
}

/// Downloads, checks, verifies (known senders only) and imports every
/// waiting delivery, writing back a signed receipt for each one taken in.
/// One refused delivery does not stop the others; a cancel stops them all.
#[tauri::command]
pub async fn inbox_import<R: tauri::Runtime>(
    app: AppHandle<R>,
    remote: String,
    identity: String,
) -> ApiResult<Vec<Taken>> {
    let identity = crate::paths::input(&app.state::<crate::state::AppState>(), &identity)?;
    long_work(app, "import", 0, move |state, task| {
        let (storage, known) =
            state.with(|v| Ok((v.connect_remote(&remote)?, delivery::known_keys(v)?)))?;
        let (waiting, _) = delivery::waiting_among(&storage, &known)?;
        task.total(waiting.iter().map(|w| w.size * 3).sum());
        let mut out = Vec::new();
        for w in waiting {
            let got = state.with(|v| {
                Ok(delivery::receive(
                    v,
                    &storage,
                    &w.delivery,
                    &identity,
                    task,
                )?)
            });
            if task.cancelled() {
                got?;
                return Err(ApiError::new(ErrorCode::Cancelled, "cancelled"));
            }
            out.push(match got {
                Ok(r) => Taken {
                    delivery: w.delivery,
                    received: Some(r),
                    error: None,
                },
                Err(e) => Taken {
                    delivery: w.delivery,
                    received: None,
                    error: Some(e),
                },
            });
        }
        Ok(out)
    })
    .await
}

/// This vault's deliveries to a remote, and what their recipients said.
#[tauri::command]
pub async fn outbox<R: tauri::Runtime>(
    app: AppHandle<R>,
    remote: String,
) -> ApiResult<Vec<Outgoing>> {
    long_work(app, "outbox", 0, move |state, _task| {
        let (storage, sent) = state.with(|v| {
            let storage = v.connect_remote(&remote)?;
            let sent = delivery::sent_to(v, storage.name())?;
            Ok((storage, sent))
        })?;
        Ok(delivery::outbox_among(&storage, &sent)?)
    })
    .await
}
