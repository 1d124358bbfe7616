//! Verifying a bundle: BagIt conformance, both manifests, that the signature
//! covers every file, the signature itself, the signed checkpoint, every
//! custody event's inclusion proof, and that each evidence file's hash matches
//! its custody history. Then who signed it: a bundle is trusted only when its
//! signer is pinned (a key the recipient holds, or a known sender).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::bagit::{self, BagReport};
use super::digest::Alg;
use super::format::{self, CaseFile, ProofsFile};
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

/// The key that sealed a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Signer {
    /// minisign's key id: a label anyone can copy, never proof of who signed.
    pub key_id: String,
    /// SHA-256 of the whole public key: what a recipient compares.
    pub fingerprint: String,
    /// The public key line (`minisign -P` takes it).
    pub minisign: String,
}

impl Signer {
    fn of(key: &DevicePublicKey) -> Self {
        Signer {
            key_id: key.key_id_hex(),
            fingerprint: key.fingerprint(),
            minisign: key.minisign_line(),
        }
    }
}

/// A key the recipient trusts, and why.
#[derive(Debug, Clone)]
pub struct Pin {
    /// The key.
    pub key: DevicePublicKey,
    /// How it came to be trusted ("known sender Amina", "the key in k.pub").
    pub label: String,
}

/// What verification trusts.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Keys whose seal is trusted.
    pub pins: Vec<Pin>,
    /// A key the bundle must be signed by (`--key`): another signer fails.
    pub required: Option<Pin>,
    /// Time-stamping authorities whose tokens are trusted.
    pub authorities: Vec<super::stamps::PinnedAuthority>,
    /// Organisations whose certified devices are trusted.
    pub organisations: Vec<Pin>,
    /// Devices their organisations revoked.
    pub revocations: Vec<super::org::Revocation>,
}

impl Trust {
    /// What a vault trusts: its known senders (devices and organisations),
    /// its own key, the revocations it loaded and its pinned authorities.
    pub fn of_vault(vault: &crate::Vault) -> Result<Self, crate::VaultError> {
        let mut pins = Vec::new();
        let mut organisations = Vec::new();
        for s in vault.senders()? {
            if s.kind == crate::vault::KIND_ORGANISATION {
                organisations.push(Pin {
                    key: s.key,
                    label: format!("known organisation {:?}", s.name),
                });
            } else {
                pins.push(Pin {
                    key: s.key,
                    label: format!("known sender {:?}", s.name),
                });
            }
        }
        pins.push(Pin {
            key: vault.device_key(),
            label: "this vault's own device key".into(),
        });
        let revocations = vault
            .revocations()?
            .into_iter()
            .filter_map(|s| super::org::Revocation::verify(&s.text, &s.signature).ok())
            .filter(|r| organisations.iter().any(|o| o.key == r.organisation_key))
            .collect();
        Ok(Trust {
            pins,
            required: None,
            authorities: super::stamps::pinned_by(vault)?,
            organisations,
            revocations,
        })
    }
}

impl Trust {
    /// Trust in exactly one key, which the bundle must be signed by.
    pub fn only(pin: Pin) -> Self {
        Trust {
            pins: Vec::new(),
            required: Some(pin),
            authorities: Vec::new(),
            organisations: Vec::new(),
            revocations: Vec::new(),
        }
    }

    fn pinned(&self, key: &DevicePublicKey) -> Option<&Pin> {
        self.required
            .iter()
            .chain(&self.pins)
            .find(|p| p.key == *key)
    }
}

