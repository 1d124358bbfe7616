//! Writing an item's original bytes out, decrypted and checked against its hash.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Item, Vault, VaultError};
use crate::Task;
use crate::crypto::stream::DecryptReader;
use crate::custody::{Action, NewEvent};

impl Vault {
    /// A reader over an item's decrypted original bytes (authenticated chunk by chunk).
    pub fn open_item(&self, id: &str) -> Result<(Item, impl Read + Send + use<>), VaultError> {
        let item = self.item(id)?;
        let reader = self.blob_reader(&item)?;
        Ok((item, reader))
    }

    /// Like [`Vault::open_item`], starting `offset` bytes in: for serving a
    /// range of a recording without decrypting what comes before it.
    pub fn open_item_at(
        &self,
        id: &str,
        offset: u64,
    ) -> Result<(Item, impl Read + Send + use<>), VaultError> {
        let item = self.item(id)?;
        let mut reader = self.blob_reader(&item)?;
        reader
            .seek_to(offset, item.size)
            .map_err(|e| damaged(&item, &e))?;
        Ok((item, reader))
    }

    fn blob_reader(&self, item: &Item) -> Result<DecryptReader<BufReader<File>>, VaultError> {
        let blob: String =
            self.conn
                .query_row("SELECT blob FROM items WHERE id = ?1", [&item.id], |r| {
                    r.get(0)
                })?;
        let file = self.blobs.open(&blob)?;
        DecryptReader::new(&self.blob_key, BufReader::with_capacity(256 * 1024, file))
            .map_err(|e| damaged(item, &e))
    }

    /// Writes an item's original bytes to `out` (which must not exist), checks
    /// the SHA-256 and records the extraction.
    pub fn extract(&mut self, id: &str, out: &Path, task: &Task<'_>) -> Result<Item, VaultError> {
        if out.exists() {
            return Err(VaultError::DestinationExists(out.to_path_buf()));
        }
        let (item, mut reader) = self.open_item(id)?;
        let mut partial = out.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let result = write_checked(&item, &mut reader, &partial, task);
        let result = result.and_then(|()| {
            fs::rename(&partial, out).map_err(|e| VaultError::Write {
                path: out.to_path_buf(),
                source: e,
            })
        });
        if let Err(e) = result {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
        let actor = self.actor.clone();
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned());
        self.record(
            NewEvent::item(Action::ItemExtracted, &actor, &item.id, &item.sha256)
                .with_details(serde_json::json!({ "to": name })),
        )?;
        Ok(item)
    }
}

/// Writes an item's content to a new file at `partial`, checked and synced.
fn write_checked(
    item: &Item,
    reader: &mut impl Read,
    partial: &Path,
    task: &Task<'_>,
) -> Result<(), VaultError> {
    let write_err = |e| VaultError::Write {
        path: partial.to_path_buf(),
        source: e,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(partial)
        .map_err(write_err)?;
    copy_checked(item, reader, &mut file, write_err, task)?;
    file.sync_all().map_err(write_err)
}

/// Copies an item's decrypted content to `out`, failing unless it is exactly
/// the bytes whose SHA-256 and size were fixed at ingest.
pub(super) fn copy_checked(
    item: &Item,
    reader: &mut impl Read,
    out: &mut impl Write,
    write_err: impl Fn(std::io::Error) -> VaultError,
    task: &Task<'_>,
) -> Result<(), VaultError> {
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 128 * 1024];
    let mut total = 0u64;
    loop {
        if task.cancelled() {
            return Err(VaultError::Cancelled);
        }
        let n = reader.read(&mut buf).map_err(|e| VaultError::Damaged {
            id: item.id.clone(),
            why: format!("its encrypted content fails authentication ({e})"),
        })?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(&write_err)?;
        total += n as u64;
        task.advance(n as u64);
    }
    let digest = hex::encode(sha.finalize());
    if digest != item.sha256 || total != item.size {
        return Err(VaultError::Damaged {
            id: item.id.clone(),
            why: "its content does not match the SHA-256 fixed at ingest".into(),
        });
    }
    Ok(())
}

fn damaged(item: &Item, e: &std::io::Error) -> VaultError {
    VaultError::Damaged {
        id: item.id.clone(),
        why: format!("its encrypted file cannot be read ({e})"),
    }
}
