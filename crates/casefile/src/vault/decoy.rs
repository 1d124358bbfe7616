//! A second vault in the same folder, opened by its own passphrase: what to
//! unlock when forced to. Both vaults share the key-slot file (four slots,
//! unused ones random), the blob folder (each recognises only its own blobs)
//! and the pair of database files every vault has (without a second vault
//! the second file is random bytes). THREAT_MODEL.md says what still shows.

use std::fs;

use super::open::{init_db, meta_opt};
use super::{KEYSLOTS_FILE, SECOND_DB_FILE, Vault, VaultError};
use crate::crypto::kdf::KdfParams;
use crate::crypto::random_key;
use crate::store::StoreError;
use crate::store::keyslots::{KeySlots, SLOTS, SlotKind};

impl Vault {
    /// Creates the second vault, opened by `passphrase`, with `collector` as
    /// its collector. Only from the first vault, once; the first vault keeps
    /// a private note of the slot it used so it is never overwritten.
    pub fn create_second(&mut self, passphrase: &str, collector: &str) -> Result<(), VaultError> {
        super::passphrase::check_new(passphrase, &[collector])?;
        if self.space != 0 {
            return Err(VaultError::Invalid(
                "a second vault can only be made from the first one".into(),
            ));
        }
        if meta_opt(&self.conn, "second_vault_slot")?.is_some() {
            return Err(VaultError::Invalid(
                "this vault already has a second vault".into(),
            ));
        }
        let slots_path = self.dir.join(KEYSLOTS_FILE);
        let mut slots = KeySlots::load(&slots_path)?;
        if slots.version < 2 {
            return Err(VaultError::Invalid(
                "this vault's key-slot file is too old to hold a second vault".into(),
            ));
        }
        let mut used = Vec::new();
        for key in ["slot_passphrase", "slot_recovery"] {
            match meta_opt(&self.conn, key)?.and_then(|v| v.parse::<usize>().ok()) {
                Some(i) => used.push(i),
                None => {
                    return Err(VaultError::Invalid(
                        "this vault does not record where its key slots are, so a second vault could overwrite one".into(),
                    ));
                }
            }
        }
        // The same passphrase for both would open whichever slot comes first.
        if slots
            .unlock(SlotKind::Passphrase, passphrase.as_bytes())
            .is_ok()
        {
            return Err(VaultError::Invalid(
                "choose a passphrase different from this vault's".into(),
            ));
        }
        let Some(index) = (0..SLOTS).find(|i| !used.contains(i)) else {
            return Err(VaultError::Invalid("no free key slot".into()));
        };

        let key = random_key();
        let vault_id = slots.vault_id.clone();
        let origin = format!(
            "casefile/{}",
            hex::encode(crate::crypto::random_bytes::<16>())
        );
        let path = self.dir.join(SECOND_DB_FILE);
        let tmp = self.dir.join(format!("{SECOND_DB_FILE}.new"));
        let _ = fs::remove_file(&tmp);
        let (conn, _) = init_db(
            &tmp,
            &key,
            &[
                ("vault_id", vault_id.as_str()),
                ("origin", origin.as_str()),
                ("collector", collector),
                ("slot_passphrase", &index.to_string()),
            ],
            collector,
        )?;
        // Grow the new database to the size of the random file it replaces
        // (freed pages stay in the file), so its size does not change.
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        let target = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let have = fs::metadata(&tmp).map(|m| m.len()).unwrap_or(0);
        if target > have {
            conn.execute_batch("CREATE TABLE padding (b BLOB)")?;
            conn.execute("INSERT INTO padding VALUES (zeroblob(?1))", [target - have])?;
            conn.execute_batch("DROP TABLE padding; PRAGMA wal_checkpoint(TRUNCATE);")?;
        }
        drop(conn);
        // Noted first: if the process dies before the slot is written, a
        // retry must not reuse this slot over a second vault that may exist.
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('second_vault_slot', ?1)",
            [index.to_string()],
        )?;
        let io = |e| VaultError::Store(StoreError::io(&path, e));
        fs::rename(&tmp, &path).map_err(io)?;
        crate::store::sync_dir(&self.dir).map_err(io)?;
        slots.replace(
            index,
            SlotKind::Passphrase,
            1,
            passphrase.as_bytes(),
            &key,
            KdfParams::MINIMUM,
        )?;
        slots.save(&slots_path)?;
        super::open::same_times(&self.dir, 0);
        Ok(())
    }
}
