//! What the app holds between commands: the vault folder, the unlocked vault
//! (none when locked: locking drops it, and with it every key), and the
//! cancel flag of the running long operation.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use casefile::Vault;

use crate::error::{ApiError, ApiResult};

/// Shared app state.
pub struct AppState {
    /// The vault folder (CASEFILE_VAULT, or the default in the user's data folder).
    pub dir: PathBuf,
    vault: Mutex<Option<Vault>>,
    /// Set to cancel the running long operation.
    pub cancel: Arc<AtomicBool>,
}

impl AppState {
    /// State for the default (or CASEFILE_VAULT) vault.
    pub fn new() -> Self {
        let dir = std::env::var_os("CASEFILE_VAULT")
            .map(PathBuf::from)
            .or_else(casefile::vault::default_dir)
            .unwrap_or_else(|| PathBuf::from("casefile-vault"));
        Self::at(dir)
    }

    /// State for the vault in `dir`.
    pub fn at(dir: PathBuf) -> Self {
        AppState {
            dir,
            vault: Mutex::new(None),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The slot holding the unlocked vault.
    pub fn slot(&self) -> MutexGuard<'_, Option<Vault>> {
        self.vault
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the unlocked vault, or fails with `locked`.
    pub fn with<T>(&self, f: impl FnOnce(&mut Vault) -> ApiResult<T>) -> ApiResult<T> {
        let mut slot = self.slot();
        match slot.as_mut() {
            Some(v) => f(v),
            None => Err(ApiError::new("locked", "the vault is locked")),
        }
    }
}
