//! Streaming ingest: one pass over the file that hashes and encrypts it.
//!
//! The calling thread reads 128 KiB blocks and computes SHA-512; a worker
//! computes SHA-256, encrypts and writes. Blocks travel through a bounded
//! channel, so memory stays flat whatever the file size.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;

use crate::crypto::hash::{Sha256, Sha512};
use rusqlite::params;
use serde::Deserialize;

use super::item::{Item, ItemKind, Origin, check_fields, new_id};
use super::{Vault, VaultError};
use crate::Task;
use crate::crypto::hash::Fingerprint;
use crate::crypto::stream::EncryptWriter;
use crate::custody::{self, Action, NewEvent};
use crate::media::{self, Analysis};
use crate::pipeline::{BackgroundFlush, BlockPool, SyncQueue};
use crate::store::blobs::PendingBlob;

const READ_BLOCK: usize = 128 * 1024;
const BLOCKS_IN_FLIGHT: usize = 8;

/// What adding many files did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Added {
    /// The items added, in order.
    pub items: Vec<Item>,
    /// Files left out, each with why.
    pub failed: Vec<FailedFile>,
}

/// A file that could not be added.
#[derive(Debug, serde::Serialize)]
pub struct FailedFile {
    /// The file.
    pub path: PathBuf,
    /// Why, in one sentence.
    pub reason: String,
}

/// Descriptive fields given when adding files; empty ones get defaults.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewItem {
    /// Title (default: the file name).
    pub title: Option<String>,
    /// Kind (default: from the detected MIME type).
    pub kind: Option<ItemKind>,
    /// Where it came from.
    pub source: Option<String>,
    /// Who collected it (default: the vault's collector).
    pub collector: Option<String>,
    /// How it was acquired.
    pub method: Option<String>,
    /// Language of its content.
    pub language: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// When it was captured, as stated by the collector.
    pub captured_at: Option<String>,
}

impl NewItem {
    /// Checks each field against its grammar: one-line fields hold no line
    /// breaks or control characters, free text none but breaks and tabs.
    pub fn check(&self) -> Result<(), VaultError> {
        check_fields(
            &[
                ("title", &self.title),
                ("collector", &self.collector),
                ("language", &self.language),
                ("captured-at", &self.captured_at),
            ],
            &[
                ("source", &self.source),
                ("method", &self.method),
                ("notes", &self.notes),
            ],
        )
    }
}

/// A file's name as the vault records it: control characters (which Linux
/// allows in names) become U+FFFD, so the record can be shown and sent.
fn recorded_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() || crate::names::is_bidi_control(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Expands the given paths into regular files: folders recursively, in name
/// order. Links inside folders are not followed; they are returned as skipped.
pub fn collect_files(
    paths: &[PathBuf],
    task: &Task<'_>,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), VaultError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| VaultError::Read {
            path: path.clone(),
            source: e,
        })?;
        if meta.is_file() {
            files.push(path.clone());
        } else if meta.is_dir() {
            walk(path, &mut files, &mut skipped, task)?;
        } else {
            return Err(VaultError::NotAFile(path.clone()));
        }
    }
    Ok((files, skipped))
}

fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    skipped: &mut Vec<PathBuf>,
    task: &Task<'_>,
) -> Result<(), VaultError> {
    if task.cancelled() {
        return Err(VaultError::Cancelled);
    }
    let read = |e| VaultError::Read {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(read)?
        .collect::<Result<_, _>>()
        .map_err(read)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| VaultError::Read {
            path: path.clone(),
            source: e,
        })?;
        if kind.is_file() {
            files.push(path);
        } else if kind.is_dir() {
            walk(&path, files, skipped, task)?;
        } else {
            skipped.push(path);
        }
    }
    Ok(())
}

