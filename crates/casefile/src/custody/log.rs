//! Appending events, signing checkpoints, and verifying the whole log.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::CustodyError;
use super::checkpoint::Checkpoint;
use super::event::{Event, NewEvent};
use super::merkle::{Hash, TreeBuilder, leaf_hash};
use crate::crypto::sign::{DeviceKey, DevicePublicKey};

const NO_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The format new events are written in.
pub const FORMAT: u32 = 2;

/// Current UTC time as RFC 3339 with milliseconds.
pub fn now_utc() -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// Appends an event; call inside the transaction that makes the change it records.
pub fn append(
    conn: &Connection,
    device: &DevicePublicKey,
    new: NewEvent,
) -> Result<Event, CustodyError> {
    let last: Option<(u64, String)> = conn
        .query_row(
            "SELECT seq, body FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, body)) => (seq + 1, hex::encode(leaf_hash(body.as_bytes()))),
        None => (1, NO_PREV.to_string()),
    };
    let mut details = new.details;
    let disclosures = super::disclose::commit(&mut details);
    let event = Event {
        v: Some(FORMAT),
        seq,
        time: now_utc(),
        action: new.action,
        actor: new.actor,
        device: device.key_id_hex(),
        item: new.item,
        sha256: new.sha256,
        details,
        prev,
    };
    let body = serde_json::to_string(&event).map_err(|e| CustodyError::Malformed {
        seq,
        why: e.to_string(),
    })?;
    let disclosed = serde_json::to_string(&disclosures).map_err(|e| CustodyError::Malformed {
        seq,
        why: e.to_string(),
    })?;
    conn.execute(
        "INSERT INTO events (seq, item, body, disclosures) VALUES (?1, ?2, ?3, ?4)",
        params![seq, event.item, body, disclosed],
    )?;
    let mut shown = event;
    super::disclose::reveal(seq, &mut shown.details, &disclosures, "[withheld]")?;
    Ok(shown)
}

/// What [`checkpoint`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// A new checkpoint over this many events was signed.
    Signed(u64),
    /// The latest checkpoint already covers every event.
    UpToDate,
    /// The log does not extend the last signed checkpoint; nothing was signed,
    /// so damage is never blessed with a fresh signature.
    Refused,
}

/// Signs a checkpoint over the whole log if it grew since the last one, and
/// only if the log still matches the last signed checkpoint and the events
/// after it link up.
pub fn checkpoint(
    conn: &Connection,
    key: &DeviceKey,
    origin: &str,
) -> Result<Signing, CustodyError> {
    let public = key.public();
    let signed = match latest_checkpoint(conn)? {
        Some((size, note)) => match Checkpoint::verify(&note, &public) {
            Ok(cp) if cp.size == size && cp.origin == origin => Some(cp),
            _ => return Ok(Signing::Refused),
        },
        None => None,
    };
    let signed_size = signed.as_ref().map_or(0, |cp| cp.size);
    let mut tree = TreeBuilder::default();
    let mut prev: Hash = [0u8; 32];
    let mut stmt = conn.prepare("SELECT seq, body FROM events ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let seq: u64 = row.get(0)?;
        let body: String = row.get(1)?;
        if seq != tree.size() + 1 {
            return Ok(Signing::Refused);
        }
        if seq > signed_size {
            let linked = serde_json::from_str::<Event>(&body)
                .is_ok_and(|e| e.seq == seq && e.prev == hex::encode(prev));
            if !linked {
                return Ok(Signing::Refused);
            }
        }
        let leaf = leaf_hash(body.as_bytes());
        tree.push(leaf);
        prev = leaf;
        if let Some(cp) = &signed
            && cp.size == seq
            && cp.root != tree.root()
        {
            return Ok(Signing::Refused);
        }
    }
    if tree.size() < signed_size {
        return Ok(Signing::Refused);
    }
    if tree.size() == signed_size {
        return Ok(Signing::UpToDate);
    }
    let cp = Checkpoint {
        origin: origin.to_string(),
        size: tree.size(),
        root: tree.root(),
    };
    conn.execute(
        "INSERT INTO checkpoints (size, note) VALUES (?1, ?2)",
        params![cp.size, cp.sign(key)],
    )?;
    Ok(Signing::Signed(cp.size))
}

