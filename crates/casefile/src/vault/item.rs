//! Items: the evidence records, their kinds, and reading and editing them.

use std::fmt;
use std::str::FromStr;

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::{Vault, VaultError};
use crate::custody::{Action, NewEvent};

/// What sort of evidence an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// A photograph.
    Photo,
    /// A video recording.
    Video,
    /// An audio recording.
    Audio,
    /// A document (PDF, scan, text).
    Document,
    /// An official detention record.
    DetentionRecord,
    /// A witness statement.
    Testimony,
    /// A capture of public online material.
    OpenSource,
    /// Anything else.
    Other,
}

impl ItemKind {
    /// Every kind, in display order.
    pub const ALL: [ItemKind; 8] = [
        ItemKind::Photo,
        ItemKind::Video,
        ItemKind::Audio,
        ItemKind::Document,
        ItemKind::DetentionRecord,
        ItemKind::Testimony,
        ItemKind::OpenSource,
        ItemKind::Other,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Photo => "photo",
            ItemKind::Video => "video",
            ItemKind::Audio => "audio",
            ItemKind::Document => "document",
            ItemKind::DetentionRecord => "detention-record",
            ItemKind::Testimony => "testimony",
            ItemKind::OpenSource => "open-source",
            ItemKind::Other => "other",
        }
    }

    /// A sensible kind for a MIME type.
    pub fn for_mime(mime: &str) -> ItemKind {
        match mime.split('/').next().unwrap_or("") {
            "image" => ItemKind::Photo,
            "video" => ItemKind::Video,
            "audio" => ItemKind::Audio,
            "text" => ItemKind::Document,
            _ if mime == "application/pdf" || mime.contains("document") => ItemKind::Document,
            _ => ItemKind::Other,
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ItemKind {
    type Err = VaultError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ItemKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ItemKind::ALL.iter().map(|k| k.as_str()).collect();
                VaultError::Invalid(format!(
                    "unknown kind {s:?}; use one of: {}",
                    names.join(", ")
                ))
            })
    }
}

/// One piece of evidence. The bytes behind `sha256` never change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Short random id.
    pub id: String,
    /// What sort of evidence.
    pub kind: ItemKind,
    /// A human title.
    pub title: String,
    /// The file name it arrived with.
    pub original_name: String,
    /// MIME type detected from its content.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the original bytes, hex.
    pub sha256: String,
    /// SHA-512 of the original bytes, hex.
    pub sha512: String,
    /// When it entered the vault (UTC).
    pub ingested_at: String,
    /// When it was captured, as stated or read from its metadata.
    pub captured_at: Option<String>,
    /// Who collected it.
    pub collector: String,
    /// Where it came from.
    pub source: String,
    /// How it was acquired.
    pub method: String,
    /// Language of its content.
    pub language: String,
    /// Free notes.
    pub notes: String,
    /// Access restriction, if any.
    pub restriction: String,
    /// The item this one derives from, for redactions, translations, transcripts.
    pub parent: Option<String>,
    /// How it was derived from its parent (operation and parameters).
    pub derivation: Option<serde_json::Value>,
    /// For an item received in a bundle: the sender's log (its origin), or
    /// `bagit:<hash>` for a bag made by another tool. None for items made here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_log: Option<String>,
    /// For an item received in a bundle: its id in the sender's vault (or its
    /// path in a foreign bag). Never used as a local id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<String>,
}

/// Changes to an item's descriptive fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemEdit {
    /// New title.
    pub title: Option<String>,
    /// New kind.
    pub kind: Option<ItemKind>,
    /// New capture time.
    pub captured_at: Option<String>,
    /// New collector.
    pub collector: Option<String>,
    /// New source.
    pub source: Option<String>,
    /// New acquisition method.
    pub method: Option<String>,
    /// New language.
    pub language: Option<String>,
    /// New notes.
    pub notes: Option<String>,
    /// New access restriction.
    pub restriction: Option<String>,
}

pub(super) const COLUMNS: &str = "id, kind, title, original_name, mime, size, sha256, sha512, \
     ingested_at, captured_at, collector, source, method, language, notes, restriction, parent, derivation, sender_log, sender_id";

pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Item> {
    let kind: String = r.get(1)?;
    Ok(Item {
        id: r.get(0)?,
        kind: kind.parse().unwrap_or(ItemKind::Other),
        title: r.get(2)?,
        original_name: r.get(3)?,
        mime: r.get(4)?,
        size: r.get(5)?,
        sha256: r.get(6)?,
        sha512: r.get(7)?,
        ingested_at: r.get(8)?,
        captured_at: r.get(9)?,
        collector: r.get(10)?,
        source: r.get(11)?,
        method: r.get(12)?,
        language: r.get(13)?,
        notes: r.get(14)?,
        restriction: r.get(15)?,
        parent: r.get(16)?,
        derivation: r
            .get::<_, Option<String>>(17)?
            .and_then(|d| serde_json::from_str(&d).ok()),
        sender_log: r.get(18)?,
        sender_id: r.get(19)?,
    })
}

use crate::names::ID_ALPHABET;
/// Shortest prefix accepted in place of a full id.
const MIN_PREFIX: usize = 4;

/// A new random item id: ten characters, 50 bits.
pub(crate) fn new_id() -> String {
    crate::names::Id::random().into()
}

impl Vault {
    /// All items, oldest first.
    pub fn list(&self) -> Result<Vec<Item>, VaultError> {
        let sql = format!("SELECT {COLUMNS} FROM items ORDER BY rowid");
        let mut stmt = self.conn.prepare(&sql)?;
        let items = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
        Ok(items)
    }

    /// The other items whose bytes are the same as `item`'s (the same
    /// SHA-256), oldest first: a file added twice, or a copy received.
    pub fn same_content(&self, item: &Item) -> Result<Vec<Item>, VaultError> {
        let sql =
            format!("SELECT {COLUMNS} FROM items WHERE sha256 = ?1 AND id != ?2 ORDER BY rowid");
        let mut stmt = self.conn.prepare(&sql)?;
        let items = stmt
            .query_map([&item.sha256, &item.id], from_row)?
            .collect::<Result<_, _>>()?;
        Ok(items)
    }

    /// Finds the full id for an item id or a unique prefix of one.
    pub fn resolve(&self, id: &str) -> Result<String, VaultError> {
        self.resolve_in("items", id)?
            .ok_or_else(|| VaultError::NoItem(id.trim().to_string()))
    }