/// The outcome of verifying a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// True when every check holds and the bundle is sealed: intact and
    /// validly signed. Whether the signer is trusted is [`Verdict::pinned`].
    pub ok: bool,
    /// True when it carries a Casefile signature.
    pub sealed: bool,
    /// The signing key id, when sealed (a label; see `signer`).
    pub key_id: Option<String>,
    /// The signing key, when sealed.
    pub signer: Option<Signer>,
    /// Why the signer is trusted, when it is pinned.
    pub pinned: Option<String>,
    /// Each check in order.
    pub checks: Vec<Check>,
    /// Warnings that do not make it fail.
    pub warnings: Vec<String>,
    /// The BagIt report.
    pub bag: BagReport,
    /// Case id from case.json (the sender's), if readable.
    pub case: Option<String>,
    /// Evidence items listed in case.json.
    pub items: usize,
    /// Items proven by a time-stamp to have existed no later than a time.
    pub existed: Vec<Existed>,
    /// Valid time-stamps over the seal: (authority, time).
    pub sealed_no_later_than: Vec<(String, String)>,
}

/// An item a time-stamp proves existed no later than a time.
#[derive(Debug, Clone, Serialize)]
pub struct Existed {
    /// The item (the sender's id).
    pub item: String,
    /// The time the earliest valid token states.
    pub time: String,
    /// The authority, by the recipient's name for it.
    pub authority: String,
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

    /// How many checks failed.
    pub fn failed_checks(&self) -> usize {
        self.checks.iter().filter(|c| !c.ok).count()
    }

    /// Intact, validly signed, and signed by a pinned key.
    pub fn trusted(&self) -> bool {
        self.ok && self.pinned.is_some()
    }
}

/// BagIt conformance alone, for bags made by any tool.
pub fn verify_bag_only(
    source: &Source,
    limits: &Limits,
    task: &Task<'_>,
) -> Result<BagReport, BundleError> {
    Ok(bagit::check(&scan(source, limits, task)?))
}

/// Verifies a Casefile bundle against what `trust` pins.
pub fn verify(
    source: &Source,
    limits: &Limits,
    trust: &Trust,
    task: &Task<'_>,
) -> Result<Verdict, BundleError> {
    Ok(read(source, limits, task)?.judge(trust))
}

/// A bundle read once and hashed, not yet judged. Reading takes the time;
/// a caller can find out meanwhile what it trusts (unlock a vault, which
/// costs a core for a quarter of a second that hashing leaves free).
pub struct ReadBundle(Scanned);

/// Reads and hashes a bundle for [`ReadBundle::judge`].
pub fn read(source: &Source, limits: &Limits, task: &Task<'_>) -> Result<ReadBundle, BundleError> {
    scan(source, limits, task).map(ReadBundle)
}

impl ReadBundle {
    /// The verdict against what `trust` pins.
    pub fn judge(&self, trust: &Trust) -> Verdict {
        judge(&self.0, trust).0
    }
}

/// Files the signature covers: the signed tag manifest, what it lists, and
/// what the payload manifests it lists list in turn.
fn covered(bag: &Scanned) -> BTreeSet<String> {
    let mut out = BTreeSet::from([
        format::SIGNATURE.to_string(),
        format::TAGMANIFEST_256.to_string(),
    ]);
    let tags = bag
        .text(format::TAGMANIFEST_256)
        .map(bagit::manifest_paths)
        .unwrap_or_default();
    for t in &tags {
        if t.starts_with("manifest-")
            && let Some(text) = bag.text(t)
        {
            out.extend(bagit::manifest_paths(text));
        }
        out.insert(t.clone());
    }
    // The SHA-512 tag manifest is not signed, but only repeats what is.
    if let Some(text) = bag.text(format::TAGMANIFEST_512)
        && bagit::manifest_paths(text).iter().all(|p| out.contains(p))
    {
        out.insert(format::TAGMANIFEST_512.to_string());
    }
    out
}

