//! What the app holds between commands: the vault folder, the unlocked vault
//! (none when locked: locking drops it, and with it every key), the cancel
//! flag of the running long operation, the token that preview addresses
//! carry while unlocked, and the paths the user chose in the app's dialogs.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use casefile::Vault;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Shared app state.
pub struct AppState {
    /// The vault folder (CASEFILE_VAULT, or the default in the user's data folder).
    pub dir: PathBuf,
    vault: Mutex<Option<Vault>>,
    /// The cancel flag of each running long operation (set by cancel, lock
    /// and wipe).
    running: Mutex<Vec<Arc<AtomicBool>>>,
    /// Random per unlock; preview addresses carry it, so none made before a
    /// lock works after it.
    token: Mutex<Option<String>>,
    /// Paths the user chose in a dialog the app itself opened.
    granted: Mutex<HashSet<PathBuf>>,
    /// Whether questions that guard destructive commands are put in a
    /// native dialog (always, but in the command tests, which have no window).
    pub ask_in_dialog: bool,
    /// The user's home folder, whose hidden folders no typed destination may reach.
    pub home: Option<PathBuf>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
            running: Mutex::new(Vec::new()),
            token: Mutex::new(None),
            granted: Mutex::new(HashSet::new()),
            ask_in_dialog: true,
            home: std::env::var_os("HOME")
                .map(PathBuf::from)
                .and_then(|h| h.canonicalize().ok()),
        }
    }

    /// The slot holding the unlocked vault.
    pub fn slot(&self) -> MutexGuard<'_, Option<Vault>> {
        lock(&self.vault)
    }

    /// The slot, unless running work holds it.
    pub fn try_slot(&self) -> Option<MutexGuard<'_, Option<Vault>>> {
        match self.vault.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Runs `f` on the unlocked vault, or fails with `locked` (also once a
    /// lock has been asked for, while the vault is still being closed).
    pub fn with<T>(&self, f: impl FnOnce(&mut Vault) -> ApiResult<T>) -> ApiResult<T> {
        if self.token().is_none() {
            return Err(ApiError::new(ErrorCode::Locked, "the vault is locked"));
        }
        let mut slot = self.slot();
        match slot.as_mut() {
            Some(v) => f(v),
            None => Err(ApiError::new(ErrorCode::Locked, "the vault is locked")),
        }
    }

    /// Puts an unlocked vault in place, with a fresh preview token.
    pub fn unlocked(&self, vault: Vault) {
        *self.slot() = Some(vault);
        *lock(&self.token) = Some(hex_token());
    }

    /// A fresh cancel flag for a long operation that starts now.
    pub fn start_work(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        lock(&self.running).push(flag.clone());
        flag
    }

    /// Forgets the flag of an operation that ended.
    pub fn end_work(&self, flag: &Arc<AtomicBool>) {
        lock(&self.running).retain(|f| !Arc::ptr_eq(f, flag));
    }

    /// Asks every running operation to stop (it leaves nothing half-done).
    pub fn cancel_all(&self) {
        for f in lock(&self.running).iter() {
            f.store(true, Ordering::Relaxed);
        }
    }

    /// The preview token of this unlock.
    pub fn token(&self) -> Option<String> {
        lock(&self.token).clone()
    }

    /// Stops everything that shows or reads the vault, at once: previews
    /// fail from now on and the running operation is told to stop. Returns
    /// without waiting for it.
    pub fn revoke(&self) {
        *lock(&self.token) = None;
        self.cancel_all();
        lock(&self.granted).clear();
    }

    /// Remembers paths the user chose in one of the app's dialogs.
    pub fn grant(&self, paths: &[PathBuf]) {
        lock(&self.granted).extend(paths.iter().cloned());
    }

    /// Whether the user chose `path` in one of the app's dialogs.
    pub fn is_granted(&self, path: &Path) -> bool {
        lock(&self.granted).contains(path)
    }
}

fn hex_token() -> String {
    let bytes: [u8; 16] = rand_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn rand_bytes() -> [u8; 16] {
    casefile::crypto::random_bytes::<16>()
}
