//! Verifying a bundle: BagIt conformance, both manifests, the signature, the
//! signed checkpoint, every custody event's inclusion proof, and that each
//! evidence file's hash matches its custody history.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::bagit::{self, BagReport};
use super::digest::Alg;
use super::scan::{Scanned, scan};
use super::source::{Limits, Source};
use super::{BundleError, seal};
use crate::Task;
use crate::crypto::sign::DevicePublicKey;
use crate::custody::checkpoint::Checkpoint;
use crate::custody::merkle::{Hash, leaf_hash, verify_inclusion};
use crate::custody::{Action, Event};

/// One named check and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// Whether it held.
    pub ok: bool,
    /// What failed (each naming the file, line or event), or what was found.
    pub details: Vec<String>,
}

/// The outcome of verifying a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// True only when every check holds and the bundle is sealed.
    pub ok: bool,
    /// True when it carries a Casefile signature.
    pub sealed: bool,
    /// The signing key id, when sealed.
    pub key_id: Option<String>,
    /// Each check in order.
    pub checks: Vec<Check>,
    /// Warnings that do not make it fail.
    pub warnings: Vec<String>,
    /// The BagIt report.
    pub bag: BagReport,
    /// Case id from case.json, if readable.
    pub case: Option<String>,
    /// Evidence items listed in case.json.
    pub items: usize,
}

impl Verdict {
    /// Every failure, one line each.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| !c.ok)
            .flat_map(|c| c.details.iter().map(move |d| format!("{}: {d}", c.name)))
            .collect()
    }
}

/// An item as case.json lists it (only what verification needs).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ListedItem {
    pub id: String,
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub sha512: String,
}

#[derive(Deserialize)]
struct ProofEntry {
    seq: u64,
    leaf_index: u64,
    leaf_hash: String,
    path: Vec<String>,
}

#[derive(Deserialize)]
struct ProofHead {
    size: u64,
    root: String,
}

#[derive(Deserialize)]
struct Proofs {
    checkpoint: ProofHead,
    proofs: Vec<ProofEntry>,
}

fn text<'a>(bag: &'a Scanned, name: &str) -> Option<&'a str> {
    bag.files
        .get(name)
        .and_then(|f| f.content.as_deref())
        .and_then(|b| std::str::from_utf8(b).ok())
}

fn hash32(hex_str: &str) -> Option<Hash> {
    hex::decode(hex_str).ok()?.try_into().ok()
}

/// BagIt conformance alone, for bags made by any tool.
pub fn verify_bag_only(
    source: &Source,
    limits: &Limits,
    task: &Task<'_>,
) -> Result<BagReport, BundleError> {
    Ok(bagit::check(&scan(source, limits, task)?))
}

/// Verifies a Casefile bundle. `expected_key`, when given, must be the signer.
pub fn verify(
    source: &Source,
    limits: &Limits,
    expected_key: Option<&DevicePublicKey>,
    task: &Task<'_>,
) -> Result<Verdict, BundleError> {
    let bag = scan(source, limits, task)?;
    Ok(judge(&bag, expected_key).0)
}