/// Problems with what the bag holds beside its signed content: files the
/// signature does not cover, `fetch.txt`, names that fold onto others.
fn coverage(bag: &Scanned) -> Vec<String> {
    let mut problems = Vec::new();
    if bag.files.contains_key(format::FETCH) {
        problems.push(
            "fetch.txt is present: a sealed bundle never asks to download anything".to_string(),
        );
    }
    let mut folded: BTreeMap<String, &str> = BTreeMap::new();
    for name in bag.files.keys() {
        let top = name.split('/').next().unwrap_or(name);
        if top != format::DATA && top.eq_ignore_ascii_case(format::DATA) && name.contains('/') {
            problems.push(format!(
                "{name:?} lies in {top:?}, a twin of the payload folder data/ that only differs by case"
            ));
        }
        if let Some(other) = folded.insert(bagit::fold(name), name) {
            problems.push(format!(
                "{other:?} and {name:?} differ only by case or Unicode normalisation"
            ));
        }
    }
    let signed = covered(bag);
    for name in bag.files.keys() {
        // A token over the seal cannot be covered by it; it is checked apart.
        if !signed.contains(name) && format::seal_token_authority(name).is_none() {
            problems.push(format!("{name} is not covered by the signed tag manifest"));
        }
    }
    for (name, bound) in &bag.oversized {
        problems.push(format!(
            "{name} is larger than the {} MiB it may hold",
            bound >> 20
        ));
    }
    problems
}

