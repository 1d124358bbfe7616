//! Creating, unlocking and locking the vault; items; search.

use std::path::PathBuf;

use casefile::custody::{Event, Report};
use casefile::vault::{NewItem, Secret};
use casefile::{Item, Vault};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use zeroize::Zeroizing;

use super::long_work;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// What the start page needs to know.
#[derive(Serialize)]
pub struct Status {
    vault: PathBuf,
    exists: bool,
    unlocked: bool,
    key_id: Option<String>,
    /// The device key's fingerprint (what recipients compare).
    fingerprint: Option<String>,
    /// The token preview addresses carry while unlocked.
    token: Option<String>,
}

/// Whether a vault exists and is unlocked. Never waits on running work: a
/// lock must be able to ask at any time.
#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> ApiResult<Status> {
    let token = state.token();
    let key = match state.try_slot() {
        Some(slot) => slot.as_ref().map(|v| v.device_key()),
        None => None,
    };
    Ok(Status {
        vault: state.dir.clone(),
        exists: state.dir.join(casefile::vault::KEYSLOTS_FILE).is_file(),
        unlocked: token.is_some(),
        key_id: key.map(|k| k.key_id_hex()),
        fingerprint: key.map(|k| k.fingerprint()),
        token,
    })
}

/// How strong a new passphrase is, for the meter beside the field.
#[tauri::command]
pub async fn passphrase_strength(
    passphrase: String,
    collector: Option<String>,
) -> ApiResult<casefile::vault::passphrase::Strength> {
    let passphrase = Zeroizing::new(passphrase);
    let context: Vec<&str> = collector.as_deref().into_iter().collect();
    Ok(casefile::vault::passphrase::strength(&passphrase, &context))
}

/// The recovery code, shown once.
#[derive(Serialize)]
pub struct Created {
    recovery_code: String,
    /// The group of the code (1 to 8) the person types back before going on.
    confirm_group: usize,
    key_id: String,
    fingerprint: String,
}

/// Creates the vault and leaves it unlocked.
#[tauri::command]
pub async fn create_vault<R: tauri::Runtime>(
    app: AppHandle<R>,
    passphrase: String,
    collector: String,
) -> ApiResult<Created> {
    let passphrase = Zeroizing::new(passphrase);
    long_work(app, "create", 0, move |state, _| {
        let (vault, code) = Vault::create(&state.dir, &passphrase, &collector)?;
        let created = Created {
            recovery_code: code.to_string(),
            confirm_group: casefile::store::keyslots::pick_recovery_group(),
            key_id: vault.device_key().key_id_hex(),
            fingerprint: vault.device_key().fingerprint(),
        };
        state.unlocked(vault);
        Ok(created)
    })
    .await
}

/// Whether `typed` is group `group` of the recovery code just shown, folded
/// as a typed code is (case, O for 0, I or L for 1): the card that shows the
/// code goes on only once part of it was written down right.
#[tauri::command]
pub async fn recovery_group_matches(code: String, group: usize, typed: String) -> ApiResult<bool> {
    let (code, typed) = (Zeroizing::new(code), Zeroizing::new(typed));
    Ok(casefile::store::keyslots::is_recovery_group(
        &code, group, &typed,
    ))
}

/// Unlocks the vault with the passphrase.
#[tauri::command]
pub async fn unlock<R: tauri::Runtime>(app: AppHandle<R>, passphrase: String) -> ApiResult<()> {
    let passphrase = Zeroizing::new(passphrase);
    long_work(app, "unlock", 0, move |state, _| {
        let vault = Vault::open(&state.dir, Secret::Passphrase(&passphrase))?;
        state.unlocked(vault);
        Ok(())
    })
    .await
}

/// Locks. Previews stop and running work is told to stop at once; then,
/// once that work has let go of the vault (well within a second), the last
/// checkpoint is signed and the vault and its keys are dropped.
#[tauri::command]
pub async fn lock<R: tauri::Runtime>(app: AppHandle<R>) -> ApiResult<()> {
    app.state::<AppState>().revoke();
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let vault = state.slot().take();
        match vault {
            Some(v) => Ok(v.close()?),
            None => Ok(()),
        }
    })
    .await
    .map_err(|e| ApiError::new(ErrorCode::Internal, format!("locking failed: {e}")))?
}

/// What a wipe did, as the page shows it.
#[derive(Serialize)]
pub struct WipeDone {
    /// Milliseconds until no key slot was left on disk.
    keys_destroyed_ms: f64,
    /// Whether every file was then removed too.
    files_removed: bool,
}

