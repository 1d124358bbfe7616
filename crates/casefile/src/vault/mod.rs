//! An unlocked vault: the folder, its keys, its items and its custody log.

mod authorities;
mod check;
mod decoy;
mod error;
mod extract;
pub mod guard;
mod head;
pub(crate) mod index;
mod ingest;
mod item;
pub mod keys;
pub mod layout;
mod media;
mod open;
pub mod passphrase;
mod remotes;
mod senders;
mod sends;

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use authorities::{Authority, FetchedStamp, StampOutcome, StampRequest, StoredToken};
pub use check::{CheckReport, Damage};
pub use error::VaultError;
pub use extract::CheckedReader;
pub(crate) use extract::vault_error;
pub use ingest::{Added, FailedFile, NewItem, Staged, collect_files};
pub(crate) use item::new_id;
pub use item::{Item, ItemEdit, ItemKind};
pub use open::{DB_KEY_PURPOSE, Secret, UNNAMED_COLLECTOR};
pub(crate) use senders::insert_sender;
pub use senders::{KIND_DEVICE, KIND_ORGANISATION, Sender, SignedStatement};
pub use sends::PendingSend;

use crate::crypto::SecretKey;
use crate::crypto::sign::{DeviceKey, DevicePublicKey};
use crate::custody::log::Signing;
use crate::custody::{self, Event, NewEvent, Report};
use crate::store::blobs::BlobStore;

pub use layout::{BLOBS_DIR, DB_FILE, KEYSLOTS_FILE, QUARANTINE_DIR, SECOND_DB_FILE};
pub(crate) use layout::{LOCK_FILE, db_file};

/// The default vault folder: the user's data directory, `casefile/vault`.
pub fn default_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("casefile").join("vault"))
}

/// An unlocked vault. Dropping it signs a checkpoint over any new events.
pub struct Vault {
    dir: PathBuf,
    conn: Connection,
    blobs: BlobStore,
    blob_key: SecretKey,
    /// Seals the head file (see head.rs).
    head_key: SecretKey,
    /// The vault's random id, which the head file is bound to.
    vault_id: String,
    device: DeviceKey,
    origin: String,
    actor: String,
    /// Which of the folder's two databases this vault lives in.
    space: u8,
    /// Set by [`Vault::discard`]: closing writes nothing more.
    discarded: bool,
    _lock: File,
}

impl Vault {
    /// The vault folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The device's public signing key.
    pub fn device_key(&self) -> DevicePublicKey {
        self.device.public()
    }

    /// The log's origin line, unique to this vault.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Who the custody log names as acting (the vault's default collector).
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Appends one event in its own transaction.
    pub(crate) fn record(&mut self, event: NewEvent) -> Result<(), VaultError> {
        self.transact(|_| Ok(((), vec![event])))
    }

    /// The device signing key, for sealing bundles.
    pub(crate) fn device(&self) -> &DeviceKey {
        &self.device
    }

    /// The open database, for modules that read beside the vault.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one transaction and appends the events it returns, so a
    /// change and its custody record are committed together or not at all.
    pub(crate) fn transact<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(T, Vec<NewEvent>), VaultError>,
    ) -> Result<T, VaultError> {
        let device = self.device.public();
        let tx = self.conn.transaction()?;
        let (value, events) = f(&tx)?;
        for event in events {
            custody::log::append(&tx, &device, event)?;
        }
        tx.commit()?;
        Ok(value)
    }

    /// The custody history, of the whole vault or of one item.
    pub fn log(&self, item: Option<&str>) -> Result<Vec<Event>, VaultError> {
        let id = match item {
            Some(i) => Some(self.resolve(i)?),
            None => None,
        };
        Ok(custody::log::events(&self.conn, id.as_deref())?)
    }

    /// Events the sender recorded before an item arrived in a bundle:
    /// `(bundle, sender's log origin, event)`, oldest first.
    pub fn received_history(&self, item: &str) -> Result<Vec<(String, String, Event)>, VaultError> {
        let id = self.resolve(item)?;
        let mut stmt = self.conn.prepare(
            "SELECT bundle, origin, seq, body, disclosures FROM received_events WHERE item = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map([&id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (bundle, origin, seq, body, disclosures) = row?;
            let stored = custody::log::Stored::from_row(seq, body, disclosures)?;
            out.push((bundle, origin, stored.event()?));
        }
        Ok(out)
    }

    /// Recomputes the chain and the tree and checks every signed checkpoint.
    /// Every page of the database is read first, so damage anywhere in it
    /// is found, not only in the log.
    pub fn verify_log(&mut self) -> Result<Report, VaultError> {
        let check: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(VaultError::Store(crate::store::StoreError::Corrupt {
                path: self.dir.join(db_file(self.space)),
                why: integrity_summary(&check),
            }));
        }
        self.checkpoint()?;
        Ok(custody::log::verify(
            &self.conn,
            &self.device.public(),
            &self.origin,
        )?)
    }

    /// Signs a checkpoint over events not yet covered by one, then seals
    /// its head in the head file, where a database rollback does not reach.
    pub fn checkpoint(&mut self) -> Result<Signing, VaultError> {
        let tx = self.conn.transaction()?;
        let size = custody::log::checkpoint(&tx, &self.device, &self.origin)?;
        tx.commit()?;
        if matches!(size, Signing::Signed(_)) || !self.head_written()? {
            self.write_head()?;
        }
        Ok(size)
    }

    /// Whether this vault has sealed its head before (older vaults had no
    /// head file until their first open by this release).
    fn head_written(&self) -> Result<bool, VaultError> {
        Ok(open::meta_opt(&self.conn, "head_file")?.is_some())
    }

    /// Seals the latest signed checkpoint's head.
    fn write_head(&mut self) -> Result<(), VaultError> {
        let Some((_, note)) = custody::log::latest_checkpoint(&self.conn)? else {
            return Ok(());
        };
        let cp =
            custody::checkpoint::Checkpoint::verify(&note, &self.device.public()).map_err(|e| {
                VaultError::Custody(custody::CustodyError::Malformed {
                    seq: 0,
                    why: e.to_string(),
                })
            })?;
        head::write(
            &self.dir,
            self.space,
            &self.head_key,
            &self.vault_id,
            head::Head {
                size: cp.size,
                root: cp.root,
            },
        )?;
        if !self.head_written()? {
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('head_file', '1')",
                [],
            )?;
        }
        Ok(())
    }

    /// Signs the final checkpoint and closes the vault.
    pub fn close(mut self) -> Result<(), VaultError> {
        self.checkpoint()?;
        Ok(())
    }
}

impl Vault {
    /// Closes without a last checkpoint and without touching the folder
    /// again: after a wipe, nothing may be written back into it.
    pub fn discard(mut self) {
        self.discarded = true;
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        if self.discarded {
            return;
        }
        // Best effort: an unsigned tail is signed at the next open anyway.
        let _ = self.checkpoint();
        // Fold the WAL into the database now, so closing writes nothing more
        // and the time given to the other database file below stays equal.
        let _ = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        open::same_times(&self.dir, self.space);
    }
}

/// SQLite's integrity report (one problem per line) as one sentence.
fn integrity_summary(report: &str) -> String {
    let problems: Vec<&str> = report
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("***"))
        .collect();
    match problems.as_slice() {
        [] => "it fails its integrity check".into(),
        [one] => format!("it fails its integrity check: {one}"),
        [first, rest @ ..] => format!(
            "it fails its integrity check in {} places, first: {first}",
            rest.len() + 1
        ),
    }
}