    /// Finds an id or unique prefix in `table` (a fixed table name, never input).
    pub(crate) fn resolve_in(&self, table: &str, id: &str) -> Result<Option<String>, VaultError> {
        let id = id.trim().to_ascii_lowercase();
        let exact: Option<String> = self
            .conn
            .query_row(
                &format!("SELECT id FROM {table} WHERE id = ?1"),
                [&id],
                |r| r.get(0),
            )
            .optional()?;
        if exact.is_some() {
            return Ok(exact);
        }
        if !id.bytes().all(|b| ID_ALPHABET.contains(&b)) {
            return Ok(None);
        }
        if id.len() < MIN_PREFIX {
            return Err(VaultError::ShortPrefix(crate::names::quoted(&id)));
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id FROM {table} WHERE substr(id, 1, ?2) = ?1 LIMIT 2"
        ))?;
        let found: Vec<String> = stmt
            .query_map(params![id, id.len() as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        match found.as_slice() {
            [one] => Ok(Some(one.clone())),
            [] => Ok(None),
            _ => Err(VaultError::Ambiguous(id)),
        }
    }

    /// Every item that derives from another, as (item, parent) pairs.
    pub fn derivations(&self) -> Result<Vec<(String, String)>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, parent FROM items WHERE parent IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The local id of the item received from `sender_log` as `sender_id`, if any.
    pub fn received_as(
        &self,
        sender_log: &str,
        sender_id: &str,
    ) -> Result<Option<String>, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM items WHERE sender_log = ?1 AND sender_id = ?2",
                params![sender_log, sender_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// An item by its whole id only (no prefix), without recording a view:
    /// for callers such as a preview URL, where a prefix would let one id
    /// reach another item.
    pub fn item_exact(&self, id: &str) -> Result<Item, VaultError> {
        let sql = format!("SELECT {COLUMNS} FROM items WHERE id = ?1");
        self.conn
            .query_row(&sql, [id], from_row)
            .optional()?
            .ok_or_else(|| VaultError::NoItem(id.to_string()))
    }

    /// An item by id or prefix, without recording a view.
    pub fn item(&self, id: &str) -> Result<Item, VaultError> {
        let id = self.resolve(id)?;
        let sql = format!("SELECT {COLUMNS} FROM items WHERE id = ?1");
        Ok(self.conn.query_row(&sql, [&id], from_row)?)
    }

    /// An item shown to the user; the view is recorded in the custody log.
    pub fn view(&mut self, id: &str) -> Result<Item, VaultError> {
        let item = self.item(id)?;
        let actor = self.actor.clone();
        self.record(NewEvent::item(
            Action::ItemViewed,
            &actor,
            &item.id,
            &item.sha256,
        ))?;
        Ok(item)
    }

    /// Changes descriptive fields; the original bytes and hashes never change.
    pub fn edit(&mut self, id: &str, edit: &ItemEdit) -> Result<Item, VaultError> {
        check_fields(
            &[
                ("title", &edit.title),
                ("collector", &edit.collector),
                ("language", &edit.language),
                ("captured-at", &edit.captured_at),
            ],
            &[
                ("source", &edit.source),
                ("method", &edit.method),
                ("notes", &edit.notes),
                ("restriction", &edit.restriction),
            ],
        )?;
        let before = self.item(id)?;
        let mut after = before.clone();
        let mut changed = serde_json::Map::new();
        let mut set = |field: &str, old: &mut String, new: &Option<String>| {
            if let Some(new) = new
                && new != old
            {
                changed.insert(field.into(), serde_json::json!({"from": old, "to": new}));
                *old = new.clone();
            }
        };
        set("title", &mut after.title, &edit.title);
        set("collector", &mut after.collector, &edit.collector);
        set("source", &mut after.source, &edit.source);
        set("method", &mut after.method, &edit.method);
        set("language", &mut after.language, &edit.language);
        set("notes", &mut after.notes, &edit.notes);
        set("restriction", &mut after.restriction, &edit.restriction);
        if let Some(kind) = edit.kind
            && kind != after.kind
        {
            changed.insert(
                "kind".into(),
                serde_json::json!({"from": after.kind, "to": kind}),
            );
            after.kind = kind;
        }
        if let Some(at) = &edit.captured_at
            && after.captured_at.as_ref() != Some(at)
        {
            changed.insert(
                "captured_at".into(),
                serde_json::json!({"from": after.captured_at, "to": at}),
            );
            after.captured_at = Some(at.clone());
        }
        if changed.is_empty() {
            return Ok(after);
        }
        if after.title.trim().is_empty() {
            return Err(VaultError::Invalid("the title cannot be empty".into()));
        }
        let event = NewEvent::item(Action::ItemEdited, &self.actor, &after.id, &after.sha256)
            .with_details(serde_json::json!({ "changed": changed }));
        self.transact(|tx| {
            tx.execute(
                "UPDATE items SET kind = ?2, title = ?3, captured_at = ?4, collector = ?5, source = ?6, \
                 method = ?7, language = ?8, notes = ?9, restriction = ?10 WHERE id = ?1",
                params![
                    after.id,
                    after.kind.as_str(),
                    after.title,
                    after.captured_at,
                    after.collector,
                    after.source,
                    after.method,
                    after.language,
                    after.notes,
                    after.restriction
                ],
            )?;
            super::index::put_item(tx, &after)?;
            Ok((after.clone(), vec![event]))
        })
    }
}

/// Checks one-line and free-text fields, naming the first that does not fit.
pub(crate) fn check_fields(
    lines: &[(&str, &Option<String>)],
    texts: &[(&str, &Option<String>)],
) -> Result<(), VaultError> {
    for (name, value) in lines {
        if let Some(v) = value {
            crate::names::Line::parse(v)
                .map_err(|e| VaultError::Invalid(format!("--{name}: {e}")))?;
        }
    }
    for (name, value) in texts {
        if let Some(v) = value {
            crate::names::Text::parse(v)
                .map_err(|e| VaultError::Invalid(format!("--{name}: {e}")))?;
        }
    }
    Ok(())
}

/// Where a new item comes from, for its custody event.
pub(crate) enum Origin<'a> {
    /// Added by the user.
    Added,
    /// Derived from another item by an operation.
    Derived {
        /// The parent item.
        parent: &'a Item,
        /// The operation and its parameters, e.g. `{"operation": "translation"}`.
        derivation: serde_json::Value,
    },
}
