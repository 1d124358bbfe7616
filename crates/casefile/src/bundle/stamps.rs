//! Time-stamps in a bundle: tokens over the device's checkpoints (under
//! `data/timestamps/`, with the checkpoint text each stamps, the authorities'
//! certificates and the proofs tying the bundle's events to each stamped
//! tree), and tokens over the seal at the bag's root (a token cannot be
//! inside what it stamps). Every token is a granted RFC 3161 reply, so
//! `openssl ts -verify -data F -in F.<authority>.tsr -CAfile <authority>.pem`
//! checks each one.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::format::{self, Proof, Sha256Hex, StampedCheckpoint, TimestampProofs};
use super::scan::Scanned;
use super::verify::Trust;
use crate::crypto::sign::DevicePublicKey;
use crate::custody::checkpoint::Checkpoint;
use crate::custody::merkle::{Hash, inclusion_proof, verify_inclusion};
use crate::names::FileName;
use crate::timestamp::{self, token};
use crate::vault::StoredToken;

/// A pinned authority, as verification knows it.
#[derive(Debug, Clone)]
pub struct PinnedAuthority {
    /// The recipient's name for it.
    pub name: String,
    /// Its certificates, DER.
    pub certs: Vec<Vec<u8>>,
}

/// The files a bundle's checkpoint time-stamps add under `data/timestamps/`.
pub(crate) struct StampFiles {
    /// Text files (notes, chains, proofs), by bag path.
    pub text: Vec<(String, String)>,
    /// Token replies, by bag path.
    pub binary: Vec<(String, Vec<u8>)>,
}

/// Chooses, for each event of the bundle, the oldest stamped checkpoint
/// that covers it, and writes those checkpoints with their tokens and proofs.
pub(crate) fn checkpoint_files(
    tokens: &[(StoredToken, String)],
    events: &[Proof],
    leaves: &[Hash],
    certs: &BTreeMap<String, Vec<Vec<u8>>>,
) -> Result<StampFiles, timestamp::TimestampError> {
    let sizes: BTreeSet<u64> = tokens.iter().map(|(t, _)| t.size).collect();
    let mut chosen: BTreeMap<u64, Vec<&Proof>> = BTreeMap::new();
    for e in events {
        if let Some(size) = sizes.range(e.seq..).next() {
            chosen.entry(*size).or_default().push(e);
        }
    }
    let mut out = StampFiles {
        text: Vec::new(),
        binary: Vec::new(),
    };
    let mut entries = Vec::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    for (size, evs) in &chosen {
        let Some(note) = tokens.iter().find(|(t, _)| t.size == *size).map(|(_, n)| n) else {
            continue;
        };
        let Ok(upto) = usize::try_from(*size) else {
            continue;
        };
        if upto > leaves.len() {
            continue;
        }
        let note_name = format!("checkpoint-{size}.txt");
        let mut token_names = Vec::new();
        for (t, _) in tokens.iter().filter(|(t, _)| t.size == *size) {
            let name = format!("{note_name}.{}.tsr", t.authority);
            out.binary.push((
                format!("{}/{name}", format::TIMESTAMPS_DIR),
                token::as_reply(&t.token)?,
            ));
            token_names.push(FileName::sanitize(&name, 200));
            used.insert(t.authority.to_string());
        }
        let proofs = evs
            .iter()
            .filter_map(|e| {
                let index = usize::try_from(e.leaf_index).ok()?;
                Some(Proof {
                    seq: e.seq,
                    leaf_index: e.leaf_index,
                    leaf_hash: e.leaf_hash.clone(),
                    path: inclusion_proof(index, &leaves[..upto])
                        .iter()
                        .map(Sha256Hex::of)
                        .collect(),
                })
            })
            .collect();
        out.text.push((
            format!("{}/{note_name}", format::TIMESTAMPS_DIR),
            note.clone(),
        ));
        entries.push(StampedCheckpoint {
            size: *size,
            note: FileName::sanitize(&note_name, 200),
            tokens: token_names,
            proofs,
        });
    }
    if entries.is_empty() {
        return Ok(out);
    }
    for name in &used {
        if let Some(c) = certs.get(name) {
            out.text.push((
                format!("{}/{name}.pem", format::TIMESTAMPS_DIR),
                timestamp::to_pem(c),
            ));
        }
    }
    let proofs = TimestampProofs {
        checkpoints: entries,
    };
    out.text.push((
        format::TIMESTAMP_PROOFS.to_string(),
        serde_json::to_string_pretty(&proofs).unwrap_or_default() + "\n",
    ));
    Ok(out)
}

