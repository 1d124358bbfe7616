//! Slowing repeated wrong guesses, and the optional wipe after N in a row.
//!
//! The count lives in the vault folder, outside the encryption (it must be
//! read before anything is unlocked), so it only slows someone using this
//! program on this machine; against a copied disk the passphrase's strength
//! and Argon2id are the defence. THREAT_MODEL.md says so.

use std::fs;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Secret, VaultError, keys};
use crate::store::StoreError;
use crate::store::keyslots::{KeySlots, SlotKind, Unlocked, normalize_recovery_code};

pub use super::layout::GUARD_FILE;
/// Wrong guesses allowed before each further one waits.
const FREE_TRIES: u32 = 3;
/// Longest wait before one attempt, seconds.
const MAX_DELAY_SECS: u64 = 60;

/// The persisted failure count and wipe setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guard {
    /// Wrong passphrases or recovery codes in a row.
    pub failures: u32,
    /// Destroy the keys after this many failures in a row (None: never).
    #[serde(default)]
    pub wipe_after: Option<u32>,
}

impl Guard {
    /// The guard of the vault in `dir` (none yet: no failures, no limit).
    pub fn load(dir: &Path) -> Guard {
        fs::read(dir.join(GUARD_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes the guard durably (temporary file, sync, rename).
    pub fn save(&self, dir: &Path) -> Result<(), VaultError> {
        let body = serde_json::to_vec(self).map_err(|e| VaultError::Invalid(e.to_string()))?;
        crate::store::write_atomic(&dir.join(GUARD_FILE), &body)?;
        Ok(())
    }

    /// How long the next attempt waits: nothing for the first few, then
    /// doubling from one second up to a minute.
    pub fn delay(&self) -> Duration {
        match self.failures.checked_sub(FREE_TRIES) {
            None => Duration::ZERO,
            Some(n) => {
                Duration::from_secs(1u64.checked_shl(n).unwrap_or(u64::MAX).min(MAX_DELAY_SECS))
            }
        }
    }
}

/// Sets (or with None clears) the wipe-after-N-failures limit. Needs the
/// vault unlocked, so the caller passes proof of that: the open vault's dir.
pub fn set_wipe_after(dir: &Path, limit: Option<u32>) -> Result<Guard, VaultError> {
    if limit.is_some_and(|n| n < FREE_TRIES) {
        return Err(VaultError::Invalid(format!(
            "a wipe limit below {FREE_TRIES} failures would destroy the vault after a few typing mistakes"
        )));
    }
    let mut guard = Guard::load(dir);
    guard.wipe_after = limit;
    guard.save(dir)?;
    Ok(guard)
}

/// Holds the vault folder's exclusive guess lock (flock on the folder
/// itself, so no extra file shows): one attempt at a time across processes.
struct Turn {
    _lock: fs::File,
}

impl Turn {
    fn take(dir: &Path) -> Result<Turn, VaultError> {
        let f = fs::File::open(dir).map_err(|e| VaultError::Store(StoreError::io(dir, e)))?;
        f.lock()
            .map_err(|e| VaultError::Store(StoreError::io(dir, e)))?;
        Ok(Turn { _lock: f })
    }
}

/// Unwraps the vault key with `secret`. Attempts take turns (an exclusive
/// lock held through the wait and the key derivation, so parallel guesses
/// wait as long as the same guesses one after another); each is counted,
/// durably, before any key is derived, so a guess killed halfway still
/// counts; the count is reset only when a secret opens a slot; the keys are
/// wiped when the limit is hit.
pub(super) fn unlock(
    dir: &Path,
    slots: &KeySlots,
    secret: &Secret<'_>,
) -> Result<Unlocked, VaultError> {
    let _turn = Turn::take(dir)?;
    let mut guard = Guard::load(dir);
    let wait = guard.delay();
    guard.failures = guard.failures.saturating_add(1);
    guard.save(dir)?;
    std::thread::sleep(wait);
    let result = match secret {
        Secret::Passphrase(p) => slots.unlock(SlotKind::Passphrase, p.as_bytes()),
        Secret::RecoveryCode(c) => {
            slots.unlock(SlotKind::Recovery, normalize_recovery_code(c).as_bytes())
        }
    };
    match result {
        Ok(key) => {
            guard.failures = 0;
            guard.save(dir)?;
            Ok(key)
        }
        Err(StoreError::WrongSecret) => {
            if let Some(limit) = guard.wipe_after
                && guard.failures >= limit
            {
                keys::wipe(dir)?;
                return Err(VaultError::WipedAfterFailures(limit));
            }
            Err(match secret {
                Secret::Passphrase(_) => VaultError::WrongPassphrase,
                Secret::RecoveryCode(_) => VaultError::WrongRecoveryCode,
            })
        }
        Err(other) => {
            // Not a wrong secret (a damaged slot file): do not count it.
            guard.failures = guard.failures.saturating_sub(1);
            guard.save(dir)?;
            Err(other.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_after_the_free_tries_and_stop_at_a_minute() {
        let at = |failures| {
            Guard {
                failures,
                wipe_after: None,
            }
            .delay()
            .as_secs()
        };
        assert_eq!(
            [
                at(0),
                at(2),
                at(3),
                at(4),
                at(5),
                at(9),
                at(40),
                at(u32::MAX)
            ],
            [0, 0, 1, 2, 4, 60, 60, 60]
        );
    }
}