/// Judges a scanned bag; also returns the parsed case.json, for import.
pub(crate) fn judge(bag: &Scanned, trust: &Trust) -> (Verdict, Option<CaseFile>) {
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
        format::MANIFEST_256,
        format::MANIFEST_512,
        format::TAGMANIFEST_256,
        format::TAGMANIFEST_512,
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

    let sealed = bag.files.contains_key(format::SIGNATURE);
    let mut case_file = None;
    let mut signer = None;
    let mut pinned = None;
    let mut items = 0;
    let mut existed = Vec::new();
    let mut seal_stamps = Vec::new();
    let mut revoked: Vec<super::org::Revocation> = Vec::new();
    let mut stamp_warnings: Vec<String> = Vec::new();
    if !sealed {
        check(
            "signature",
            vec!["the bag carries no Casefile signature (tagmanifest-sha256.txt.minisig): it may be intact, but it is not sealed".into()],
            None,
        );
    } else {
        check(
            "coverage",
            coverage(bag),
            Some("the signature covers every file".into()),
        );
        let key = bag
            .text(format::DEVICE_PUB)
            .and_then(seal::parse_public_key);
        let mut sig_problems = Vec::new();
        match (
            &key,
            bag.text(format::TAGMANIFEST_256),
            bag.text(format::SIGNATURE),
        ) {
            (None, _, _) => {
                sig_problems.push("data/device.pub is missing or not a minisign public key".into())
            }
            (Some(k), Some(tm), Some(sig)) => {
                if let Err(e) = seal::verify(k, tm.as_bytes(), sig) {
                    sig_problems.push(format!("{}: {e}", format::SIGNATURE));
                }
                if let Some(want) = &trust.required
                    && want.key != *k
                {
                    sig_problems.push(format!(
                        "signed by the key with fingerprint {}, not by {} (fingerprint {})",
                        k.fingerprint(),
                        want.label,
                        want.key.fingerprint()
                    ));
                }
            }
            _ => sig_problems.push("tagmanifest-sha256.txt or its signature is unreadable".into()),
        }
        signer = key.as_ref().map(Signer::of);
        pinned = key
            .as_ref()
            .and_then(|k| trust.pinned(k))
            .map(|p| p.label.clone());
        if let Some(k) = &key {
            let (problems, certified) = certificate(bag, k, trust);
            if bag.files.contains_key(format::DEVICE_CERTIFICATE) || !problems.is_empty() {
                let found = certified.clone().unwrap_or_else(|| {
                    "a valid certificate by an organisation this verification does not know".into()
                });
                check("certificate", problems, Some(found));
            }
            if pinned.is_none() && trust.required.is_none() {
                pinned = certified;
            }
            revoked = trust
                .revocations
                .iter()
                .filter(|r| r.device_key == *k)
                .cloned()
                .collect();
        }
        let found = signer
            .as_ref()
            .map(|s| format!("signed by the key with fingerprint {}", s.fingerprint));
        check("signature", sig_problems, found);

        let findings = custody_and_evidence(bag, key.as_ref());
        check(
            "checkpoint",
            findings.checkpoint,
            Some("tree head signed by the device key".into()),
        );
        check(
            "custody",
            findings.custody,
            Some("every event proven against the signed tree head".into()),
        );
        items = findings.case.as_ref().map_or(0, |c| c.items.len());
        check(
            "evidence",
            findings.evidence,
            Some(format!("{items} files match their custody history")),
        );
        let stamps = super::stamps::check(bag, key.as_ref(), trust, &findings.leaves);
        if stamps.tokens > 0 || !stamps.problems.is_empty() {
            let pinned_ok = stamps.tokens - stamps.unpinned.len();
            let found = if stamps.unpinned.is_empty() {
                format!("{pinned_ok} time-stamp tokens from pinned authorities hold")
            } else {
                format!(
                    "{pinned_ok} time-stamp tokens from pinned authorities hold; {} from authorities not pinned here prove no time",
                    stamps.unpinned.len()
                )
            };
            check("timestamps", stamps.problems.clone(), Some(found));
            stamp_warnings = stamps.unpinned.clone();
        }
        existed = findings
            .entered
            .iter()
            .filter_map(|(item, seq)| {
                stamps.events.get(seq).map(|s| Existed {
                    item: item.clone(),
                    time: s.time.clone(),
                    authority: s.authority.clone(),
                })
            })
            .collect();
        seal_stamps = stamps.seal;
        // A revoked key still proves what it sealed before it was revoked,
        // but only a time-stamp, not its own word, can say when that was.
        let mut rev_problems = Vec::new();
        let mut rev_found = Vec::new();
        for r in &revoked {
            let earliest = seal_stamps.iter().min_by(|a, b| a.1.cmp(&b.1));
            match earliest {
                Some((authority, time)) if *time < r.revoked_at => rev_found.push(format!(
                    "revoked by {} at {}, but {authority} time-stamped the seal earlier, at {time}",
                    r.organisation, r.revoked_at
                )),
                _ => rev_problems.push(format!(
                    "the sealing key was revoked by {} at {}, and no time-stamp proves the seal is older",
                    r.organisation, r.revoked_at
                )),
            }
        }
        if !revoked.is_empty() {
            check("revocation", rev_problems, Some(rev_found.join("; ")));
        }
        case_file = findings.case;
    }
    let ok = sealed && checks.iter().all(|c| c.ok);
    if !ok {
        // What a bundle that does not hold says about time proves nothing.
        existed.clear();
        seal_stamps.clear();
    }
    let verdict = Verdict {
        ok,
        sealed,
        key_id: signer.as_ref().map(|s| s.key_id.clone()),
        signer,
        pinned: if ok { pinned } else { None },
        warnings: report
            .warnings
            .iter()
            .cloned()
            .chain(stamp_warnings)
            .collect(),
        items,
        bag: report,
        case: case_file.as_ref().map(|c| c.case.id.clone()),
        checks,
        existed,
        sealed_no_later_than: seal_stamps,
    };
    (verdict, case_file)
}

