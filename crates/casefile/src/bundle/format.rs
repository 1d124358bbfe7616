//! The bundle's wire format: the names of its files and the typed contents of
//! `data/case.json` and `data/proofs.json`, shared by export, verify and
//! import. Reading parses into these types, whose fields hold only what their
//! grammar allows (see [`crate::names`]), so a hostile sender's ids, names
//! and paths are refused by name before anything uses them.
//!
//! Fields are only ever added, as optional ones: bundles made by earlier
//! releases (tests/fixtures) keep parsing.

use serde::{Deserialize, Serialize};

use crate::case::CaseSheet;
use crate::case::sheet::{ConsentUse, Regime};
use crate::names::{FileName, Id, Line, NameError, Text};
use crate::vault::ItemKind;

/// `bagit.txt`.
pub const BAGIT_TXT: &str = "bagit.txt";
/// `bag-info.txt`.
pub const BAG_INFO: &str = "bag-info.txt";
/// The payload manifests Casefile writes.
pub const MANIFEST_256: &str = "manifest-sha256.txt";
/// The SHA-512 payload manifest.
pub const MANIFEST_512: &str = "manifest-sha512.txt";
/// The tag manifest the signature covers.
pub const TAGMANIFEST_256: &str = "tagmanifest-sha256.txt";
/// The SHA-512 tag manifest.
pub const TAGMANIFEST_512: &str = "tagmanifest-sha512.txt";
/// The minisign signature over [`TAGMANIFEST_256`]: the seal.
pub const SIGNATURE: &str = "tagmanifest-sha256.txt.minisig";
/// BagIt's list of files to download: a sealed bundle never has one.
pub const FETCH: &str = "fetch.txt";
/// The payload folder.
pub const DATA: &str = "data";
/// The sheet, the items and who exported them.
pub const CASE_JSON: &str = "data/case.json";
/// The items' custody events, one per line, exactly as recorded.
pub const CUSTODY: &str = "data/custody.jsonl";
/// Each event's inclusion proof.
pub const PROOFS: &str = "data/proofs.json";
/// The disclosed values of the events' commitments (log format 2).
pub const DISCLOSURES: &str = "data/disclosures.jsonl";
/// The signed tree head the proofs lead to.
pub const CHECKPOINT: &str = "data/checkpoint.txt";
/// The tree head signed again with minisign, for the recipient's stock tools.
pub const CHECKPOINT_SIGNATURE: &str = "data/checkpoint.txt.minisig";
/// The device's public key (minisign format).
pub const DEVICE_PUB: &str = "data/device.pub";
/// The sealing device's certificate from its organisation, when it has one.
pub const DEVICE_CERTIFICATE: &str = "data/device-certificate.txt";
/// Its minisign signature by the organisation key.
pub const DEVICE_CERTIFICATE_SIGNATURE: &str = "data/device-certificate.txt.minisig";
/// The human report.
pub const REPORT: &str = "data/report.html";
/// The same report as PDF/A-2u, for printing and filing.
pub const REPORT_PDF: &str = "data/report.pdf";
/// How to verify, in English.
pub const VERIFY_TXT: &str = "data/VERIFY.txt";
/// The hash-table certification template.
pub const CERTIFICATION: &str = "data/certification.txt";
/// The folder of evidence files.
pub const EVIDENCE_DIR: &str = "data/evidence";
/// The schema tag of `data/case.json`.
pub const BUNDLE_SCHEMA: &str = "casefile-bundle/1";