/// Events in order, all of them or those of one item.
/// An event as stored: its sequence number, the exact hashed text, and the
/// disclosures of its committed values (none for format 1).
#[derive(Debug, Clone)]
pub struct Stored {
    /// Position in the log.
    pub seq: u64,
    /// The text that is hashed.
    pub body: String,
    /// Disclosures, `["salt","value"]` each.
    pub disclosures: Vec<super::disclose::Disclosure>,
}

impl Stored {
    /// An event as read from a table: its body and its disclosures' JSON.
    pub fn from_row(
        seq: u64,
        body: String,
        disclosures: Option<String>,
    ) -> Result<Self, CustodyError> {
        let disclosures = match disclosures {
            None => Vec::new(),
            Some(d) => serde_json::from_str(&d).map_err(|e| CustodyError::Malformed {
                seq,
                why: format!("its disclosures are unreadable ({e})"),
            })?,
        };
        Ok(Stored {
            seq,
            body,
            disclosures,
        })
    }

    /// The event with its committed values revealed.
    pub fn event(&self) -> Result<Event, CustodyError> {
        let mut event: Event =
            serde_json::from_str(&self.body).map_err(|e| CustodyError::Malformed {
                seq: self.seq,
                why: e.to_string(),
            })?;
        if event.v.is_some() {
            super::disclose::reveal(
                self.seq,
                &mut event.details,
                &self.disclosures,
                "[withheld]",
            )?;
        }
        Ok(event)
    }
}

/// Events in order, all of them or those of one item, revealed.
pub fn events(conn: &Connection, item: Option<&str>) -> Result<Vec<Event>, CustodyError> {
    let mut stmt = conn.prepare(
        "SELECT seq, body, disclosures FROM events WHERE (?1 IS NULL OR item = ?1) ORDER BY seq",
    )?;
    let rows = stmt.query_map([item], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, body, disclosures) = row?;
        out.push(Stored::from_row(seq, body, disclosures)?.event()?);
    }
    Ok(out)
}

/// An item's events as stored, up to `upto`.
pub fn raw_events(conn: &Connection, item: &str, upto: u64) -> Result<Vec<Stored>, CustodyError> {
    let mut stmt = conn.prepare(
        "SELECT seq, body, disclosures FROM events WHERE item = ?1 AND seq <= ?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![item, upto], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, body, disclosures) = row?;
        out.push(Stored::from_row(seq, body, disclosures)?);
    }
    Ok(out)
}

