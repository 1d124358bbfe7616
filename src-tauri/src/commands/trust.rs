//! Time-stamping authorities and the device's organisation certificate.

use casefile::timestamp::AuthorityName;
use casefile::vault::{Authority, StampOutcome};
use serde::Serialize;
use tauri::{AppHandle, Manager};

use super::long_work;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// The pinned authorities.
#[tauri::command]
pub async fn list_authorities(
    state: tauri::State<'_, crate::state::AppState>,
) -> ApiResult<Vec<Authority>> {
    state.with(|v| Ok(v.authorities()?))
}

/// Pins an authority; `ca` is a certificate file the user chose (without
/// one, the certificate that signs its first token is pinned).
#[tauri::command]
pub async fn add_authority<R: tauri::Runtime>(
    app: AppHandle<R>,
    name: String,
    url: String,
    ca: Option<String>,
) -> ApiResult<Authority> {
    let name =
        AuthorityName::parse(name.trim()).map_err(|e| ApiError::new(ErrorCode::Invalid, e))?;
    let state = app.state::<crate::state::AppState>();
    let certs = match ca.filter(|c| !c.trim().is_empty()) {
        Some(path) => {
            let path = crate::paths::input(&state, &path)?;
            let bytes = std::fs::read(&path).map_err(|e| {
                ApiError::new(
                    ErrorCode::Invalid,
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            Some(
                casefile::timestamp::certificates_from_file(&bytes)
                    .map_err(|e| ApiError::new(ErrorCode::Invalid, e.to_string()))?,
            )
        }
        None => None,
    };
    long_work(app.clone(), "authority", 0, move |state, _task| {
        state.with(|v| Ok(v.add_authority(&name, &url, None, certs)?))
    })
    .await
}

/// Forgets an authority.
#[tauri::command]
pub async fn remove_authority(
    state: tauri::State<'_, crate::state::AppState>,
    name: String,
) -> ApiResult<Authority> {
    state.with(|v| Ok(v.remove_authority(&name)?))
}

/// Asks every authority for a token over the newest checkpoint. The
/// requests go out without holding the vault, so locking never waits on
/// the network.
#[tauri::command]
pub async fn timestamp_now<R: tauri::Runtime>(app: AppHandle<R>) -> ApiResult<Vec<StampOutcome>> {
    long_work(app, "timestamp", 0, move |state, task| {
        let (requests, mut out) = state.with(|v| Ok(v.stamp_requests()?))?;
        for r in requests {
            if task.cancelled() {
                return Err(ApiError::new(ErrorCode::Cancelled, "cancelled"));
            }
            let fetched = r.fetch();
            out.push(state.with(|v| Ok(v.keep_stamp(fetched)?))?);
        }
        Ok(out)
    })
    .await
}

/// The device's certificate from its organisation, as shown in Settings.
#[derive(Serialize)]
pub struct Certified {
    organisation: String,
    organisation_fingerprint: String,
    member: String,
    valid_from: String,
}

/// This device's organisation certificate, if it has one.
#[tauri::command]
pub async fn device_certificate(
    state: tauri::State<'_, crate::state::AppState>,
) -> ApiResult<Option<Certified>> {
    state.with(|v| {
        Ok(v.device_certificate()?.and_then(|s| {
            casefile::bundle::org::DeviceCertificate::verify(&s.text, &s.signature)
                .ok()
                .map(|c| Certified {
                    organisation: c.organisation,
                    organisation_fingerprint: c.organisation_key.fingerprint(),
                    member: c.member,
                    valid_from: c.valid_from,
                })
        }))
    })
}