/// The small files verification reads whole, each with the most bytes it may
/// hold; anything larger is refused before it is read into memory.
pub const READ_WHOLE: &[(&str, u64)] = &[
    (BAGIT_TXT, 64 << 10),
    (BAG_INFO, 1 << 20),
    (MANIFEST_256, 48 << 20),
    (MANIFEST_512, 64 << 20),
    (TAGMANIFEST_256, 1 << 20),
    (TAGMANIFEST_512, 1 << 20),
    (SIGNATURE, 4 << 10),
    (CASE_JSON, 48 << 20),
    (CUSTODY, 48 << 20),
    (PROOFS, 64 << 20),
    (DISCLOSURES, 48 << 20),
    (CHECKPOINT, 64 << 10),
    (CHECKPOINT_SIGNATURE, 4 << 10),
    (DEVICE_PUB, 4 << 10),
    (DEVICE_CERTIFICATE, 16 << 10),
    (DEVICE_CERTIFICATE_SIGNATURE, 4 << 10),
];

/// Most bytes of all files read whole, together.
pub const READ_WHOLE_TOTAL: u64 = 96 << 20;

/// Most JSON values (counted by [`json_values`]) in all the JSON files read
/// whole, together. A parsed value takes tens of bytes however short it is
/// written (`0,` is two bytes, its value 32), so bytes alone do not bound
/// memory; this does, to about 200 MiB, while leaving room for a case of
/// tens of thousands of events.
pub const MAX_JSON_VALUES: u64 = 2_500_000;

/// An upper bound on the values a JSON text parses into, counted without
/// parsing: one more than its brackets, braces, commas and colons outside
/// strings (each value but the first follows one of them).
pub fn json_values(bytes: &[u8]) -> u64 {
    let mut count = 1u64;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' | b',' | b':' | b'\n' => count += 1,
                _ => {}
            }
        }
    }
    count
}

/// The bound for a file read whole, if it is one.
pub fn read_whole_limit(name: &str) -> Option<u64> {
    if name.starts_with(TIMESTAMPS_DIR) && name[TIMESTAMPS_DIR.len()..].starts_with('/')
        || is_seal_token(name)
    {
        return Some(TIMESTAMP_FILE_MAX);
    }
    READ_WHOLE.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

/// The folder of checkpoint time-stamps, their notes, chains and proofs.
pub const TIMESTAMPS_DIR: &str = "data/timestamps";
/// Inclusion proofs of the bundle's events in each stamped checkpoint.
pub const TIMESTAMP_PROOFS: &str = "data/timestamps/proofs.json";
/// Most bytes of one file under data/timestamps/ or of a seal token.
pub const TIMESTAMP_FILE_MAX: u64 = 4 << 20;

/// The name of the seal's token from `authority`, at the bag's root.
pub fn seal_token_name(authority: &str) -> String {
    format!("{SIGNATURE}.{authority}.tsr")
}

/// Whether a root file is a token over the seal, and from whom.
pub fn seal_token_authority(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(SIGNATURE)?.strip_prefix('.')?;
    let authority = rest.strip_suffix(".tsr")?;
    crate::timestamp::AuthorityName::parse(authority)
        .ok()
        .map(|_| authority)
}

fn is_seal_token(name: &str) -> bool {
    seal_token_authority(name).is_some()
}

/// One stamped checkpoint in `data/timestamps/proofs.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampedCheckpoint {
    /// The checkpoint's size (events covered).
    pub size: u64,
    /// Its note, under data/timestamps/.
    pub note: FileName,
    /// Its tokens, under data/timestamps/ (`<note>.<authority>.tsr`).
    pub tokens: Vec<FileName>,
    /// Inclusion proofs of the bundle's events in its tree.
    pub proofs: Vec<Proof>,
}

/// `data/timestamps/proofs.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimestampProofs {
    /// Stamped checkpoints, oldest first.
    pub checkpoints: Vec<StampedCheckpoint>,
}

/// The path of an item's file in the bag: `data/evidence/<id>-<name>`.
pub fn evidence_path(id: &Id, name: &FileName) -> String {
    format!("{EVIDENCE_DIR}/{id}-{name}")
}

/// A path in the bag of an evidence file: `data/evidence/` and one file name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EvidencePath(String);