/// Checks the bundle's device certificate, if any: problems, and, when it
/// holds and its organisation is pinned, who sealed the bundle.
fn certificate(
    bag: &Scanned,
    key: &DevicePublicKey,
    trust: &Trust,
) -> (Vec<String>, Option<String>) {
    let (text, sig) = (
        bag.text(format::DEVICE_CERTIFICATE),
        bag.text(format::DEVICE_CERTIFICATE_SIGNATURE),
    );
    let (text, sig) = match (text, sig) {
        (None, None) => return (Vec::new(), None),
        (Some(t), Some(s)) => (t, s),
        _ => {
            return (
                vec![format!(
                    "{} or its signature is missing or unreadable",
                    format::DEVICE_CERTIFICATE
                )],
                None,
            );
        }
    };
    let cert = match super::org::DeviceCertificate::verify(text, sig) {
        Ok(c) => c,
        Err(e) => return (vec![format!("{}: {e}", format::DEVICE_CERTIFICATE)], None),
    };
    // Times are compared as RFC 3339 UTC text of the same shape.
    let now: String = crate::custody::log::now_utc()
        .chars()
        .take(19)
        .collect::<String>()
        + "Z";
    if cert.valid_from > now {
        return (
            vec![format!(
                "{} is valid only from {}, which has not come",
                format::DEVICE_CERTIFICATE,
                cert.valid_from
            )],
            None,
        );
    }
    if cert.device_key != *key {
        return (
            vec![format!(
                "{} certifies another device (fingerprint {}), not the key that sealed the bundle",
                format::DEVICE_CERTIFICATE,
                cert.device_key.fingerprint()
            )],
            None,
        );
    }
    let who = trust
        .organisations
        .iter()
        .find(|o| o.key == cert.organisation_key)
        .map(|o| {
            format!(
                "device of {} of organisation {} ({}), certified from {}",
                cert.member, cert.organisation, o.label, cert.valid_from
            )
        });
    (Vec::new(), who)
}

/// Checks the fields of a received event against their grammar, so nothing
/// a sender wrote reaches a report, a terminal or the vault unchecked.
fn well_formed(e: &Event) -> Result<(), String> {
    use crate::names::{Id, Line};
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    if time::OffsetDateTime::parse(&e.time, rfc3339).is_err() {
        return Err(format!(
            "time {} is not an RFC 3339 time",
            crate::names::quoted(&e.time)
        ));
    }
    if e.device.len() != 16 || !e.device.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "device {} is not a key id (16 hex digits)",
            crate::names::quoted(&e.device)
        ));
    }
    Line::parse(&e.actor).map_err(|x| format!("actor: {x}"))?;
    if let Some(item) = &e.item {
        Id::parse(item).map_err(|x| format!("item: {x}"))?;
    }
    if let Some(h) = &e.sha256 {
        format::Sha256Hex::parse(h).map_err(|x| format!("sha256: {x}"))?;
    }
    format::Sha256Hex::parse(&e.prev).map_err(|x| format!("prev: {x}"))?;
    Ok(())
}

/// The disclosures `data/disclosures.jsonl` gives, by event.
fn disclosures(bag: &Scanned, problems: &mut Vec<String>) -> BTreeMap<u64, Vec<String>> {
    let mut out = BTreeMap::new();
    let Some(text) = bag.text(format::DISCLOSURES) else {
        return out;
    };
    for (i, line) in text.lines().enumerate() {
        match serde_json::from_str::<format::DisclosureLine>(line) {
            Ok(d) => {
                if out.insert(d.seq, d.disclosures).is_some() {
                    problems.push(format!(
                        "{} line {}: event {} is listed twice",
                        format::DISCLOSURES,
                        i + 1,
                        d.seq
                    ));
                }
            }
            Err(e) => problems.push(format!("{} line {}: {e}", format::DISCLOSURES, i + 1)),
        }
    }
    out
}

/// What the custody and evidence checks found.
struct Findings {
    case: Option<CaseFile>,
    custody: Vec<String>,
    evidence: Vec<String>,
    checkpoint: Vec<String>,
    /// Leaf hashes of the events proven against the signed head.
    leaves: BTreeMap<u64, format::Sha256Hex>,
    /// Each item's first event in the bundle: when it entered.
    entered: BTreeMap<String, u64>,
}

