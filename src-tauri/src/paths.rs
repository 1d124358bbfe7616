//! Paths the page hands to commands. A script in the page must not be able
//! to read any file into the vault or write a plaintext export anywhere:
//! a path the user chose in one of the app's own dialogs is accepted as it
//! is; a typed one is checked here. A source must exist, be a file or
//! folder, and be neither the vault itself nor one of the system's
//! pseudo-file systems. A destination must not exist yet, must sit in an
//! existing folder, and may not lie in a hidden folder (where programs keep
//! what they run at start-up, such as ~/.config/autostart) or in the vault.

use std::path::PathBuf;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// Folders nothing is read from.
const NEVER: &[&str] = &["/proc", "/sys", "/dev", "/run"];

fn refused(why: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::PathRefused, why)
}

/// A file or folder to read from.
pub fn input(state: &AppState, raw: &str) -> ApiResult<PathBuf> {
    let path = PathBuf::from(raw.trim());
    if state.is_granted(&path) {
        return Ok(path);
    }
    if !path.is_absolute() {
        return Err(refused(format!("{} is not a full path", path.display())));
    }
    let real = path
        .canonicalize()
        .map_err(|e| refused(format!("cannot read {}: {e}", path.display())))?;
    if NEVER.iter().any(|n| real.starts_with(n)) {
        return Err(refused(format!(
            "{} is part of the system, not a file to add",
            path.display()
        )));
    }
    if let Ok(vault) = state.dir.canonicalize()
        && real.starts_with(&vault)
    {
        return Err(refused(format!(
            "{} is inside the vault folder itself",
            path.display()
        )));
    }
    let meta = std::fs::metadata(&real)
        .map_err(|e| refused(format!("cannot read {}: {e}", path.display())))?;
    if !meta.is_file() && !meta.is_dir() {
        return Err(refused(format!(
            "{} is not a file or a folder",
            path.display()
        )));
    }
    Ok(path)
}

/// A destination to write a bundle to.
pub fn output(state: &AppState, raw: &str) -> ApiResult<PathBuf> {
    let path = PathBuf::from(raw.trim());
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Err(refused(format!("{} is not a full path", path.display())));
    };
    let folder = parent
        .canonicalize()
        .map_err(|e| refused(format!("cannot write in {}: {e}", parent.display())))?;
    if let Ok(vault) = state.dir.canonicalize()
        && folder.starts_with(&vault)
    {
        return Err(refused(
            "a bundle cannot be written inside the vault folder",
        ));
    }
    if state.is_granted(&path) {
        return Ok(path);
    }
    if !path.is_absolute() {
        return Err(refused(format!("{} is not a full path", path.display())));
    }
    if NEVER.iter().any(|n| folder.starts_with(n)) || !folder.is_dir() {
        return Err(refused(format!(
            "{} is not a folder to write in",
            parent.display()
        )));
    }
    // Hidden folders of the user's home hold what programs run and read on
    // their own (~/.config/autostart, ~/.local/share/applications).
    let below_home = match state
        .home
        .as_deref()
        .and_then(|h| folder.strip_prefix(h).ok())
    {
        Some(rest) => rest.to_path_buf(),
        None => PathBuf::new(),
    };
    let hidden = below_home
        .components()
        .map(|c| c.as_os_str().to_os_string())
        .chain(path.file_name().map(|n| n.to_os_string()))
        .any(|c| c.to_string_lossy().starts_with('.'));
    if hidden {
        return Err(refused(
            "a typed destination may not lie in a hidden folder; choose it with the Choose button",
        ));
    }
    if path.exists() {
        return Err(refused(format!("{} already exists", path.display())));
    }
    Ok(path)
}

/// An optional input path (empty means none).
pub fn optional_input(state: &AppState, raw: Option<&str>) -> ApiResult<Option<PathBuf>> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => input(state, r).map(Some),
        None => Ok(None),
    }
}