/// Destroys every key slot at once (crypto-erase) and removes the vault's
/// files; from then on nothing in the folder can be decrypted. Asks first,
/// here (a script in the page cannot answer the question); then destroys
/// the key slots on disk before waiting for anything, and only then lets go
/// of the open vault, writing nothing more into the folder.
#[tauri::command]
pub async fn wipe_vault<R: tauri::Runtime>(
    app: AppHandle<R>,
    question: String,
    confirm: String,
    cancel: String,
) -> ApiResult<WipeDone> {
    if !super::confirm(&app, &question, &confirm, &cancel).await? {
        return Err(ApiError::new(ErrorCode::Cancelled, "nothing was wiped"));
    }
    let state = app.state::<AppState>();
    state.revoke();
    let done = casefile::vault::keys::wipe(&state.dir)?;
    let wiped = WipeDone {
        keys_destroyed_ms: done.keys_destroyed_in.as_secs_f64() * 1000.0,
        files_removed: done.files_removed,
    };
    tauri::async_runtime::spawn_blocking(move || {
        if let Some(v) = app.state::<AppState>().slot().take() {
            v.discard();
        }
    })
    .await
    .map_err(|e| {
        ApiError::new(
            ErrorCode::Internal,
            format!("closing after the wipe failed: {e}"),
        )
    })?;
    Ok(wiped)
}

/// The wrong-passphrase guard: failures in a row and the wipe limit.
#[tauri::command]
pub async fn guard(state: State<'_, AppState>) -> ApiResult<casefile::vault::guard::Guard> {
    state.with(|_| Ok(casefile::vault::guard::Guard::load(&state.dir)))
}

/// Sets (None: clears) the number of wrong passphrases in a row after which
/// the keys are destroyed. Only while unlocked.
#[tauri::command]
pub async fn set_wipe_after(
    state: State<'_, AppState>,
    limit: Option<u32>,
) -> ApiResult<casefile::vault::guard::Guard> {
    state.with(|_| Ok(casefile::vault::guard::set_wipe_after(&state.dir, limit)?))
}

/// Every item.
#[tauri::command]
pub async fn list_items(state: State<'_, AppState>) -> ApiResult<Vec<Item>> {
    state.with(|v| Ok(v.list()?))
}

/// An item with its custody history (the view is logged).
#[derive(Serialize)]
pub struct Detail {
    item: Item,
    events: Vec<Event>,
    received: Vec<Event>,
    media: Option<casefile::media::MediaInfo>,
}

/// One item, viewed.
#[tauri::command]
pub async fn item_detail(state: State<'_, AppState>, id: String) -> ApiResult<Detail> {
    state.with(|v| {
        let item = v.view(&id)?;
        let events = v.log(Some(&item.id))?;
        let received = v
            .received_history(&item.id)?
            .into_iter()
            .map(|(_, _, e)| e)
            .collect();
        let media = v.media(&item.id)?;
        Ok(Detail {
            item,
            events,
            received,
            media,
        })
    })
}

/// Makes a redacted copy of a photo (metadata stripped; regions in pixels
/// of the picture as displayed).
#[tauri::command]
pub async fn redact(
    state: State<'_, AppState>,
    id: String,
    redaction: casefile::media::Redaction,
) -> ApiResult<Item> {
    state.with(|v| Ok(v.redact(&id, &redaction, &casefile::vault::NewItem::default())?))
}

/// Adds files and folders (chosen in the dialog, dropped, or typed and
/// checked), with progress; folders are walked inside the job, so a big one
/// can be cancelled too.
#[tauri::command]
pub async fn add_files<R: tauri::Runtime>(
    app: AppHandle<R>,
    paths: Vec<String>,
    source: String,
) -> ApiResult<casefile::vault::Added> {
    let state = app.state::<AppState>();
    let paths: Vec<PathBuf> = paths
        .iter()
        .map(|p| crate::paths::input(&state, p))
        .collect::<ApiResult<_>>()?;
    long_work(app, "add", 0, move |state, task| {
        let (files, _skipped) = casefile::vault::collect_files(&paths, task)?;
        state.with(|v| {
            let meta = NewItem {
                source: Some(source),
                ..NewItem::default()
            };
            Ok(v.add_files(&files, &meta, task, &mut |_| {})?)
        })
    })
    .await
}

/// Checks the vault at rest (quick, or deep: every item decrypted and
/// hashed), with progress.
#[tauri::command]
pub async fn check_vault<R: tauri::Runtime>(
    app: AppHandle<R>,
    deep: bool,
) -> ApiResult<casefile::vault::CheckReport> {
    let total = if deep {
        app.state::<AppState>()
            .with(|v| Ok(v.list()?.iter().map(|i| i.size).sum()))?
    } else {
        0
    };
    long_work(app, "check", total, move |state, task| {
        state.with(|v| Ok(v.check(deep, task)?))
    })
    .await
}

/// Asks the running long operation to stop (it leaves nothing half-done).
#[tauri::command]
pub async fn cancel(state: State<'_, AppState>) -> ApiResult<()> {
    state.cancel_all();
    Ok(())
}

/// Most search results the evidence list filters by: far more than a
/// screen, few enough to answer while the user types.
const SEARCH_LIMIT: usize = 5000;

/// Full-text search, saying whether more matched than were returned.
#[tauri::command]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
) -> ApiResult<casefile::search::Found> {
    state.with(|v| Ok(casefile::search::search_at_most(v, &query, SEARCH_LIMIT)?))
}

/// Verifies the custody log.
#[tauri::command]
pub async fn verify_log(state: State<'_, AppState>) -> ApiResult<Report> {
    state.with(|v| Ok(v.verify_log()?))
}

impl From<&str> for ApiError {
    fn from(m: &str) -> Self {
        ApiError::new(ErrorCode::Invalid, m)
    }
}