fn custody_and_evidence(bag: &Scanned, key: Option<&DevicePublicKey>) -> Findings {
    let mut custody = Vec::new();
    let mut evidence = Vec::new();
    let mut cp_problems = Vec::new();

    let case: Option<CaseFile> = match bag.text(format::CASE_JSON) {
        None => {
            evidence.push(format!("{} is missing or unreadable", format::CASE_JSON));
            None
        }
        Some(t) => match format::parse::<CaseFile>(format::CASE_JSON, t) {
            Ok(c) => Some(c),
            Err(e) => {
                evidence.push(e);
                None
            }
        },
    };
    if let Some(c) = &case
        && c.schema.as_str() != format::BUNDLE_SCHEMA
    {
        evidence.push(format!(
            "{}: schema {:?} is not {}",
            format::CASE_JSON,
            c.schema.as_str(),
            format::BUNDLE_SCHEMA
        ));
    }
    if let Some(c) = &case {
        // Links to items not in the bundle are dropped at import; earlier
        // releases kept them in bundles of chosen items.
        let errors = crate::case::validate::validate(&c.case, &|_| true);
        for e in errors {
            evidence.push(format!(
                "{}: case.{}: {}",
                format::CASE_JSON,
                e.field,
                e.message
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, it) in c.items.iter().enumerate() {
            if !seen.insert(it.id.as_str()) {
                evidence.push(format!(
                    "{}: items[{i}].id: {} is listed twice",
                    format::CASE_JSON,
                    it.id
                ));
            }
        }
        for (i, it) in c.items.iter().enumerate() {
            if let Some(p) = &it.parent
                && !c.items.iter().any(|o| o.id == *p)
            {
                evidence.push(format!(
                    "{}: items[{i}].parent: {p} is not an item of this bundle",
                    format::CASE_JSON
                ));
            }
        }
    }
    let origin = case
        .as_ref()
        .map(|c| c.origin.as_str().to_string())
        .unwrap_or_default();

    // The signed tree head.
    let head = match (key, bag.text(format::CHECKPOINT)) {
        (Some(k), Some(note)) => match Checkpoint::verify(note, k) {
            Ok(cp) => Some(cp),
            Err(e) => {
                cp_problems.push(format!("{}: {e}", format::CHECKPOINT));
                None
            }
        },
        _ => {
            cp_problems
                .push("data/checkpoint.txt is missing or there is no key to check it".into());
            None
        }
    };
    if let (Some(k), Some(note)) = (key, bag.text(format::CHECKPOINT))
        && let Some(sig) = bag.text(format::CHECKPOINT_SIGNATURE)
        && let Err(e) = seal::verify(k, note.as_bytes(), sig)
    {
        cp_problems.push(format!("{}: {e}", format::CHECKPOINT_SIGNATURE));
    }
    if let Some(cp) = &head
        && !origin.is_empty()
        && cp.origin != origin
    {
        cp_problems.push(format!(
            "data/checkpoint.txt belongs to log {:?}, not {origin:?}",
            cp.origin
        ));
    }
    let proofs: Option<ProofsFile> = match bag.text(format::PROOFS) {
        None => {
            custody.push(format!("{} is missing or unreadable", format::PROOFS));
            None
        }
        Some(t) => match format::parse(format::PROOFS, t) {
            Ok(p) => Some(p),
            Err(e) => {
                custody.push(e);
                None
            }
        },
    };
    if let (Some(cp), Some(p)) = (&head, &proofs)
        && (p.checkpoint.size != cp.size || p.checkpoint.root.bytes() != cp.root)
    {
        cp_problems
            .push("data/proofs.json names another tree head than data/checkpoint.txt".into());
    }

    // Each event: readable, by this device, proven against the signed head.
    let mut by_item: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    let lines: Vec<&str> = bag
        .text(format::CUSTODY)
        .map(|t| t.lines().collect())
        .unwrap_or_default();
    if bag.text(format::CUSTODY).is_none() {
        custody.push(format!("{} is missing", format::CUSTODY));
    }
    let proof_list = proofs.as_ref().map(|p| p.proofs.as_slice()).unwrap_or(&[]);
    if proofs.is_some() && proof_list.len() != lines.len() {
        custody.push(format!(
            "data/proofs.json has {} proofs for {} events",
            proof_list.len(),
            lines.len()
        ));
    }
    let mut disclosed = disclosures(bag, &mut custody);
    let mut leaves = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let at = format!("data/custody.jsonl line {}", i + 1);
        let mut event: Event = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(e) => {
                // An event withheld whole: only its proof is there.
                match serde_json::from_str::<format::WithheldLine>(line) {
                    Ok(w) => match (proof_list.get(i), &head) {
                        (Some(p), Some(cp)) => {
                            let path: Vec<Hash> = p.path.iter().map(|h| h.bytes()).collect();
                            let leaf = p.leaf_hash.bytes();
                            if p.seq != w.withheld.seq
                                || p.leaf_index + 1 != p.seq
                                || !verify_inclusion(p.leaf_index, cp.size, &leaf, &path, &cp.root)
                            {
                                custody.push(format!(
                                    "{at} (event {}, withheld): not included in the signed tree head",
                                    w.withheld.seq
                                ));
                            }
                        }
                        (None, _) => custody.push(format!("{at}: has no inclusion proof")),
                        (_, None) => {}
                    },
                    Err(_) => custody.push(format!("{at}: unreadable event ({e})")),
                }
                continue;
            }
        };
        let name = format!("{at} (event {})", event.seq);
        if let Err(why) = well_formed(&event) {
            custody.push(format!("{name}: {why}"));
            continue;
        }
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
                let path: Vec<Hash> = p.path.iter().map(|h| h.bytes()).collect();
                let proven = p.seq == event.seq
                    && p.leaf_index + 1 == event.seq
                    && p.leaf_hash.bytes() == leaf
                    && verify_inclusion(p.leaf_index, cp.size, &leaf, &path, &cp.root);
                if proven {
                    leaves.insert(event.seq, p.leaf_hash.clone());
                } else {
                    custody.push(format!(
                        "{name}: not included in the signed tree head (altered, or a wrong proof)"
                    ));
                }
            }
            (None, _) => custody.push(format!("{name}: has no inclusion proof")),
            (_, None) => {}
        }
        if event.v.is_some() {
            let given = disclosed.remove(&event.seq).unwrap_or_default();
            if let Err(e) = crate::custody::disclose::reveal(
                event.seq,
                &mut event.details,
                &given,
                crate::case::consent::WITHHELD,
            ) {
                custody.push(format!("{}: {name}: {e}", format::DISCLOSURES));
            }
        }
        let history = by_item
            .entry(event.item.clone().unwrap_or_default())
            .or_default();
        if history.last().is_some_and(|l| l.seq >= event.seq) {
            custody.push(format!("{name}: out of order"));
        }
        history.push(event);
    }
    for seq in disclosed.keys() {
        custody.push(format!(
            "{}: disclosures for event {seq}, which is not a format-2 event of this bundle",
            format::DISCLOSURES
        ));
    }

    // Each evidence file: present, the right size and hashes, and the hash its custody history records.
    let items = case.as_ref().map(|c| c.items.as_slice()).unwrap_or(&[]);
    let listed_paths: BTreeSet<&str> = items.iter().map(|i| i.path.as_str()).collect();
    for it in items {
        let at = format!("{} (item {})", it.path.as_str(), it.id);
        match bag.files.get(it.path.as_str()) {
            None => evidence.push(format!("{at}: missing")),
            Some(f) => {
                if f.size != it.size {
                    evidence.push(format!(
                        "{at}: {} bytes, case.json says {}",
                        f.size, it.size
                    ));
                }
                if f.digests.get(&Alg::Sha256).map(String::as_str) != Some(it.sha256.as_str())
                    || f.digests.get(&Alg::Sha512).map(String::as_str) != Some(it.sha512.as_str())
                {
                    evidence.push(format!("{at}: its hash does not match case.json"));
                }
            }
        }
        let history = by_item
            .get(it.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
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
    let entered = by_item
        .iter()
        .filter(|(id, _)| !id.is_empty())
        .filter_map(|(id, h)| h.first().map(|e| (id.clone(), e.seq)))
        .collect();
    Findings {
        case,
        custody,
        evidence,
        checkpoint: cp_problems,
        leaves,
        entered,
    }
}
