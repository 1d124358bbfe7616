//! Writing an item's original bytes out, decrypted and checked against its hash.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::crypto::hash::Sha256;

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

/// Reads an item's decrypted content and fails at its end (or at the first
/// chunk that fails authentication) unless it is exactly the bytes whose
/// SHA-256 and size were fixed at ingest. Every read of evidence goes
/// through it: extraction, export, media analysis and redaction.
pub struct CheckedReader<R> {
    inner: R,
    sha: Sha256,
    total: u64,
    id: String,
    sha256: String,
    size: u64,
}

impl<R: Read> CheckedReader<R> {
    /// Checks what `inner` yields against `item`.
    pub fn new(item: &Item, inner: R) -> Self {
        CheckedReader {
            inner,
            sha: Sha256::new(),
            total: 0,
            id: item.id.clone(),
            sha256: item.sha256.clone(),
            size: item.size,
        }
    }

    fn damaged(&self, why: String) -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            VaultError::Damaged {
                id: self.id.clone(),
                why,
            },
        )
    }
}

impl<R: Read> Read for CheckedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                return Err(
                    self.damaged(format!("its encrypted content fails authentication ({e})"))
                );
            }
        };
        if n == 0 && !buf.is_empty() {
            let digest = hex::encode(std::mem::take(&mut self.sha).finalize());
            if digest != self.sha256 || self.total != self.size {
                return Err(
                    self.damaged("its content does not match the SHA-256 fixed at ingest".into())
                );
            }
            return Ok(0);
        }
        self.sha.update(&buf[..n]);
        self.total += n as u64;
        Ok(n)
    }
}

/// The vault error inside an I/O error from a [`CheckedReader`], if any.
pub(crate) fn vault_error(e: std::io::Error) -> Result<VaultError, std::io::Error> {
    if e.get_ref().is_some_and(|i| i.is::<VaultError>()) {
        match e.into_inner().map(|b| b.downcast::<VaultError>()) {
            Some(Ok(v)) => return Ok(*v),
            Some(Err(other)) => return Err(std::io::Error::other(other)),
            None => unreachable!("checked above"),
        }
    }
    Err(e)
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
    let mut checked = CheckedReader::new(item, reader);
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        if task.cancelled() {
            return Err(VaultError::Cancelled);
        }
        let n = match checked.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                return Err(vault_error(e).unwrap_or_else(|e| VaultError::Damaged {
                    id: item.id.clone(),
                    why: e.to_string(),
                }));
            }
        };
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n]).map_err(&write_err)?;
        task.advance(n as u64);
    }
}

fn damaged(item: &Item, e: &std::io::Error) -> VaultError {
    VaultError::Damaged {
        id: item.id.clone(),
        why: format!("its encrypted file cannot be read ({e})"),
    }
}
