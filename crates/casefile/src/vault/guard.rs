//! Slowing repeated wrong guesses, and the optional wipe after N in a row.
//!
//! The count lives in the vault folder, outside the encryption (it must be
//! read before anything is unlocked), so it only slows someone using this
//! program on this machine; against a copied disk the passphrase's strength
//! and Argon2id are the defence. THREAT_MODEL.md says so.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Secret, VaultError, keys};
use crate::store::StoreError;
use crate::store::keyslots::{KeySlots, SlotKind, Unlocked, normalize_recovery_code};

/// Name of the guard file inside a vault folder.
pub const GUARD_FILE: &str = "guard.json";
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
        let path = dir.join(GUARD_FILE);
        let tmp = dir.join(format!("{GUARD_FILE}.tmp"));
        let io = |e| VaultError::Store(StoreError::io(&path, e));
        let body = serde_json::to_vec(self).map_err(|e| VaultError::Invalid(e.to_string()))?;
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(&body).map_err(io)?;
        f.sync_all().map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)?;
        crate::store::sync_dir(dir).map_err(io)
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

/// Unwraps the vault key with `secret`, after the wait the failure count
/// asks for; counts a wrong secret, and wipes the keys when the limit is hit.
pub(super) fn unlock(
    dir: &Path,
    slots: &KeySlots,
    secret: &Secret<'_>,
) -> Result<Unlocked, VaultError> {
    let mut guard = Guard::load(dir);
    std::thread::sleep(guard.delay());
    let result = match secret {
        Secret::Passphrase(p) => slots.unlock(SlotKind::Passphrase, p.as_bytes()),
        Secret::RecoveryCode(c) => {
            slots.unlock(SlotKind::Recovery, normalize_recovery_code(c).as_bytes())
        }
    };
    match result {
        Ok(key) => {
            if guard.failures > 0 {
                guard.failures = 0;
                guard.save(dir)?;
            }
            Ok(key)
        }
        Err(StoreError::WrongSecret) => {
            guard.failures = guard.failures.saturating_add(1);
            guard.save(dir)?;
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
        Err(other) => Err(other.into()),
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