/// Leaf hashes of the first `upto` events, in order.
pub fn leaf_hashes(conn: &Connection, upto: u64) -> Result<Vec<Hash>, CustodyError> {
    let mut stmt = conn.prepare("SELECT body FROM events WHERE seq <= ?1 ORDER BY seq")?;
    let rows = stmt.query_map([upto], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for body in rows {
        out.push(leaf_hash(body?.as_bytes()));
    }
    Ok(out)
}

/// The latest signed checkpoint note, if any.
pub fn latest_checkpoint(conn: &Connection) -> Result<Option<(u64, String)>, CustodyError> {
    Ok(conn
        .query_row(
            "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// One thing wrong with the log.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// The first event concerned, if one can be named.
    pub event: Option<u64>,
    /// What is wrong, in one sentence.
    pub message: String,
}

/// The outcome of verifying the log.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Events read.
    pub events: u64,
    /// Checkpoints whose signature and root were checked.
    pub checkpoints: u64,
    /// Size covered by the latest good checkpoint.
    pub signed_size: u64,
    /// Hex root over all events read.
    pub root: String,
    /// Problems found, the first bad event first. Empty means the log holds.
    pub problems: Vec<Problem>,
}

impl Report {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Recomputes the chain and the tree and checks every checkpoint.
///
/// Stops at the first break in the chain, since nothing after it can be
/// trusted; that event is the one the report names.
pub fn verify(
    conn: &Connection,
    key: &DevicePublicKey,
    origin: &str,
) -> Result<Report, CustodyError> {
    let mut checkpoints: Vec<(u64, String)> = conn
        .prepare("SELECT size, note FROM checkpoints ORDER BY size")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    checkpoints.reverse(); // pop from the end in ascending order

    let mut report = Report {
        events: 0,
        checkpoints: 0,
        signed_size: 0,
        root: String::new(),
        problems: Vec::new(),
    };
    let mut tree = TreeBuilder::default();
    let mut prev: Hash = [0u8; 32];
    let mut stmt = conn.prepare("SELECT seq, item, body, disclosures FROM events ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let fail = |report: &mut Report, event: Option<u64>, message: String| {
        report.problems.push(Problem { event, message });
    };
    while let Some(row) = rows.next()? {
        let seq: u64 = row.get(0)?;
        let item: Option<String> = row.get(1)?;
        let body: String = row.get(2)?;
        let expected = tree.size() + 1;
        if seq != expected {
            let message = if seq > expected {
                format!(
                    "event {expected} is missing: the log jumps from event {} to event {seq} (events were deleted)",
                    expected - 1
                )
            } else {
                format!("event {seq} appears out of order")
            };
            fail(&mut report, Some(expected), message);
            break;
        }
        let event: Event = match serde_json::from_str(&body) {
            Ok(e) => e,
            Err(e) => {
                fail(
                    &mut report,
                    Some(seq),
                    format!("event {seq} is unreadable ({e})"),
                );
                break;
            }
        };
        if event.seq != seq {
            fail(
                &mut report,
                Some(seq),
                format!(
                    "event {seq} holds the record of event {} (events were reordered)",
                    event.seq
                ),
            );
            break;
        }
        if event.prev != hex::encode(prev) {
            let bad = seq.saturating_sub(1).max(1);
            fail(
                &mut report,
                Some(bad),
                if seq > 1 {
                    format!(
                        "event {bad} or event {seq} was altered, removed or moved: event {seq} records a different hash for event {bad}"
                    )
                } else {
                    format!(
                        "event {seq} does not start the log (its link to a previous event is not empty)"
                    )
                },
            );
            break;
        }
        if item != event.item {
            fail(
                &mut report,
                Some(seq),
                format!("event {seq} was altered: its item index does not match its record"),
            );
            break;
        }
        if event.v.is_some() {
            let disclosures: Option<String> = row.get(3)?;
            let stored = Stored::from_row(seq, body.clone(), disclosures);
            let complete = stored.as_ref().is_ok_and(|s| {
                s.disclosures.len() == super::disclose::commitments(&event.details).len()
            });
            if stored.and_then(|s| s.event()).is_err() || !complete {
                fail(
                    &mut report,
                    Some(seq),
                    format!(
                        "event {seq}'s disclosed values were altered or removed: they no longer match what it commits to"
                    ),
                );
                break;
            }
        }
        let leaf = leaf_hash(body.as_bytes());
        tree.push(leaf);
        prev = leaf;
        while checkpoints.last().is_some_and(|(size, _)| *size == seq) {
            let Some((size, note)) = checkpoints.pop() else {
                break;
            };
            check_one(&mut report, &tree, size, &note, key, origin);
        }
        if !report.ok() {
            break;
        }
    }
    report.events = tree.size();
    report.root = hex::encode(tree.root());
    if report.ok()
        && let Some((size, _)) = checkpoints.last()
    {
        report.problems.push(Problem {
            event: Some(tree.size() + 1),
            message: format!(
                "a checkpoint covers {size} events but the log holds only {} (events were deleted from the end)",
                tree.size()
            ),
        });
    }
    Ok(report)
}

fn check_one(
    report: &mut Report,
    tree: &TreeBuilder,
    size: u64,
    note: &str,
    key: &DevicePublicKey,
    origin: &str,
) {
    let problem = match Checkpoint::verify(note, key) {
        Err(e) => Some(format!("checkpoint at event {size} is invalid: {e}")),
        Ok(cp) if cp.origin != origin => Some(format!(
            "checkpoint at event {size} belongs to another log ({})",
            cp.origin
        )),
        Ok(cp) if cp.size != size => Some(format!(
            "checkpoint at event {size} claims size {}",
            cp.size
        )),
        Ok(cp) if cp.root != tree.root() => Some(format!(
            "event {size} or one before it was altered: the signed checkpoint at event {size} does not match the log"
        )),
        Ok(_) => None,
    };
    match problem {
        Some(message) => report.problems.push(Problem {
            event: Some(size),
            message,
        }),
        None => {
            report.checkpoints += 1;
            report.signed_size = size;
        }
    }
}