/// When one item of a bundle is proven to have existed.
#[derive(Debug, Clone, Serialize)]
pub struct ItemStamp {
    /// The event that brought it into the sender's vault.
    pub seq: u64,
    /// The earliest valid time-stamp over a checkpoint covering that event.
    pub time: String,
    /// The authority, by the recipient's name for it.
    pub authority: String,
}

/// What the bundle's time-stamps prove, and what failed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StampReport {
    /// Problems, each naming its file.
    pub problems: Vec<String>,
    /// Earliest proven time per event sequence number.
    pub events: BTreeMap<u64, ItemStamp>,
    /// Valid tokens over the seal: (authority, time).
    pub seal: Vec<(String, String)>,
    /// Tokens found.
    pub tokens: usize,
    /// Valid tokens from authorities not pinned here, each named.
    pub unpinned: Vec<String>,
}

/// What one token file came to.
enum TokenVerdict {
    /// Valid, from this pinned authority, stating this time.
    Holds(String, String),
    /// Valid in itself, but from an authority not pinned here: named, and
    /// no time is claimed from it.
    Unpinned(String),
}

/// Checks one token file against `data`. Anything wrong with the token
/// itself is an error naming the file; a valid token whose signer chains to
/// no pinned authority proves nothing here, and says so.
fn check_token(
    name: &str,
    bytes: &[u8],
    data: &[u8],
    pinned: &[PinnedAuthority],
) -> Result<TokenVerdict, String> {
    let token = token::from_file(bytes).map_err(|e| format!("{name}: {e}"))?;
    for a in pinned {
        match timestamp::verify(&token, data, &a.certs) {
            Ok(stamp) => return Ok(TokenVerdict::Holds(a.name.clone(), stamp.time)),
            Err(timestamp::TimestampError::Unpinned(_)) => {}
            Err(e) => return Err(format!("{name}: {e}")),
        }
    }
    match timestamp::verify(&token, data, &[]) {
        Err(timestamp::TimestampError::Unpinned(s)) => Ok(TokenVerdict::Unpinned(format!(
            "{name}: signed by {s}, an authority this verification has not pinned, so its time is not claimed (pin it with `casefile tsa add` or --tsa-ca)"
        ))),
        Err(e) => Err(format!("{name}: {e}")),
        Ok(_) => Err(format!("{name}: no authority is pinned")),
    }
}

