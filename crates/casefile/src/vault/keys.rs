//! Changing the passphrase, recovering with the recovery code, and wiping:
//! all work on the key slots alone, never on the data.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{BLOBS_DIR, KEYSLOTS_FILE, Secret, Vault, VaultError};
use crate::crypto::kdf::KdfParams;
use crate::custody::{Action, NewEvent};
use crate::store::StoreError;
use crate::store::keyslots::{KeySlots, SlotKind, Unlocked};

/// Replaces the passphrase slot, unlocking with the old passphrase or the
/// recovery code; no data is re-encrypted. `cost` raises the Argon2id cost
/// of the new slot (None keeps the slot's current cost). Returns the vault,
/// open under the new passphrase, with the change recorded.
pub fn change_passphrase(
    dir: &Path,
    secret: Secret<'_>,
    new: &str,
    cost: Option<KdfParams>,
) -> Result<Vault, VaultError> {
    if let Some(c) = cost {
        c.check()
            .map_err(|e| VaultError::Invalid(format!("key-derivation cost: {e}")))?;
    }
    super::passphrase::check_new(new, &[])?;
    let path = dir.join(KEYSLOTS_FILE);
    if !path.is_file() {
        return Err(VaultError::NoVault(dir.to_path_buf()));
    }
    let mut slots = KeySlots::load(&path)?;
    let how = match secret {
        Secret::Passphrase(_) => "passphrase",
        Secret::RecoveryCode(_) => "recovery code",
    };
    let unlocked = super::guard::unlock(dir, &slots, &secret)?;
    let key = &unlocked.key;
    // Version 2: each vault's database records where its passphrase slot is.
    let index = match (&secret, slots.version) {
        (_, v) if v < 2 => slots
            .slots
            .iter()
            .position(|s| s.kind == Some(SlotKind::Passphrase))
            .unwrap_or(0),
        (Secret::Passphrase(_), _) => unlocked.index,
        (Secret::RecoveryCode(_), _) => passphrase_slot(dir, &unlocked)?,
    };
    // Keep the slot's cost if it was raised above the floor.
    let params = cost.unwrap_or_else(|| {
        slots
            .slots
            .get(index)
            .map(|s| s.kdf.params)
            .filter(|p| p.check().is_ok())
            .unwrap_or(KdfParams::MINIMUM)
    });
    if slots.version < 2 {
        slots.set_slot(SlotKind::Passphrase, new.as_bytes(), key, params)?;
    } else {
        slots.replace(
            index,
            SlotKind::Passphrase,
            unlocked.space,
            new.as_bytes(),
            key,
            params,
        )?;
    }
    slots.save(&path)?;
    drop(unlocked);
    let mut vault = Vault::open(dir, Secret::Passphrase(new))?;
    let actor = vault.actor().to_string();
    vault.record(
        NewEvent::vault(Action::KeyChanged, &actor).with_details(serde_json::json!({
            "slot": "passphrase",
            "unlocked_with": how,
            "kdf": {"memory_kib": params.memory_kib, "iterations": params.iterations},
        })),
    )?;
    Ok(vault)
}

/// Where the passphrase slot of the vault `unlocked` opens is, as its database records it.
fn passphrase_slot(dir: &Path, unlocked: &Unlocked) -> Result<usize, VaultError> {
    let db_path = dir.join(super::db_file(unlocked.space));
    let conn = crate::store::db::open(
        &db_path,
        &crate::crypto::kdf::subkey(&unlocked.key, super::DB_KEY_PURPOSE),
        false,
    )?;
    let value = super::open::meta(&conn, "slot_passphrase")?;
    value.parse().map_err(|_| {
        VaultError::Store(StoreError::Corrupt {
            path: db_path,
            why: "the passphrase slot position is not a number".into(),
        })
    })
}

/// What a wipe did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Wiped {
    /// Time until the key slots were destroyed and synced: from then on
    /// nothing in the folder can be decrypted.
    pub keys_destroyed_in: Duration,
    /// Whether every file was then removed as well.
    pub files_removed: bool,
}

/// Destroys every key slot (overwritten with random bytes, synced, removed),
/// then removes the rest of the vault best effort. Needs no passphrase: it
/// is meant for an emergency.
pub fn wipe(dir: &Path) -> Result<Wiped, VaultError> {
    let start = Instant::now();
    let path = dir.join(KEYSLOTS_FILE);
    if !path.is_file() {
        return Err(VaultError::NoVault(dir.to_path_buf()));
    }
    let io = |e| VaultError::Store(StoreError::io(&path, e));
    let len = fs::metadata(&path).map_err(io)?.len();
    {
        // Overwritten in place (not truncated), then synced.
        let mut f = fs::OpenOptions::new().write(true).open(&path).map_err(io)?;
        crate::store::write_random(&mut f, len.max(4096)).map_err(io)?;
    }
    fs::remove_file(&path).map_err(io)?;
    crate::store::sync_dir(dir).map_err(io)?;
    let keys_destroyed_in = start.elapsed();
    let mut files_removed = true;
    for p in super::layout::files(dir).iter().skip(1) {
        if p.exists() && fs::remove_file(p).is_err() {
            files_removed = false;
        }
    }
    let quarantine = dir.join(super::QUARANTINE_DIR);
    if quarantine.exists() && fs::remove_dir_all(&quarantine).is_err() {
        files_removed = false;
    }
    if dir.join(BLOBS_DIR).exists() && fs::remove_dir_all(dir.join(BLOBS_DIR)).is_err() {
        files_removed = false;
    }
    let _ = fs::remove_dir(dir);
    Ok(Wiped {
        keys_destroyed_in,
        files_removed,
    })
}
