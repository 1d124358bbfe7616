//! Creating, unlocking and locking the vault; items; search.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use casefile::custody::{Event, Report};
use casefile::vault::{NewItem, Secret};
use casefile::{Item, Vault};
use serde::Serialize;
use tauri::{AppHandle, State};
use zeroize::Zeroizing;

use super::long_work;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What the start page needs to know.
#[derive(Serialize)]
pub struct Status {
    vault: PathBuf,
    exists: bool,
    unlocked: bool,
    key_id: Option<String>,
}

/// Whether a vault exists and is unlocked.
#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> ApiResult<Status> {
    let slot = state.slot();
    Ok(Status {
        vault: state.dir.clone(),
        exists: state.dir.join(casefile::vault::KEYSLOTS_FILE).is_file(),
        unlocked: slot.is_some(),
        key_id: slot.as_ref().map(|v| v.device_key().key_id_hex()),
    })
}

/// The recovery code, shown once.
#[derive(Serialize)]
pub struct Created {
    recovery_code: String,
    key_id: String,
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
        let collector = if collector.trim().is_empty() {
            "unnamed collector"
        } else {
            collector.trim()
        };
        let (vault, code) = Vault::create(&state.dir, &passphrase, collector)?;
        let created = Created {
            recovery_code: code.to_string(),
            key_id: vault.device_key().key_id_hex(),
        };
        *state.slot() = Some(vault);
        Ok(created)
    })
    .await
}

/// Unlocks the vault with the passphrase.
#[tauri::command]
pub async fn unlock<R: tauri::Runtime>(app: AppHandle<R>, passphrase: String) -> ApiResult<()> {
    let passphrase = Zeroizing::new(passphrase);
    long_work(app, "unlock", 0, move |state, _| {
        let vault = Vault::open(&state.dir, Secret::Passphrase(&passphrase))?;
        *state.slot() = Some(vault);
        Ok(())
    })
    .await
}

/// Locks: signs the last checkpoint and drops the vault and its keys.
#[tauri::command]
pub async fn lock(state: State<'_, AppState>) -> ApiResult<()> {
    if let Some(vault) = state.slot().take() {
        vault.close()?;
    }
    Ok(())
}

/// Destroys every key slot at once (crypto-erase) and removes the vault's
/// files; from then on nothing in the folder can be decrypted.
#[tauri::command]
pub async fn wipe_vault(state: State<'_, AppState>) -> ApiResult<casefile::vault::keys::Wiped> {
    // The open vault goes first, without a last checkpoint: speed matters here.
    drop(state.slot().take());
    Ok(casefile::vault::keys::wipe(&state.dir)?)
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

/// Adds files and folders (as dropped or picked), with progress.
#[tauri::command]
pub async fn add_files<R: tauri::Runtime>(
    app: AppHandle<R>,
    paths: Vec<String>,
    source: String,
) -> ApiResult<casefile::vault::Added> {
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    let (files, _skipped) = casefile::vault::collect_files(&paths)?;
    let total = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    long_work(app, "add", total, move |state, task| {
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

/// Asks the running long operation to stop (it leaves nothing half-done).
#[tauri::command]
pub async fn cancel(state: State<'_, AppState>) -> ApiResult<()> {
    state.cancel.store(true, Ordering::Relaxed);
    Ok(())
}

/// Full-text search.
#[tauri::command]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
) -> ApiResult<Vec<casefile::search::Hit>> {
    state.with(|v| Ok(casefile::search::search(v, &query)?))
}

/// Verifies the custody log.
#[tauri::command]
pub async fn verify_log(state: State<'_, AppState>) -> ApiResult<Report> {
    state.with(|v| Ok(v.verify_log()?))
}

impl From<&str> for ApiError {
    fn from(m: &str) -> Self {
        ApiError::new("invalid", m)
    }
}