impl EvidencePath {
    /// The path as written in the manifests.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path of `id`'s file, named `name`.
    pub fn new(id: &Id, name: &FileName) -> Self {
        EvidencePath(evidence_path(id, name))
    }
}

impl TryFrom<String> for EvidencePath {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, NameError> {
        let bad = |why| NameError {
            what: "an evidence path",
            value: crate::names::quoted(&value),
            why,
        };
        let Some(name) = value
            .strip_prefix(EVIDENCE_DIR)
            .and_then(|r| r.strip_prefix('/'))
        else {
            return Err(bad("evidence lies in data/evidence/"));
        };
        FileName::parse(name).map_err(|e| bad(e.why))?;
        Ok(EvidencePath(value))
    }
}

impl From<EvidencePath> for String {
    fn from(p: EvidencePath) -> String {
        p.0
    }
}

/// Lower-case hex of a fixed number of bytes.
macro_rules! hex_type {
    ($(#[$m:meta])* $name:ident, $bytes:literal, $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The hex digits.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, NameError> {
                if value.len() == 2 * $bytes
                    && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    Ok($name(value))
                } else {
                    Err(NameError {
                        what: $what,
                        value: crate::names::quoted(&value),
                        why: concat!("it must be ", $bytes, " bytes in lower-case hex"),
                    })
                }
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
    };
}

hex_type!(
    /// A SHA-256 digest.
    Sha256Hex,
    32,
    "a SHA-256 digest"
);
hex_type!(
    /// A SHA-512 digest.
    Sha512Hex,
    64,
    "a SHA-512 digest"
);

/// What the bundle was prepared for: the use and the recipient whose consent
/// decided what it holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreparedFor {
    /// The use (always a submission today).
    #[serde(rename = "use")]
    pub usage: ConsentUse,
    /// The regime or mechanism.
    pub recipient: Regime,
    /// The language its instructions were written in besides English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Line>,
}

/// The key that sealed the bundle, as case.json names it (the key itself is
/// `data/device.pub`; only the signature proves anything).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealKey {
    /// minisign's 8-byte key id, hex: a label, not an identity.
    pub key_id: Line,
    /// The minisign public key line.
    pub minisign: Line,
    /// SHA-256 of the whole public key (see `DevicePublicKey::fingerprint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Sha256Hex>,
}

/// One evidence item as a bundle lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireItem {
    /// Its file in the bag.
    pub path: EvidencePath,
    /// Its id in the sender's vault (never used as a local id).
    pub id: Id,
    /// What sort of evidence.
    pub kind: ItemKind,
    /// Title.
    pub title: Line,
    /// The file name it arrived with at the sender.
    pub original_name: FileName,
    /// MIME type the sender detected.
    pub mime: Line,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the original bytes.
    pub sha256: Sha256Hex,
    /// SHA-512 of the original bytes.
    pub sha512: Sha512Hex,
    /// When it entered the sender's vault.
    pub ingested_at: Line,
    /// When it was captured, as stated.
    #[serde(default)]
    pub captured_at: Option<Line>,
    /// Who collected it.
    #[serde(default)]
    pub collector: Line,
    /// Where it came from.
    #[serde(default)]
    pub source: Text,
    /// How it was acquired.
    #[serde(default)]
    pub method: Text,
    /// Language of its content.
    #[serde(default)]
    pub language: Line,
    /// Notes.
    #[serde(default)]
    pub notes: Text,
    /// Access restriction.
    #[serde(default)]
    pub restriction: Text,
    /// The item of this bundle it derives from (a sender's id).
    #[serde(default)]
    pub parent: Option<Id>,
    /// How it was derived (operation and parameters).
    #[serde(default)]
    pub derivation: Option<serde_json::Value>,
}

