//! A delivery on a remote: a folder of fixed-size parts of one encrypted
//! bundle, and the index written last that says they are complete. Names
//! reveal nothing: a random folder, numbered parts, `index.json`.
//!
//! Two formats. In `casefile-delivery/1` the parts are slices of one age
//! stream. In `casefile-delivery/2` (written since) each part is an age file
//! of its own, holding the next slice of the bag's tar stream, so that an
//! interrupted send can make any part again and send only those missing; the
//! index's hash is then over the parts' hashes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The first format: the parts are slices of one age stream.
pub const FORMAT_1: &str = "casefile-delivery/1";
/// The format written: each part is an age file of its own.
pub const FORMAT: &str = "casefile-delivery/2";
/// The top folder on every remote.
pub const TOP: &str = "casefile/";
/// The index's name in a delivery's folder.
pub const INDEX: &str = "index.json";
/// A receipt's name, and its signature's.
pub const RECEIPT: &str = "receipt.json";
/// The receipt's minisign signature.
pub const RECEIPT_SIG: &str = "receipt.json.minisig";
/// Bytes of the tar stream per part: a failed part is re-sent whole, so
/// small enough to retry cheaply, large enough that a big bundle is not
/// thousands of requests.
pub const PART: usize = 8 << 20;
/// The most an index may hold, and a part may be.
pub const INDEX_BOUND: u64 = 4 << 20;
/// The largest part an index may declare.
pub const PART_BOUND: u64 = 64 << 20;

/// A delivery's random folder name: 32 lowercase hex digits.
pub fn is_delivery_name(name: &str) -> bool {
    name.len() == 32
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The name of part `n` (from 1).
pub fn part_name(n: usize) -> String {
    format!("part-{n:06}")
}

/// One part as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// Its name in the folder.
    pub name: String,
    /// Its size.
    pub size: u64,
    /// SHA-256 of its bytes (ciphertext).
    pub sha256: String,
}

/// The index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// [`FORMAT`] or [`FORMAT_1`].
    pub format: String,
    /// The parts' total size.
    pub size: u64,
    /// What names the delivery: for [`FORMAT`], [`parts_digest`] of its
    /// parts; for [`FORMAT_1`], SHA-256 of the parts in order.
    pub sha256: String,
    /// The parts, in order.
    pub parts: Vec<Part>,
}

impl Index {
    /// Parses and checks an index read from a remote.
    pub fn parse(bytes: &[u8]) -> Result<Index, String> {
        let index: Index =
            serde_json::from_slice(bytes).map_err(|e| format!("its index is not valid: {e}"))?;
        if index.format != FORMAT && index.format != FORMAT_1 {
            return Err(format!(
                "its index is of format {:?}, not {FORMAT} or {FORMAT_1}",
                index.format
            ));
        }
        let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex64(&index.sha256) {
            return Err("its index gives no SHA-256 of the bundle".into());
        }
        let mut total = 0u64;
        for (i, p) in index.parts.iter().enumerate() {
            if p.name != part_name(i + 1) {
                return Err(format!("its index names part {} {:?}", i + 1, p.name));
            }
            if p.size == 0 || p.size > PART_BOUND || !hex64(&p.sha256) {
                return Err(format!("its index describes {} impossibly", p.name));
            }
            total = total.saturating_add(p.size);
        }
        if index.parts.is_empty() || total != index.size {
            return Err("its index's parts do not add up to the bundle's size".into());
        }
        if index.each_part_encrypted() && index.sha256 != parts_digest(&index.parts) {
            return Err("its index's hash is not that of its parts".into());
        }
        Ok(index)
    }

    /// Whether each part is an age file of its own ([`FORMAT`]).
    pub fn each_part_encrypted(&self) -> bool {
        self.format == FORMAT
    }
}

/// The hash that names a [`FORMAT`] delivery: SHA-256 over one line per
/// part, `NAME SIZE SHA256`, so it can be computed from the parts' hashes
/// alone (a resumed send does not read back what it sent before).
pub fn parts_digest(parts: &[Part]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(format!("{} {} {}\n", p.name, p.size, p.sha256).as_bytes());
    }
    hex::encode(h.finalize())
}

/// A receipt, written back by the recipient's device and signed by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// `casefile-receipt/1`.
    pub format: String,
    /// The delivery's folder name.
    pub delivery: String,
    /// SHA-256 of the encrypted bundle received.
    pub sha256: String,
    /// Whether it verified and was imported.
    pub verified: bool,
    /// When (UTC).
    pub received_at: String,
    /// The receiving device's public key (minisign line): the signature is
    /// checked with it, and the sender compares its fingerprint with the
    /// recipient's keys it knows.
    pub device_key: String,
}

/// The receipt format's name.
pub const RECEIPT_FORMAT: &str = "casefile-receipt/1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_that_does_not_add_up_is_refused() {
        let part = |n: usize, size: u64| Part {
            name: part_name(n),
            size,
            sha256: "a".repeat(64),
        };
        let mut ok = Index {
            format: FORMAT_1.into(),
            size: 10,
            sha256: "b".repeat(64),
            parts: vec![part(1, 6), part(2, 4)],
        };
        assert!(Index::parse(&serde_json::to_vec(&ok).unwrap()).is_ok());
        ok.size = 11;
        assert!(Index::parse(&serde_json::to_vec(&ok).unwrap()).is_err());
        ok.size = 10;
        ok.parts[1].name = "../x".into();
        assert!(Index::parse(&serde_json::to_vec(&ok).unwrap()).is_err());
        let mut two = Index {
            format: FORMAT.into(),
            size: 10,
            sha256: "b".repeat(64),
            parts: vec![part(1, 6), part(2, 4)],
        };
        assert!(Index::parse(&serde_json::to_vec(&two).unwrap()).is_err());
        two.sha256 = parts_digest(&two.parts);
        assert!(Index::parse(&serde_json::to_vec(&two).unwrap()).is_ok());
        assert!(is_delivery_name(&"0f".repeat(16)));
        assert!(!is_delivery_name("../../etc"));
    }
}
