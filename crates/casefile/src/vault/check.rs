//! Checking a vault at rest, as `restic check --read-data` and `zpool scrub`
//! do: the quick check reads every page of the database, verifies the log
//! and finds every blob with the size its item needs; the deep check also
//! decrypts and hashes every blob against its item's SHA-256 and SHA-512.

use std::io::Read;

use crate::crypto::hash::Sha512;
use serde::Serialize;

use super::{Item, Vault, VaultError};
use crate::Task;
use crate::crypto::stream::encrypted_len;
use crate::custody::Report;

/// One item whose stored content is not what it should be.
#[derive(Debug, Clone, Serialize)]
pub struct Damage {
    /// The item.
    pub item: String,
    /// Its title.
    pub title: String,
    /// What is wrong, in one sentence.
    pub why: String,
}

/// What a check found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Whether every blob was decrypted and hashed.
    pub deep: bool,
    /// Items checked.
    pub items: usize,
    /// Bytes decrypted and hashed (deep only).
    pub bytes: u64,
    /// The custody log's verification.
    pub log: Report,
    /// Items whose content is missing, the wrong size or damaged.
    pub damaged: Vec<Damage>,
    /// Complete blobs no item references, moved aside at open (a database
    /// put back to an earlier copy leaves these).
    pub quarantined: Vec<String>,
}

impl CheckReport {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.log.ok() && self.damaged.is_empty() && self.quarantined.is_empty()
    }
}

impl Vault {
    /// Checks the vault; `deep` reads every blob. Damage is reported, not
    /// returned as an error; an error means the check itself could not run.
    pub fn check(&mut self, deep: bool, task: &Task<'_>) -> Result<CheckReport, VaultError> {
        let log = self.verify_log()?;
        let items = self.list()?;
        let mut damaged = Vec::new();
        let mut bytes = 0u64;
        for it in &items {
            if task.cancelled() {
                return Err(VaultError::Cancelled);
            }
            let damage = |why: String| Damage {
                item: it.id.clone(),
                title: it.title.clone(),
                why,
            };
            match self.blob_size(it) {
                Err(e) => {
                    damaged.push(damage(e.to_string()));
                    continue;
                }
                Ok(size) if size != encrypted_len(it.size) => {
                    damaged.push(damage(format!(
                        "its encrypted file is {size} bytes, not the {} its {} bytes need",
                        encrypted_len(it.size),
                        it.size
                    )));
                    continue;
                }
                Ok(_) => {}
            }
            if deep {
                match self.hash_item(it, task) {
                    Ok(n) => bytes += n,
                    Err(VaultError::Cancelled) => return Err(VaultError::Cancelled),
                    Err(e) => damaged.push(damage(match e {
                        VaultError::Damaged { why, .. } => why,
                        other => other.to_string(),
                    })),
                }
            }
        }
        Ok(CheckReport {
            deep,
            items: items.len(),
            bytes,
            log,
            damaged,
            quarantined: self.quarantined()?,
        })
    }

    /// Names of the blobs in quarantine.
    pub fn quarantined(&self) -> Result<Vec<String>, VaultError> {
        let dir = self.dir.join(super::QUARANTINE_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(String::from))
            .collect();
        names.sort();
        Ok(names)
    }

    fn blob_size(&self, it: &Item) -> Result<u64, VaultError> {
        let blob: String =
            self.conn
                .query_row("SELECT blob FROM items WHERE id = ?1", [&it.id], |r| {
                    r.get(0)
                })?;
        let f = self.blobs.open(&blob)?;
        Ok(f.metadata()
            .map_err(|e| VaultError::Damaged {
                id: it.id.clone(),
                why: e.to_string(),
            })?
            .len())
    }

    /// Decrypts an item and checks its SHA-256 (the reader) and SHA-512.
    fn hash_item(&self, it: &Item, task: &Task<'_>) -> Result<u64, VaultError> {
        let (_, reader) = self.open_item(&it.id)?;
        let mut checked = super::CheckedReader::new(it, reader);
        let mut sha512 = Sha512::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            if task.cancelled() {
                return Err(VaultError::Cancelled);
            }
            let n = checked.read(&mut buf).map_err(|e| {
                super::vault_error(e).unwrap_or_else(|e| VaultError::Damaged {
                    id: it.id.clone(),
                    why: e.to_string(),
                })
            })?;
            if n == 0 {
                break;
            }
            sha512.update(&buf[..n]);
            total += n as u64;
            task.advance(n as u64);
        }
        if hex::encode(sha512.finalize()) != it.sha512 {
            return Err(VaultError::Damaged {
                id: it.id.clone(),
                why: "its content does not match the SHA-512 fixed at ingest".into(),
            });
        }
        Ok(total)
    }
}