/// `data/case.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// Always [`BUNDLE_SCHEMA`].
    pub schema: Line,
    /// When it was exported (UTC).
    pub exported_at: Line,
    /// Use and recipient.
    pub prepared_for: PreparedFor,
    /// The sender's log origin (`casefile/<vault id>`).
    pub origin: Line,
    /// The sealing key.
    pub device_key: SealKey,
    /// How many persons were left out for lack of consent.
    pub withheld_persons: usize,
    /// The case sheet, as consent allows it.
    pub case: CaseSheet,
    /// The evidence items.
    pub items: Vec<WireItem>,
}

/// The tree head the proofs lead to, as `data/proofs.json` repeats it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofHead {
    /// The log's origin.
    #[serde(default)]
    pub origin: Line,
    /// Events in the tree.
    pub size: u64,
    /// Merkle root, hex.
    pub root: Sha256Hex,
}

/// One event's inclusion proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    /// The event's sequence number.
    pub seq: u64,
    /// Its leaf index (seq - 1).
    pub leaf_index: u64,
    /// Its leaf hash, hex.
    pub leaf_hash: Sha256Hex,
    /// The audit path, hex, leaf to root.
    pub path: Vec<Sha256Hex>,
}

/// `data/proofs.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofsFile {
    /// The tree head.
    pub checkpoint: ProofHead,
    /// One proof per line of `data/custody.jsonl`, in order.
    pub proofs: Vec<Proof>,
}

/// A line of `data/custody.jsonl` that stands for an event withheld whole
/// (one from before log format 2 that names a person left out): only its
/// inclusion proof is given, proving an event is there, not what it says.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithheldLine {
    /// The event withheld.
    pub withheld: WithheldEvent,
}

/// Which event a [`WithheldLine`] stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithheldEvent {
    /// Its sequence number.
    pub seq: u64,
}

/// A line of `data/disclosures.jsonl`: the disclosures of one event's
/// commitments that this bundle reveals (those it leaves out stay hashes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureLine {
    /// The event.
    pub seq: u64,
    /// `["salt","value"]` each, as the event's commitments hash them.
    pub disclosures: Vec<String>,
}

/// Parses a JSON file of the bundle, naming the file and the field of the first error.
pub fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, String> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            format!("{file}: {}", e.inner())
        } else {
            format!("{file}: {path}: {}", e.inner())
        }
    })
}

impl Sha256Hex {
    /// The hex of 32 bytes.
    pub fn of(bytes: &[u8; 32]) -> Self {
        Sha256Hex(hex::encode(bytes))
    }

    /// The 32 bytes.
    pub fn bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        // The grammar guarantees 64 hex digits.
        if hex::decode_to_slice(&self.0, &mut out).is_err() {
            out = [0u8; 32];
        }
        out
    }

    /// Checks a hex string.
    pub fn parse(s: &str) -> Result<Self, NameError> {
        Self::try_from(s.to_string())
    }
}

impl Sha512Hex {
    /// Checks a hex string.
    pub fn parse(s: &str) -> Result<Self, NameError> {
        Self::try_from(s.to_string())
    }
}

#[cfg(test)]
mod json_values_tests {
    use super::json_values;

    #[test]
    fn bounds_the_values_a_text_parses_into() {
        for text in [
            "0",
            "[0,0,0]",
            r#"{"a":[1,{"b":"x,y:[z"}],"c":"\"[,"}"#,
            "{\"a\":1}\n{\"b\":[2,3]}\n",
        ] {
            let parsed: usize = text
                .lines()
                .map(|l| count(&serde_json::from_str::<serde_json::Value>(l).unwrap()))
                .sum();
            assert!(json_values(text.as_bytes()) >= parsed as u64, "{text}");
        }
        assert_eq!(json_values(br#"["[,:{"]"#), 2);
    }

    fn count(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Array(a) => 1 + a.iter().map(count).sum::<usize>(),
            // A key is a string too.
            serde_json::Value::Object(o) => 1 + o.values().map(|v| 1 + count(v)).sum::<usize>(),
            _ => 1,
        }
    }
}
