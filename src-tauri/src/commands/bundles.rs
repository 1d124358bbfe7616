//! Export, verify and import bundles, with progress.

use casefile::bundle::{
    self, ExportOptions, Exported, Format, ImportOptions, Imported, Limits, Source, Trust, Verdict,
};
use casefile::case::sheet::Regime;
use tauri::{AppHandle, Manager};

use super::long_work;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Exports a case as a sealed bundle.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // one per field of the export wizard
pub async fn export_bundle<R: tauri::Runtime>(
    app: AppHandle<R>,
    case: String,
    out: String,
    zip: bool,
    items: Vec<String>,
    recipients: Vec<String>,
    prepared_for: Option<String>,
    prefer_redacted: Option<bool>,
    language: Option<String>,
) -> ApiResult<Exported> {
    let out = crate::paths::output(&app.state::<crate::state::AppState>(), &out)?;
    let recipients = casefile::bundle::parse_recipients(&recipients)?;
    let prepared_for = regime(prepared_for)?;
    let format = Format::chosen(&recipients, zip)?;
    let out = format.path_for(&out)?;
    let items = (!items.is_empty()).then_some(items);
    let language = self::language(language)?;
    let opts = ExportOptions {
        case,
        out,
        format,
        items,
        recipients,
        prepared_for,
        prefer_redacted: prefer_redacted.unwrap_or(false),
        language,
    };
    long_work(app, "export", 0, move |state, task| {
        state.with(|v| Ok(bundle::export(v, &opts, task)?))
    })
    .await
}

/// The regime a bundle is prepared for, as the wizard gives it (empty: the
/// case's first).
pub(super) fn regime(given: Option<String>) -> ApiResult<Option<Regime>> {
    given
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<Regime>()
                .map_err(|e| ApiError::new(ErrorCode::Invalid, e))
        })
        .transpose()
}

/// The further language of the verification instructions (empty: English only).
pub(super) fn language(given: Option<String>) -> ApiResult<Option<casefile::bundle::Language>> {
    given
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.parse::<casefile::bundle::Language>()
                .map_err(|e| ApiError::new(ErrorCode::Invalid, e))
        })
        .transpose()
}

/// What the unlocked vault trusts: its known senders and its own key
/// (nothing while locked: every signer is then unpinned).
fn vault_trust(state: &crate::state::AppState) -> Trust {
    state.with(|v| Ok(Trust::of_vault(v)?)).unwrap_or_default()
}

/// Verifies a bundle against the vault's known senders.
#[tauri::command]
pub async fn verify_bundle<R: tauri::Runtime>(
    app: AppHandle<R>,
    path: String,
    identity: Option<String>,
) -> ApiResult<Verdict> {
    let state = app.state::<crate::state::AppState>();
    let path = crate::paths::input(&state, &path)?;
    let identity = crate::paths::optional_input(&state, identity.as_deref())?;
    long_work(app, "verify", 0, move |state, task| {
        let source = Source::open(&path, identity.as_deref())?;
        let trust = vault_trust(state);
        Ok(bundle::verify(&source, &Limits::default(), &trust, task)?)
    })
    .await
}

/// Verifies and imports a bundle.
#[tauri::command]
pub async fn import_bundle<R: tauri::Runtime>(
    app: AppHandle<R>,
    path: String,
    identity: Option<String>,
    trust_as: Option<String>,
    unsigned: bool,
) -> ApiResult<Imported> {
    let state = app.state::<crate::state::AppState>();
    let path = crate::paths::input(&state, &path)?;
    let identity = crate::paths::optional_input(&state, identity.as_deref())?;
    long_work(app, "import", 0, move |state, task| {
        let source = Source::open(&path, identity.as_deref())?;
        let opts = ImportOptions {
            key: None,
            trust_as: trust_as.filter(|t| !t.trim().is_empty()),
            unsigned,
        };
        state.with(|v| Ok(bundle::import(v, &source, &Limits::default(), &opts, task)?))
    })
    .await
}

/// The known senders.
#[tauri::command]
pub async fn list_senders(
    state: tauri::State<'_, crate::state::AppState>,
) -> ApiResult<Vec<casefile::vault::Sender>> {
    state.with(|v| Ok(v.senders()?))
}

/// Pins a sender's key under a name, after the user compared its
/// fingerprint with the sender's, and says so in a native dialog here.
#[tauri::command]
pub async fn trust_sender<R: tauri::Runtime>(
    app: AppHandle<R>,
    name: String,
    minisign: String,
    question: String,
    confirm: String,
    cancel: String,
) -> ApiResult<casefile::vault::Sender> {
    let key = casefile::crypto::sign::DevicePublicKey::from_minisign_line(&minisign)
        .ok_or_else(|| ApiError::new(ErrorCode::Invalid, "that is not a minisign public key"))?;
    let question = format!("{question}\n\n{}\n{}", name.trim(), key.fingerprint());
    if !super::confirm(&app, &question, &confirm, &cancel).await? {
        return Err(ApiError::new(
            ErrorCode::Cancelled,
            "the sender was not trusted",
        ));
    }
    app.state::<crate::state::AppState>()
        .with(|v| Ok(v.add_sender(&name, &key)?))
}