/// The media type of a file from its first bytes. Text is UTF-8 without
/// the control characters text never holds (a NUL marks a binary format,
/// such as the header of a truncated photo); an empty file is said to be
/// empty, as `file --mime-type` says.
fn detect_mime(head: &[u8]) -> String {
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_string();
    }
    if head.is_empty() {
        return "inode/x-empty".into();
    }
    if head
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b) || b == 0x7f)
    {
        return "application/octet-stream".into();
    }
    match std::str::from_utf8(head) {
        Ok(_) => "text/plain".into(),
        // A multi-byte character cut at the end of the sample is still text.
        Err(e) if e.error_len().is_none() && !head.is_empty() => "text/plain".into(),
        Err(_) => "application/octet-stream".into(),
    }
}

fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A file encrypted into the blob store but not yet part of the vault: it
/// disappears unless committed with [`Vault::commit_staged`].
pub struct Staged {
    streamed: Streamed,
    media: Option<Analysis>,
}

impl Staged {
    /// SHA-256 of what was read.
    pub fn sha256(&self) -> &str {
        &self.streamed.fingerprint.sha256
    }

    /// SHA-512 of what was read.
    pub fn sha512(&self) -> &str {
        &self.streamed.fingerprint.sha512
    }

    /// Bytes read.
    pub fn size(&self) -> u64 {
        self.streamed.size
    }

    /// MIME type detected from the content.
    pub fn mime(&self) -> String {
        detect_mime(&self.streamed.head)
    }
}

/// What one streaming pass produced.
struct Streamed {
    blob: PendingBlob,
    fingerprint: Fingerprint,
    size: u64,
    head: Vec<u8>,
}

impl Vault {
    /// Adds one file: hashes and encrypts it in one pass, then commits the item
    /// and its custody event in one transaction.
    pub fn add_file(
        &mut self,
        path: &Path,
        meta: &NewItem,
        task: &Task<'_>,
    ) -> Result<Item, VaultError> {
        meta.check()?;
        let (staged, item, event) = self.stage_file(path, meta, task)?;
        self.commit_staged(vec![(staged, item.clone())], vec![event], |_| Ok(()))?;
        Ok(item)
    }