/// Judges a scanned bag; also returns the items case.json lists, for import.
pub(crate) fn judge(
    bag: &Scanned,
    expected_key: Option<&DevicePublicKey>,
) -> (Verdict, Vec<ListedItem>) {
    let report = bagit::check(bag);
    let mut checks = Vec::new();
    let mut check = |name: &'static str, details: Vec<String>, found: Option<String>| {
        let ok = details.is_empty();
        checks.push(Check {
            name,
            ok,
            details: if ok {
                found.into_iter().collect()
            } else {
                details
            },
        });
        ok
    };
    check(
        "bagit",
        report.errors.clone(),
        Some(format!(
            "{} payload files, {} bytes",
            report.payload_files, report.payload_bytes
        )),
    );
    let mut missing = Vec::new();
    for m in [
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
    ] {
        if !bag.files.contains_key(m) {
            missing.push(format!("{m} is missing"));
        }
    }
    check(
        "manifests",
        missing,
        Some("SHA-256 and SHA-512 manifests and tag manifests present".into()),
    );

    let sealed = bag.files.contains_key("tagmanifest-sha256.txt.minisig");
    let mut verdict_items = Vec::new();
    let mut key_id = None;
    let mut case_id = None;
    if !sealed {
        check(
            "signature",
            vec!["the bag carries no Casefile signature (tagmanifest-sha256.txt.minisig): it may be intact, but it is not sealed".into()],
            None,
        );
    } else {
        // Signature over the tag manifest, by the key in data/device.pub.
        let key = text(bag, "data/device.pub").and_then(seal::parse_public_key);
        let mut sig_problems = Vec::new();
        match (
            &key,
            text(bag, "tagmanifest-sha256.txt"),
            text(bag, "tagmanifest-sha256.txt.minisig"),
        ) {
            (None, _, _) => {
                sig_problems.push("data/device.pub is missing or not a minisign public key".into())
            }
            (Some(k), Some(tm), Some(sig)) => {
                if let Err(e) = seal::verify(k, tm.as_bytes(), sig) {
                    sig_problems.push(format!("tagmanifest-sha256.txt.minisig: {e}"));
                }
                if let Some(want) = expected_key
                    && want != k
                {
                    sig_problems.push(format!(
                        "signed by key {}, not the expected key {}",
                        k.key_id_hex(),
                        want.key_id_hex()
                    ));
                }
            }
            _ => sig_problems.push("tagmanifest-sha256.txt or its signature is unreadable".into()),
        }
        key_id = key.map(|k| k.key_id_hex());
        let found = key_id.as_ref().map(|k| format!("signed by device key {k}"));
        check("signature", sig_problems, found);

        let (items, custody_problems, evidence_problems, cp_problems, case) =
            custody_and_evidence(bag, key.as_ref());
        case_id = case;
        check(
            "checkpoint",
            cp_problems,
            Some("tree head signed by the device key".into()),
        );
        check(
            "custody",
            custody_problems,
            Some("every event proven against the signed tree head".into()),
        );
        check(
            "evidence",
            evidence_problems,
            Some(format!("{} files match their custody history", items.len())),
        );
        verdict_items = items;
    }
    let ok = sealed && checks.iter().all(|c| c.ok);
    let verdict = Verdict {
        ok,
        sealed,
        key_id,
        warnings: report.warnings.clone(),
        items: verdict_items.len(),
        bag: report,
        case: case_id,
        checks,
    };
    (verdict, verdict_items)
}

type Findings = (
    Vec<ListedItem>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Option<String>,
);

