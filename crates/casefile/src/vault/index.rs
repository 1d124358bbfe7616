//! The full-text index (SQLite FTS5 inside the encrypted database).
//!
//! FTS5's unicode61 tokenizer splits on spaces and punctuation, which leaves a
//! run of Chinese or Japanese characters as one token. Each such character is
//! therefore indexed as a token of its own, and a query's characters are
//! searched as a phrase, so `王伟` finds `王伟` inside any longer run.

use rusqlite::{Connection, params};

/// Whether a character belongs to a script written without spaces.
pub(crate) fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x3134F) // CJK Extensions B-G
}

/// Text as it goes into the index: unspaced-script characters set apart.
pub(crate) fn fts_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    for c in s.chars() {
        if is_unspaced(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Replaces the index entry for one thing (`kind` is `item`, `case`, ...).
pub(crate) fn put(
    conn: &Connection,
    kind: &str,
    id: &str,
    title: &str,
    body: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM search WHERE kind = ?1 AND ref = ?2",
        params![kind, id],
    )?;
    conn.execute(
        "INSERT INTO search (kind, ref, title, body) VALUES (?1, ?2, ?3, ?4)",
        params![kind, id, fts_text(title), fts_text(body)],
    )?;
    Ok(())
}

/// Indexes an item's descriptive fields (its text content, if any, is a
/// separate `text` entry that edits leave alone).
pub(crate) fn put_item(conn: &Connection, item: &super::Item) -> rusqlite::Result<()> {
    let body = [
        item.original_name.as_str(),
        &item.notes,
        &item.source,
        &item.collector,
        &item.method,
    ]
    .join("\n");
    put(conn, "item", &item.id, &item.title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_characters_are_set_apart() {
        assert_eq!(fts_text("官员王伟说"), " 官  员  王  伟  说 ");
        assert_eq!(fts_text("Иванов"), "Иванов");
        assert_eq!(fts_text("محمد"), "محمد");
    }
}