    /// Adds many files, committing them in batches (one sync of the batch's
    /// blobs, one transaction for its items and events), so a folder of
    /// photos does not pay two disk syncs per file. `added` sees each item
    /// once its batch is committed. A file that cannot be read (or changes
    /// while it is read) is left out and reported in [`Added::failed`]; the
    /// others are added. Anything wrong with the vault itself, or a cancel,
    /// stops the whole call and leaves the running batch out.
    pub fn add_files(
        &mut self,
        paths: &[PathBuf],
        meta: &NewItem,
        task: &Task<'_>,
        added: &mut dyn FnMut(&Item),
    ) -> Result<Added, VaultError> {
        meta.check()?;
        const BATCH_FILES: usize = 64;
        const BATCH_BYTES: u64 = 256 << 20;
        let mut all = Added::default();
        let mut batch: Vec<(Staged, Item)> = Vec::new();
        let mut events = Vec::new();
        let mut bytes = 0;
        let syncer = SyncQueue::new();
        for path in paths {
            let (mut staged, item, event) = match self.stage_file(path, meta, task) {
                Ok(staged) => staged,
                Err(e) if e.is_about_the_source() => {
                    all.failed.push(FailedFile {
                        path: path.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Ok(f) = staged.streamed.blob.file().try_clone() {
                syncer.push(f);
            }
            bytes += item.size;
            batch.push((staged, item));
            events.push(event);
            if batch.len() >= BATCH_FILES || bytes >= BATCH_BYTES {
                self.commit_batch(&mut batch, &mut events, &mut all, added)?;
                bytes = 0;
            }
        }
        self.commit_batch(&mut batch, &mut events, &mut all, added)?;
        Ok(all)
    }

    fn commit_batch(
        &mut self,
        batch: &mut Vec<(Staged, Item)>,
        events: &mut Vec<NewEvent>,
        all: &mut Added,
        added: &mut dyn FnMut(&Item),
    ) -> Result<(), VaultError> {
        if batch.is_empty() {
            return Ok(());
        }
        let items: Vec<Item> = batch.iter().map(|(_, it)| it.clone()).collect();
        self.commit_staged(std::mem::take(batch), std::mem::take(events), |_| Ok(()))?;
        items.iter().for_each(&mut *added);
        all.items.extend(items);
        Ok(())
    }

    /// Reads one file into a staged blob and describes the item it will be.
    fn stage_file(
        &self,
        path: &Path,
        meta: &NewItem,
        task: &Task<'_>,
    ) -> Result<(Staged, Item, NewEvent), VaultError> {
        let read_err = |e| VaultError::Read {
            path: path.to_path_buf(),
            source: e,
        };
        let mut file = File::open(path).map_err(read_err)?;
        let before = file.metadata().map_err(read_err)?;
        if !before.is_file() {
            return Err(VaultError::NotAFile(path.to_path_buf()));
        }
        let streamed = self.stream_in(&mut file, path, task)?;
        let after = fs::metadata(path).ok();
        let unchanged = after.is_some_and(|a| {
            a.len() == before.len() && a.modified().ok() == before.modified().ok()
        });
        if streamed.size != before.len() || !unchanged {
            return Err(VaultError::FileChanged(path.to_path_buf()));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let item = self.describe(&streamed, &recorded_name(&name), meta, None, None);
        let event = added_event(&item);
        let media = media::wanted(&item.mime)
            .then(|| File::open(path).ok())
            .flatten()
            .map(|mut f| {
                media::analyze(&item.mime, item.size, &mut std::io::BufReader::new(&mut f))
            });
        Ok((Staged { streamed, media }, item, event))
    }

    /// The item a stream will become.
    fn describe(
        &self,
        streamed: &Streamed,
        original_name: &str,
        meta: &NewItem,
        parent: Option<String>,
        derivation: Option<serde_json::Value>,
    ) -> Item {
        let mime = detect_mime(&streamed.head);
        Item {
            id: new_id(),
            kind: meta.kind.unwrap_or_else(|| ItemKind::for_mime(&mime)),
            title: nonempty(&meta.title).unwrap_or(original_name).to_string(),
            original_name: original_name.to_string(),
            mime,
            size: streamed.size,
            sha256: streamed.fingerprint.sha256.clone(),
            sha512: streamed.fingerprint.sha512.clone(),
            ingested_at: custody::log::now_utc(),
            captured_at: nonempty(&meta.captured_at).map(String::from),
            collector: nonempty(&meta.collector).unwrap_or(&self.actor).to_string(),
            source: nonempty(&meta.source).unwrap_or_default().to_string(),
            method: nonempty(&meta.method).unwrap_or_default().to_string(),
            language: nonempty(&meta.language).unwrap_or_default().to_string(),
            notes: nonempty(&meta.notes).unwrap_or_default().to_string(),
            restriction: String::new(),
            parent,
            derivation,
            sender_log: None,
            sender_id: None,
        }
    }

    /// Adds content held in memory (a typed statement, a generated file) as an
    /// item named `name`; `text` is indexed for search when given.
    pub fn add_bytes(
        &mut self,
        name: &str,
        data: &[u8],
        meta: &NewItem,
        text: Option<&str>,
    ) -> Result<Item, VaultError> {
        self.ingest_bytes(name, data, meta, Origin::Added, text)
    }

    /// Makes a derivative (translation, correction, transcript...) of `parent`:
    /// a new item linked to it, its making recorded in the custody log.
    pub fn derive(
        &mut self,
        parent: &str,
        operation: &str,
        name: &str,
        data: &[u8],
        meta: &NewItem,
        text: Option<&str>,
    ) -> Result<Item, VaultError> {
        let parent = self.item(parent)?;
        let mut derivation = serde_json::json!({ "operation": operation });
        if let Some(lang) = meta.language.as_deref().filter(|l| !l.is_empty()) {
            derivation["language"] = lang.into();
        }
        let origin = Origin::Derived {
            parent: &parent,
            derivation,
        };
        self.ingest_bytes(name, data, meta, origin, text)
    }

    /// Reads and encrypts content without adding it yet (for imports, which
    /// commit every item of a bundle at once or none).
    pub fn stage(
        &self,
        reader: &mut dyn Read,
        name: &str,
        task: &Task<'_>,
    ) -> Result<Staged, VaultError> {
        Ok(Staged {
            streamed: self.stream_in(reader, Path::new(name), task)?,
            media: None,
        })
    }

    /// Commits staged content as the given items, with their events and any
    /// further rows `extra` writes, in one transaction. Item hashes must be
    /// those staged.
    pub fn commit_staged(
        &mut self,
        staged: Vec<(Staged, Item)>,
        events: Vec<NewEvent>,
        extra: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), VaultError>,
    ) -> Result<(), VaultError> {
        for (s, item) in &staged {
            if s.sha256() != item.sha256 || s.size() != item.size {
                return Err(VaultError::Damaged {
                    id: item.id.clone(),
                    why: "staged content does not match".into(),
                });
            }
        }
        let mut blobs = Vec::with_capacity(staged.len());
        let mut items = Vec::with_capacity(staged.len());
        let mut analyses = Vec::with_capacity(staged.len());
        for (s, item) in staged {
            blobs.push(s.streamed.blob);
            items.push(item);
            analyses.push(s.media);
        }
        // Synced first, named only once the items are committed: a crash
        // in between leaves temporary files the next open finishes or removes.
        let synced = self.blobs.sync_all(blobs)?;
        let result = self.transact(|tx| {
            for ((item, blob), analysis) in items.iter().zip(synced.names()).zip(&analyses) {
                insert_item(tx, item, blob)?;
                super::index::put_item(tx, item)?;
                if let Some(a) = analysis {
                    super::media::put(tx, &item.id, a)?;
                }
            }
            extra(tx)?;
            Ok(((), events))
        });
        match result {
            Ok(()) => Ok(synced.finish()?),
            Err(e) => {
                synced.abandon();
                Err(e)
            }
        }
    }

    pub(super) fn ingest_bytes(
        &mut self,
        name: &str,
        data: &[u8],
        meta: &NewItem,
        origin: Origin<'_>,
        text: Option<&str>,
    ) -> Result<Item, VaultError> {
        meta.check()?;
        let mut reader = data;
        let streamed = self.stream_in(&mut reader, Path::new(name), &Task::none())?;
        let mime = detect_mime(&streamed.head);
        let analysis = media::wanted(&mime).then(|| media::analyze_bytes(&mime, data));
        self.commit_streamed(streamed, name, meta, origin, text, analysis)
    }

    fn commit_streamed(
        &mut self,
        streamed: Streamed,
        original_name: &str,
        meta: &NewItem,
        origin: Origin<'_>,
        text: Option<&str>,
        analysis: Option<Analysis>,
    ) -> Result<Item, VaultError> {
        let (parent, derivation) = match &origin {
            Origin::Added => (None, None),
            Origin::Derived { parent, derivation } => {
                (Some(parent.id.clone()), Some(derivation.clone()))
            }
        };
        let item = self.describe(&streamed, original_name, meta, parent, derivation);
        let event = match origin {
            Origin::Added => added_event(&item),
            Origin::Derived { parent, derivation } => {
                let mut event = added_event(&item);
                event.action = Action::ItemDerived;
                event.details["parent"] = parent.id.clone().into();
                event.details["parent_sha256"] = parent.sha256.clone().into();
                event.details["derivation"] = derivation;
                event
            }
        };
        let staged = Staged {
            streamed,
            media: analysis,
        };
        self.commit_staged(vec![(staged, item.clone())], vec![event], |tx| {
            if let Some(text) = text {
                super::index::put(tx, "text", &item.id, &item.title, text)?;
            }
            Ok(())
        })?;
        Ok(item)
    }

    /// Reads `file` once: SHA-512 here, SHA-256 and encryption on a worker.
    /// (A third thread for SHA-512, leaving this one only reading, measured
    /// slower on two cores.)
    fn stream_in(
        &self,
        file: &mut dyn Read,
        path: &Path,
        task: &Task<'_>,
    ) -> Result<Streamed, VaultError> {
        let mut blob = self.blobs.begin()?;
        let tmp = blob.tmp_path().to_path_buf();
        let write_err = |e| VaultError::Write {
            path: tmp.clone(),
            source: e,
        };
        let out = blob.file().try_clone().map_err(write_err)?;
        let mut flush = BackgroundFlush::new(&out).map_err(write_err)?;
        let mut writer = EncryptWriter::new(&self.blob_key, out).map_err(write_err)?;
        let (tx, rx) = sync_channel::<Arc<Vec<u8>>>(BLOCKS_IN_FLIGHT);
        let mut sha512 = Sha512::new();
        let mut pool = BlockPool::new(READ_BLOCK);
        let mut size = 0u64;
        let mut head = Vec::new();

        let (read_result, write_result) = std::thread::scope(|s| {
            let worker = s.spawn(move || -> std::io::Result<String> {
                let mut sha256 = Sha256::new();
                for block in rx {
                    sha256.update(&block[..]);
                    writer.write_all(&block)?;
                    flush.wrote(block.len() as u64);
                }
                writer.finish()?;
                Ok(hex::encode(sha256.finalize()))
            });
            let read_result = (|| -> Result<(), VaultError> {
                loop {
                    if task.cancelled() {
                        return Err(VaultError::Cancelled);
                    }
                    let block = pool.fill(file).map_err(|e| VaultError::Read {
                        path: path.to_path_buf(),
                        source: e,
                    })?;
                    let Some(block) = block else {
                        return Ok(());
                    };
                    let n = block.len();
                    if head.is_empty() {
                        head = block[..n.min(8192)].to_vec();
                    }
                    // A closed channel means the writer failed; its error wins below.
                    if tx.send(Arc::clone(&block)).is_err() {
                        return Ok(());
                    }
                    sha512.update(&block[..]);
                    size += n as u64;
                    task.advance(n as u64);
                }
            })();
            drop(tx);
            let write_result = worker.join();
            (read_result, write_result)
        });
        let sha256 = match write_result {
            Ok(r) => r.map_err(write_err)?,
            Err(_) => {
                return Err(VaultError::Invalid(
                    "the encryption worker stopped unexpectedly".into(),
                ));
            }
        };
        read_result?;
        Ok(Streamed {
            blob,
            fingerprint: Fingerprint {
                sha256,
                sha512: hex::encode(sha512.finalize()),
            },
            size,
            head,
        })
    }
}

/// The custody event of a new item.
fn added_event(item: &Item) -> NewEvent {
    NewEvent::item(Action::ItemAdded, &item.collector, &item.id, &item.sha256).with_details(
        serde_json::json!({
            "name": item.original_name,
            "size": item.size,
            "sha512": item.sha512,
            "mime": item.mime,
            "kind": item.kind,
        }),
    )
}

fn insert_item(tx: &rusqlite::Connection, item: &Item, blob: &str) -> Result<(), VaultError> {
    tx.execute(
        "INSERT INTO items (id, kind, title, original_name, mime, size, sha256, sha512, blob, \
         ingested_at, captured_at, collector, source, method, language, notes, restriction, parent, derivation, \
         sender_log, sender_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
        params![
            item.id,
            item.kind.as_str(),
            item.title,
            item.original_name,
            item.mime,
            item.size,
            item.sha256,
            item.sha512,
            blob,
            item.ingested_at,
            item.captured_at,
            item.collector,
            item.source,
            item.method,
            item.language,
            item.notes,
            item.restriction,
            item.parent,
            item.derivation.as_ref().map(|d| d.to_string()),
            item.sender_log,
            item.sender_id,
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_detection() {
        assert_eq!(
            detect_mime(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
            "image/jpeg"
        );
        assert_eq!(detect_mime("plain words, Ωμέγα".as_bytes()), "text/plain");
        assert_eq!(detect_mime(&[0xe4, 0xb8]), "text/plain");
        assert_eq!(detect_mime(b"line\r\n\tindented\x0c"), "text/plain");
        assert_eq!(detect_mime(b""), "inode/x-empty");
        assert_eq!(
            detect_mime(b"\0\0\0\x0cftypheic"),
            "application/octet-stream"
        );
        assert_eq!(
            detect_mime(&[0x00, 0xff, 0xfe, 0x80, 0x81]),
            "application/octet-stream"
        );
    }
}
