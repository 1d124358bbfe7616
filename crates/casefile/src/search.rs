//! Full-text search over titles, notes, names, narratives and testimony text.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::vault::index::{fts_text, is_unspaced};
use crate::{Vault, VaultError};

/// One search result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    /// `item` or `case`.
    pub kind: String,
    /// The item or case id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The matching passage, matches in [brackets].
    pub snippet: String,
}

/// Most results `search` returns.
pub const LIMIT: usize = 200;

/// Results of a search, best first, and whether there were more than were
/// returned (so a count can say "the first N").
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Found {
    /// The results returned.
    pub hits: Vec<Hit>,
    /// More items or cases matched than `hits` holds.
    pub more: bool,
}

/// Builds an FTS5 query: every word must match, as a prefix; words of
/// unspaced scripts match as a phrase of their characters.
fn fts_query(query: &str) -> Option<String> {
    let terms: Vec<String> = query
        .split_whitespace()
        .map(|t| {
            let spaced = fts_text(t);
            let words: Vec<&str> = spaced.split_whitespace().collect();
            format!("\"{}\"*", words.join(" ").replace('"', "\"\""))
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// Removes the spaces the index put around characters of unspaced scripts.
fn unspace(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.get(i + 1).copied();
            if prev.is_none_or(|p| is_unspaced(p) || p == ' ' || p == '[' || p == '\n')
                || next.is_none_or(|n| is_unspaced(n) || n == ' ' || n == ']' || n == '\n')
            {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Searches the vault; at most `LIMIT` results, best first.
pub fn search(vault: &Vault, query: &str) -> Result<Vec<Hit>, VaultError> {
    Ok(search_at_most(vault, query, LIMIT)?.hits)
}

/// Searches the vault; at most `limit` results, best first, saying whether
/// more matched.
pub fn search_at_most(vault: &Vault, query: &str, limit: usize) -> Result<Found, VaultError> {
    let Some(q) = fts_query(query) else {
        return Err(VaultError::Invalid("the search is empty".into()));
    };
    let conn = vault.conn();
    let mut stmt = conn.prepare(
        "SELECT kind, ref, snippet(search, 3, '[', ']', '…', 12) FROM search \
         WHERE search MATCH ?1 ORDER BY rank",
    )?;
    let rows = stmt.query_map(rusqlite::params![q], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut hits: Vec<Hit> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        let (kind, id, snippet) = row?;
        let kind = if kind == "text" {
            "item".to_string()
        } else {
            kind
        };
        // An item matches once however many of its texts (testimony,
        // notes) match.
        if !seen.insert((kind.clone(), id.clone())) {
            continue;
        }
        if hits.len() == limit {
            return Ok(Found { hits, more: true });
        }
        let table = if kind == "case" { "cases" } else { "items" };
        let title: Option<String> = conn
            .query_row(
                &format!("SELECT title FROM {table} WHERE id = ?1"),
                [&id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(title) = title else { continue };
        let snippet = unspace(&snippet)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        hits.push(Hit {
            kind,
            id,
            title,
            snippet,
        });
    }
    Ok(Found { hits, more: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_prefix_phrases() {
        assert_eq!(fts_query("王伟").unwrap(), "\"王 伟\"*");
        assert_eq!(fts_query("Ivanov  \"x").unwrap(), "\"Ivanov\"* \"\"\"x\"*");
        assert!(fts_query("   ").is_none());
    }

    #[test]
    fn unspacing_restores_cjk_runs() {
        assert_eq!(
            unspace(&fts_text("官员王伟说 hello world")),
            "官员王伟说hello world"
        );
        assert_eq!(unspace(" [王 伟] 说 "), "[王伟]说");
    }
}
