//! Stored media facts and thumbnails, previews, and redacted derivatives.

use std::io::{Cursor, Read};

use crate::Task;
use rusqlite::{OptionalExtension, params};

use super::item::Origin;
use super::{Item, NewItem, Vault, VaultError};
use crate::media::{self, Analysis, MediaInfo, Redaction};

/// Stored facts and thumbnail of one item.
type Stored = (MediaInfo, Option<Vec<u8>>);

/// Stores what analysing an item found (inside the caller's transaction).
pub(super) fn put(tx: &rusqlite::Connection, item: &str, a: &Analysis) -> Result<(), VaultError> {
    let info = serde_json::to_string(&a.info)
        .map_err(|e| VaultError::Invalid(format!("media facts cannot be stored: {e}")))?;
    tx.execute(
        "INSERT OR REPLACE INTO media (item, info, thumbnail) VALUES (?1, ?2, ?3)",
        params![item, info, a.thumbnail],
    )?;
    Ok(())
}

impl Vault {
    /// Facts read from an item's own metadata at ingest (None when the item
    /// is not a photo, recording or PDF). Items that arrived without them
    /// (from a bundle) are analysed on first request.
    pub fn media(&mut self, id: &str) -> Result<Option<MediaInfo>, VaultError> {
        Ok(self.ensure_media(id)?.map(|(info, _)| info))
    }

    /// The item's thumbnail (JPEG), if one could be made.
    pub fn thumbnail(&mut self, id: &str) -> Result<Option<Vec<u8>>, VaultError> {
        Ok(self.ensure_media(id)?.and_then(|(_, thumb)| thumb))
    }

    /// The media facts stored for an item (its exact id), without analysing
    /// one that has none: for callers that only read, such as an export.
    pub fn stored_media_info(&self, id: &str) -> Result<Option<MediaInfo>, VaultError> {
        Ok(self.stored_media(id)?.map(|(info, _)| info))
    }

    fn stored_media(&self, id: &str) -> Result<Option<Stored>, VaultError> {
        let row: Option<(String, Option<Vec<u8>>)> = self
            .conn
            .query_row(
                "SELECT info, thumbnail FROM media WHERE item = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.map(|(info, thumb)| (serde_json::from_str(&info).unwrap_or_default(), thumb)))
    }

    fn ensure_media(&mut self, id: &str) -> Result<Option<Stored>, VaultError> {
        let item = self.item(id)?;
        if let Some(stored) = self.stored_media(&item.id)? {
            return Ok(Some(stored));
        }
        if !media::wanted(&item.mime) {
            return Ok(None);
        }
        let analysis = if item.mime.starts_with("image/") || item.mime == "application/pdf" {
            if item.size > media::MAX_IN_MEMORY {
                media::analyze(&item.mime, item.size, &mut Cursor::new(Vec::new()))
            } else {
                let bytes = self.read_checked(&item)?;
                media::analyze_bytes(&item.mime, &bytes)
            }
        } else {
            // Recordings are probed through a seekable decrypting reader.
            let mut reader = SeekableItem {
                vault: self,
                item: &item,
                pos: 0,
                inner: None,
            };
            media::analyze(&item.mime, item.size, &mut reader)
        };
        self.transact(|tx| {
            put(tx, &item.id, &analysis)?;
            Ok(((), Vec::new()))
        })?;
        Ok(Some((analysis.info, analysis.thumbnail)))
    }

    /// An item's whole content in memory, checked against its SHA-256.
    fn read_checked(&self, item: &Item) -> Result<Vec<u8>, VaultError> {
        let (_, mut reader) = self.open_item(&item.id)?;
        let mut bytes = Vec::with_capacity(item.size as usize);
        // Writing to memory cannot fail; an error here would be allocation's.
        let in_memory = |e: std::io::Error| VaultError::Invalid(e.to_string());
        super::extract::copy_checked(item, &mut reader, &mut bytes, in_memory, &Task::none())?;
        Ok(bytes)
    }

    /// The most recent redacted copy of an item made in this vault, if any:
    /// never one received in a bundle, whatever it claims to be.
    pub fn latest_redaction(&self, id: &str) -> Result<Option<String>, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM items WHERE parent = ?1 AND sender_log IS NULL \
                 AND json_extract(derivation, '$.operation') = 'redaction' \
                 ORDER BY rowid DESC LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Makes a redacted copy of a photo: re-encoded from its pixels alone
    /// (no metadata survives), `redaction`'s regions blacked out or blurred.
    /// The copy is a new item linked to the original, which is unchanged;
    /// the operation and its regions go into the custody log.
    pub fn redact(
        &mut self,
        id: &str,
        redaction: &Redaction,
        meta: &NewItem,
    ) -> Result<Item, VaultError> {
        let parent = self.item(id)?;
        if !parent.mime.starts_with("image/") {
            return Err(VaultError::Invalid(format!(
                "item {} is {}, not a picture; only pictures can be redacted",
                parent.id, parent.mime
            )));
        }
        if parent.size > media::MAX_IN_MEMORY {
            return Err(VaultError::Invalid(format!(
                "item {} is larger than {} MiB; it cannot be redacted here",
                parent.id,
                media::MAX_IN_MEMORY >> 20
            )));
        }
        let original = self.read_checked(&parent)?;
        let redacted = redaction.apply(&original)?;
        let stem = std::path::Path::new(&parent.original_name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| parent.id.clone());
        let name = format!("{stem}-redacted.{}", redacted.extension);
        let mut meta = meta.clone();
        if meta.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
            meta.title = Some(format!("{} (redacted)", parent.title));
        }
        meta.kind.get_or_insert(parent.kind);
        let derivation = serde_json::json!({
            "operation": "redaction",
            "strip_metadata": true,
            "boxes": redaction.boxes,
            "blurs": redaction.blurs,
            "width": redacted.size.0,
            "height": redacted.size.1,
        });
        let origin = Origin::Derived {
            parent: &parent,
            derivation,
        };
        self.ingest_bytes(&name, &redacted.bytes, &meta, origin, None)
    }
}

/// An item's content as a seekable reader, reopening the blob at the chunk
/// that holds each new position.
struct SeekableItem<'a> {
    vault: &'a Vault,
    item: &'a Item,
    pos: u64,
    inner: Option<Box<dyn Read + Send>>,
}

impl Read for SeekableItem<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.inner.is_none() {
            let (_, reader) = self
                .vault
                .open_item_at(&self.item.id, self.pos)
                .map_err(std::io::Error::other)?;
            self.inner = Some(Box::new(reader));
        }
        let n = match self.inner.as_mut() {
            Some(r) => r.read(buf)?,
            None => 0,
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for SeekableItem<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            std::io::SeekFrom::Start(p) => Some(p),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            std::io::SeekFrom::End(d) => self.item.size.checked_add_signed(d),
        }
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad seek"))?;
        if target != self.pos {
            self.pos = target;
            self.inner = None;
        }
        Ok(target)
    }
}