fn custody_and_evidence(bag: &Scanned, key: Option<&DevicePublicKey>) -> Findings {
    let mut custody = Vec::new();
    let mut evidence = Vec::new();
    let mut cp_problems = Vec::new();

    let case: Option<serde_json::Value> =
        text(bag, "data/case.json").and_then(|t| serde_json::from_str(t).ok());
    let case_id = case
        .as_ref()
        .and_then(|c| c["case"]["id"].as_str())
        .map(String::from);
    let items: Vec<ListedItem> = match case
        .as_ref()
        .map(|c| serde_json::from_value(c["items"].clone()))
    {
        Some(Ok(items)) => items,
        _ => {
            evidence.push("data/case.json is missing or does not list the items".into());
            Vec::new()
        }
    };
    let origin = case
        .as_ref()
        .and_then(|c| c["origin"].as_str())
        .unwrap_or_default()
        .to_string();

    // The signed tree head.
    let head = match (key, text(bag, "data/checkpoint.txt")) {
        (Some(k), Some(note)) => match Checkpoint::verify(note, k) {
            Ok(cp) => Some(cp),
            Err(e) => {
                cp_problems.push(format!("data/checkpoint.txt: {e}"));
                None
            }
        },
        _ => {
            cp_problems
                .push("data/checkpoint.txt is missing or there is no key to check it".into());
            None
        }
    };
    if let Some(cp) = &head
        && !origin.is_empty()
        && cp.origin != origin
    {
        cp_problems.push(format!(
            "data/checkpoint.txt belongs to log {:?}, not {origin:?}",
            cp.origin
        ));
    }
    let proofs: Option<Proofs> =
        text(bag, "data/proofs.json").and_then(|t| serde_json::from_str(t).ok());
    if proofs.is_none() {
        custody.push("data/proofs.json is missing or unreadable".into());
    }
    if let (Some(cp), Some(p)) = (&head, &proofs)
        && (p.checkpoint.size != cp.size || hash32(&p.checkpoint.root) != Some(cp.root))
    {
        cp_problems
            .push("data/proofs.json names another tree head than data/checkpoint.txt".into());
    }

    // Each event: readable, by this device, proven against the signed head.
    let mut by_item: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    let lines: Vec<&str> = text(bag, "data/custody.jsonl")
        .map(|t| t.lines().collect())
        .unwrap_or_default();
    if text(bag, "data/custody.jsonl").is_none() {
        custody.push("data/custody.jsonl is missing".into());
    }
    let proof_list = proofs.as_ref().map(|p| p.proofs.as_slice()).unwrap_or(&[]);
    if proofs.is_some() && proof_list.len() != lines.len() {
        custody.push(format!(
            "data/proofs.json has {} proofs for {} events",
            proof_list.len(),
            lines.len()
        ));
    }
    for (i, line) in lines.iter().enumerate() {
        let at = format!("data/custody.jsonl line {}", i + 1);
        let event: Event = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(e) => {
                custody.push(format!("{at}: unreadable event ({e})"));
                continue;
            }
        };
        let name = format!("{at} (event {})", event.seq);
        if let Some(k) = key
            && event.device != k.key_id_hex()
        {
            custody.push(format!(
                "{name}: recorded by device {}, not the signing key",
                event.device
            ));
        }
        let leaf = leaf_hash(line.as_bytes());
        match (proof_list.get(i), &head) {
            (Some(p), Some(cp)) => {
                let path: Option<Vec<Hash>> = p.path.iter().map(|h| hash32(h)).collect();
                let proven = p.seq == event.seq
                    && p.leaf_index + 1 == event.seq
                    && hash32(&p.leaf_hash) == Some(leaf)
                    && path.is_some_and(|path| {
                        verify_inclusion(p.leaf_index, cp.size, &leaf, &path, &cp.root)
                    });
                if !proven {
                    custody.push(format!(
                        "{name}: not included in the signed tree head (altered, or a wrong proof)"
                    ));
                }
            }
            (None, _) => custody.push(format!("{name}: has no inclusion proof")),
            (_, None) => {}
        }
        let history = by_item
            .entry(event.item.clone().unwrap_or_default())
            .or_default();
        if history.last().is_some_and(|l| l.seq >= event.seq) {
            custody.push(format!("{name}: out of order"));
        }
        history.push(event);
    }

    // Each evidence file: present, the right size and hashes, and the hash its custody history records.
    let listed_paths: BTreeSet<&str> = items.iter().map(|i| i.path.as_str()).collect();
    for it in &items {
        let at = format!("{} (item {})", it.path, it.id);
        match bag.files.get(&it.path) {
            None => evidence.push(format!("{at}: missing")),
            Some(f) => {
                if f.size != it.size {
                    evidence.push(format!(
                        "{at}: {} bytes, case.json says {}",
                        f.size, it.size
                    ));
                }
                if f.digests.get(&Alg::Sha256) != Some(&it.sha256)
                    || f.digests.get(&Alg::Sha512) != Some(&it.sha512)
                {
                    evidence.push(format!("{at}: its hash does not match case.json"));
                }
            }
        }
        let history = by_item.get(&it.id).map(Vec::as_slice).unwrap_or(&[]);
        if !history.iter().any(|e| {
            matches!(
                e.action,
                Action::ItemAdded | Action::ItemDerived | Action::Received
            )
        }) {
            evidence.push(format!(
                "{at}: its custody history does not show how it entered the vault"
            ));
        }
        for e in history {
            if e.sha256.as_deref() != Some(it.sha256.as_str()) {
                evidence.push(format!("{at}: event {} records another hash", e.seq));
            }
        }
    }
    for path in bag.files.keys().filter(|p| p.starts_with("data/evidence/")) {
        if !listed_paths.contains(path.as_str()) {
            evidence.push(format!("{path}: not listed in data/case.json"));
        }
    }
    (items, custody, evidence, cp_problems, case_id)
}