/// Checks every time-stamp in the bag. `leaf_of` gives the bundle's own leaf
/// hash of each event it proves (from `data/proofs.json`).
pub(crate) fn check(
    bag: &Scanned,
    key: Option<&DevicePublicKey>,
    trust: &Trust,
    leaf_of: &BTreeMap<u64, Sha256Hex>,
) -> StampReport {
    let mut report = StampReport::default();
    let content = |name: &str| bag.files.get(name).and_then(|f| f.content.as_deref());
    // Seal tokens.
    for name in bag.files.keys().filter(|n| !n.contains('/')) {
        if format::seal_token_authority(name).is_none() {
            continue;
        }
        report.tokens += 1;
        let (Some(bytes), Some(sig)) = (content(name), content(format::SIGNATURE)) else {
            report.problems.push(format!("{name}: unreadable"));
            continue;
        };
        match check_token(name, bytes, sig, &trust.authorities) {
            Ok(TokenVerdict::Holds(a, t)) => report.seal.push((a, t)),
            Ok(TokenVerdict::Unpinned(why)) => report.unpinned.push(why),
            Err(e) => report.problems.push(e),
        }
    }
    // Checkpoint tokens.
    let Some(text) = bag.text(format::TIMESTAMP_PROOFS) else {
        if let Some(stray) = bag
            .files
            .keys()
            .find(|n| n.starts_with(&format!("{}/", format::TIMESTAMPS_DIR)))
        {
            report.problems.push(format!(
                "{stray} is present but {} is not",
                format::TIMESTAMP_PROOFS
            ));
        }
        return report;
    };
    let proofs: TimestampProofs = match format::parse(format::TIMESTAMP_PROOFS, text) {
        Ok(p) => p,
        Err(e) => {
            report.problems.push(e);
            return report;
        }
    };
    let Some(key) = key else {
        report
            .problems
            .push("the checkpoints cannot be checked without the device key".into());
        return report;
    };
    let mut latest: Option<String> = None;
    for cp in &proofs.checkpoints {
        let note_path = format!("{}/{}", format::TIMESTAMPS_DIR, cp.note.as_str());
        let Some(note) = bag.text(&note_path) else {
            report.problems.push(format!("{note_path} is missing"));
            continue;
        };
        let head = match Checkpoint::verify(note, key) {
            Ok(h) => h,
            Err(e) => {
                report.problems.push(format!("{note_path}: {e}"));
                continue;
            }
        };
        if head.size != cp.size {
            report.problems.push(format!(
                "{note_path} covers {} events, not the {} the proofs say",
                head.size, cp.size
            ));
            continue;
        }
        let mut proven = Vec::new();
        for p in &cp.proofs {
            let leaf = p.leaf_hash.bytes();
            let path: Vec<Hash> = p.path.iter().map(Sha256Hex::bytes).collect();
            let same_leaf = leaf_of.get(&p.seq) == Some(&p.leaf_hash);
            if !same_leaf
                || p.leaf_index + 1 != p.seq
                || !verify_inclusion(p.leaf_index, head.size, &leaf, &path, &head.root)
            {
                report.problems.push(format!(
                    "{}: event {} is not proven in {note_path}",
                    format::TIMESTAMP_PROOFS,
                    p.seq
                ));
                continue;
            }
            proven.push(p.seq);
        }
        let mut best: Option<(String, String)> = None;
        for t in &cp.tokens {
            report.tokens += 1;
            let token_path = format!("{}/{}", format::TIMESTAMPS_DIR, t.as_str());
            if !t.as_str().starts_with(&format!("{}.", cp.note.as_str())) {
                report
                    .problems
                    .push(format!("{token_path} is not named for {note_path}"));
                continue;
            }
            let Some(bytes) = content(&token_path) else {
                report.problems.push(format!("{token_path} is missing"));
                continue;
            };
            match check_token(&token_path, bytes, note.as_bytes(), &trust.authorities) {
                Ok(TokenVerdict::Unpinned(why)) => report.unpinned.push(why),
                Ok(TokenVerdict::Holds(authority, time)) => {
                    if latest.as_ref().is_none_or(|t0| time > *t0) {
                        latest = Some(time.clone());
                    }
                    if best.as_ref().is_none_or(|(_, t0)| time < *t0) {
                        best = Some((authority, time));
                    }
                }
                Err(e) => report.problems.push(e),
            }
        }
        if let Some((authority, time)) = best {
            for seq in proven {
                let better = report.events.get(&seq).is_none_or(|s| time < s.time);
                if better {
                    report.events.insert(
                        seq,
                        ItemStamp {
                            seq,
                            time: time.clone(),
                            authority: authority.clone(),
                        },
                    );
                }
            }
        }
    }
    // The seal was made after every checkpoint the bundle carries: a seal
    // stamped earlier than one of them is a lie, whoever signed it.
    if let Some(latest) = latest {
        for (authority, time) in &report.seal {
            if *time < latest {
                report.problems.push(format!(
                    "the seal's time-stamp by {authority} ({time}) is earlier than a checkpoint it follows ({latest})"
                ));
            }
        }
    }
    report
}

/// The authorities a vault has pinned, for verifying bundles it receives.
pub fn pinned_by(vault: &crate::Vault) -> Result<Vec<PinnedAuthority>, crate::VaultError> {
    Ok(vault
        .authorities()?
        .into_iter()
        .map(|a| PinnedAuthority {
            name: a.name.to_string(),
            certs: a.certs,
        })
        .collect())
}
