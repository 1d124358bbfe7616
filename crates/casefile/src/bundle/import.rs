//! Import: verify a bundle first, then add its items with their original
//! hashes, all in one transaction.
//!
//! A sealed Casefile bundle is accepted only when its signer is pinned (a
//! known sender, this vault's own key, a key given for this import) or the
//! user says to trust it now. Every received item gets a local id of its own;
//! the sender's id is kept beside it and never used as one, so a sender can
//! neither choose nor collide with a local id, and received items can only
//! refer to items of the same bundle. A plain BagIt bag from another tool is
//! accepted when its manifests hold, and logged as unsigned.

use std::collections::{BTreeMap, HashMap};

use rusqlite::params;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::BundleError;
use super::digest::{Alg, hex_digest};
use super::format::{self, CaseFile, WireItem};
use super::scan::{Scanned, scan};
use super::source::{Limits, Source};
use super::verify::{Pin, Trust, judge};
use crate::case::CaseSheet;
use crate::custody::{Action, Event, NewEvent};
use crate::names::{FileName, Id};
use crate::vault::{NewItem, Staged};
use crate::{Item, ItemKind, Task, Vault, VaultError};

/// What an import added.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    /// The bundle's name.
    pub bundle: String,
    /// Whether it was sealed by a Casefile device.
    pub sealed: bool,
    /// The signing key id, when sealed (a label).
    pub key_id: Option<String>,
    /// The signing key's fingerprint, when sealed.
    pub fingerprint: Option<String>,
    /// Why the signer was trusted, when sealed.
    pub pinned: Option<String>,
    /// Items added, with their local ids.
    pub items: Vec<Item>,
    /// The case added (its local id), if the bundle carried one.
    pub case: Option<String>,
}

/// How an import decides whom to trust.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// A key the bundle must be signed by (`--key FILE`).
    pub key: Option<Pin>,
    /// Trust the bundle's signer, whoever it is, and remember it as a known
    /// sender of this name (after the user compared its fingerprint).
    pub trust_as: Option<String>,
    /// Accept a plain BagIt bag that no Casefile device sealed; it is logged
    /// as unsigned. A Casefile bundle whose seal is missing is refused even so.
    pub unsigned: bool,
}

/// True when a bag holds the records of a Casefile bundle: without its
/// seal it is one whose signature was removed, not another tool's bag.
fn looks_like_casefile(bag: &Scanned) -> bool {
    [
        format::CASE_JSON,
        format::CUSTODY,
        format::DEVICE_PUB,
        format::CHECKPOINT,
        format::PROOFS,
    ]
    .iter()
    .any(|f| bag.files.contains_key(*f))
}

/// Refuses names that differ only by case or Unicode normalisation: they
/// would collide or mislead on other systems.
fn refuse_lookalikes(bag: &Scanned) -> Result<(), BundleError> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for name in bag.files.keys() {
        let key: String = name.nfc().collect::<String>().to_lowercase();
        if let Some(other) = seen.insert(key, name) {
            return Err(BundleError::Unsafe(format!(
                "{other:?} and {name:?} differ only by case or Unicode normalisation"
            )));
        }
    }
    Ok(())
}

/// What this vault trusts, plus the key given for this import.
fn trust_of(vault: &Vault, opts: &ImportOptions) -> Result<Trust, BundleError> {
    let mut trust = Trust::of_vault(vault)?;
    trust.required = opts.key.clone();
    Ok(trust)
}

/// Verifies and imports a bundle; on any refusal nothing is written.
pub fn import(
    vault: &mut Vault,
    source: &Source,
    limits: &Limits,
    opts: &ImportOptions,
    task: &Task<'_>,
) -> Result<Imported, BundleError> {
    let bag = scan(source, limits, task)?;
    refuse_lookalikes(&bag)?;
    let trust = trust_of(vault, opts)?;
    let (verdict, case_file) = judge(&bag, &trust);
    let bundle = source.name();
    if verdict.sealed && !verdict.ok {
        // The first failure of each failed check: what is wrong, by kind.
        let said = verdict
            .checks
            .iter()
            .filter(|c| !c.ok)
            .filter_map(|c| c.details.first().map(|d| format!("{}: {d}", c.name)))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(BundleError::Integrity(format!(
            "the bundle does not verify, nothing was imported: {said}"
        )));
    }
    if !verdict.sealed && !verdict.bag.valid() {
        let first = verdict.bag.errors.first().cloned().unwrap_or_default();
        return Err(BundleError::Integrity(format!(
            "the bag is not valid, nothing was imported: {first}"
        )));
    }
    if !verdict.sealed && looks_like_casefile(&bag) {
        return Err(BundleError::Integrity(
            "the bag holds a Casefile case and custody log but no seal: its signature was removed \
             or never made, so nothing shows who made it or that it is unaltered; nothing was \
             imported (ask the sender for the sealed bundle)"
                .into(),
        ));
    }
    if !verdict.sealed && !opts.unsigned {
        return Err(BundleError::Unsigned);
    }
    if !verdict.sealed {
        return import_plain(vault, source, limits, task, &bag, &bundle, &verdict.bag);
    }
    let (Some(case_file), Some(signer)) = (case_file, verdict.signer.clone()) else {
        return Err(BundleError::Integrity(
            "the bundle verified but its case.json could not be read".into(),
        ));
    };
    let key = bag
        .text(format::DEVICE_PUB)
        .and_then(super::seal::parse_public_key)
        .ok_or_else(|| BundleError::Integrity("data/device.pub is unreadable".into()))?;
    let (pinned, new_sender) = match (&verdict.pinned, &opts.trust_as) {
        (Some(p), _) => (p.clone(), None),
        (None, Some(name)) => (format!("trusted at import as {name:?}"), Some(name.clone())),
        (None, None) => {
            return Err(BundleError::Unpinned {
                fingerprint: signer.fingerprint,
            });
        }
    };
    let received = Received {
        bundle: &bundle,
        case_file: &case_file,
        fingerprint: &signer.fingerprint,
        key_id: &signer.key_id,
        pinned: &pinned,
        new_sender: new_sender.as_deref().map(|n| (n, &key)),
    };
    let (items, case) = import_sealed(vault, source, limits, task, &bag, &received)?;
    Ok(Imported {
        bundle,
        sealed: true,
        key_id: Some(signer.key_id),
        fingerprint: Some(signer.fingerprint),
        pinned: Some(pinned),
        items,
        case,
    })
}

/// Reads the files named in `wanted` a second time, into staged blobs, and
/// checks each against the hash the first pass verified.
fn stage_files(
    vault: &Vault,
    source: &Source,
    limits: &Limits,
    task: &Task<'_>,
    wanted: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Staged>, BundleError> {
    let mut staged = BTreeMap::new();
    source.walk(limits, &mut |name, _size, reader| {
        let Some(expected) = wanted.get(name) else {
            std::io::copy(reader, &mut std::io::sink())
                .map_err(|e| BundleError::Archive(e.to_string()))?;
            return Ok(());
        };
        let s = vault.stage(reader, name, task)?;
        if s.sha256() != expected {
            return Err(BundleError::Integrity(format!(
                "{name} changed while it was being imported"
            )));
        }
        staged.insert(name.to_string(), s);
        Ok(())
    })?;
    if staged.len() != wanted.len() {
        return Err(BundleError::Integrity(
            "files disappeared while the bundle was being imported".into(),
        ));
    }
    Ok(staged)
}

/// A verified sealed bundle and how its signer came to be trusted.
struct Received<'a> {
    bundle: &'a str,
    case_file: &'a CaseFile,
    fingerprint: &'a str,
    key_id: &'a str,
    pinned: &'a str,
    /// Pin the signer now, under this name.
    new_sender: Option<(&'a str, &'a crate::crypto::sign::DevicePublicKey)>,
}

/// Items in an order where each parent comes before its derivatives.
fn parents_first(items: &[WireItem]) -> Vec<&WireItem> {
    let mut done: Vec<&WireItem> = Vec::with_capacity(items.len());
    let mut left: Vec<&WireItem> = items.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|it| {
            let ready = it
                .parent
                .as_ref()
                .is_none_or(|p| done.iter().any(|d| d.id == *p));
            if ready {
                done.push(it);
            }
            !ready
        });
        if left.len() == before {
            // A cycle of parents (verification only checks each one exists):
            // the rest go in as they are, their parents dropped below.
            done.append(&mut left);
        }
    }
    done
}

/// The sender's case sheet as this vault keeps it: its own local id, links
/// only to items of this bundle, renamed to their local ids.
fn local_sheet(sheet: &CaseSheet, local: &BTreeMap<&str, String>) -> CaseSheet {
    let mut s = sheet.clone();
    s.id = Id::random().into();
    s.evidence.retain(|l| local.contains_key(l.item.as_str()));
    for l in &mut s.evidence {
        if let Some(id) = local.get(l.item.as_str()) {
            l.item = id.clone();
        }
    }
    s
}

fn import_sealed(
    vault: &mut Vault,
    source: &Source,
    limits: &Limits,
    task: &Task<'_>,
    bag: &Scanned,
    r: &Received<'_>,
) -> Result<(Vec<Item>, Option<String>), BundleError> {
    let cf = r.case_file;
    let origin = cf.origin.as_str();
    if origin == vault.origin() {
        return Err(BundleError::Input(format!(
            "{} was sealed by this vault: everything in it is here already",
            r.bundle
        )));
    }
    for w in &cf.items {
        if let Some(local) = vault.received_as(origin, w.id.as_str())? {
            return Err(BundleError::Input(format!(
                "item {} of this bundle is already in this vault as item {local} (was this bundle imported before?)",
                w.id
            )));
        }
    }
    let local: BTreeMap<&str, String> = cf
        .items
        .iter()
        .map(|w| (w.id.as_str(), Id::random().into()))
        .collect();
    let sheet = local_sheet(&cf.case, &local);

    let wanted: BTreeMap<String, String> = cf
        .items
        .iter()
        .map(|w| (w.path.as_str().to_string(), w.sha256.as_str().to_string()))
        .collect();
    let mut staged = stage_files(vault, source, limits, task, &wanted)?;

    let mut disclosed: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for line in bag.text(format::DISCLOSURES).unwrap_or_default().lines() {
        if let Ok(d) = serde_json::from_str::<format::DisclosureLine>(line) {
            disclosed.insert(d.seq, d.disclosures);
        }
    }
    let mut history: BTreeMap<String, Vec<(u64, String, Option<String>)>> = BTreeMap::new();
    for line in bag.text(format::CUSTODY).unwrap_or_default().lines() {
        if let Ok(e) = serde_json::from_str::<Event>(line) {
            let d = disclosed
                .get(&e.seq)
                .and_then(|d| serde_json::to_string(d).ok());
            history
                .entry(e.item.clone().unwrap_or_default())
                .or_default()
                .push((e.seq, line.to_string(), d));
        }
    }
    let now = crate::custody::log::now_utc();
    let actor = vault.actor().to_string();
    let mut pairs = Vec::new();
    let mut events = Vec::new();
    if let Some((name, key)) = r.new_sender {
        events.push(vault.sender_added_event(name, key));
    }
    for w in parents_first(&cf.items) {
        let Some(s) = staged.remove(w.path.as_str()) else {
            continue;
        };
        let id = local[w.id.as_str()].clone();
        let parent = w
            .parent
            .as_ref()
            .and_then(|p| local.get(p.as_str()))
            .filter(|p| pairs.iter().any(|(_, i): &(Staged, Item)| i.id == **p))
            .cloned();
        let item = Item {
            id,
            kind: w.kind,
            title: w.title.to_string(),
            original_name: w.original_name.to_string(),
            mime: s.mime(),
            size: w.size,
            sha256: w.sha256.as_str().to_string(),
            sha512: w.sha512.as_str().to_string(),
            ingested_at: now.clone(),
            captured_at: w.captured_at.as_ref().map(|c| c.to_string()),
            collector: w.collector.to_string(),
            source: w.source.to_string(),
            method: w.method.to_string(),
            language: w.language.to_string(),
            notes: w.notes.to_string(),
            restriction: w.restriction.to_string(),
            derivation: parent.as_ref().and(w.derivation.clone()),
            parent,
            sender_log: Some(origin.to_string()),
            sender_id: Some(w.id.to_string()),
        };
        if s.sha512() != item.sha512 || s.size() != item.size {
            return Err(BundleError::Integrity(format!(
                "{} does not match its SHA-512 or size",
                w.path.as_str()
            )));
        }
        let sender_events = history.get(w.id.as_str()).map_or(0, Vec::len);
        events.push(
            NewEvent::item(Action::Received, &actor, &item.id, &item.sha256).with_details(
                serde_json::json!({
                    "bundle": r.bundle,
                    "signed": true,
                    "signed_by": r.key_id,
                    "fingerprint": r.fingerprint,
                    "pinned": r.pinned,
                    "sender_log": origin,
                    "sender_id": w.id,
                    "sender_events": sender_events,
                    "case": sheet.id,
                    "sender_case": cf.case.id,
                }),
            ),
        );
        pairs.push((s, item));
    }
    let items: Vec<Item> = pairs.iter().map(|(_, i)| i.clone()).collect();
    events.push(
        NewEvent::vault(Action::CaseCreated, &actor).with_details(serde_json::json!({
            "case": sheet.id,
            "title": sheet.title,
            "received_in": r.bundle,
            "sender_case": cf.case.id,
            "fingerprint": r.fingerprint,
        })),
    );
    let new_sender = r.new_sender;
    vault.commit_staged(pairs, events, |tx| {
        if let Some((name, key)) = new_sender {
            crate::vault::insert_sender(tx, name, key)?;
        }
        for (sender_item, lines) in &history {
            let Some(local_item) = local.get(sender_item.as_str()) else {
                continue;
            };
            for (seq, body, disclosures) in lines {
                tx.execute(
                    "INSERT INTO received_events (item, bundle, origin, seq, body, disclosures) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![local_item, r.bundle, origin, seq, body, disclosures],
                )?;
            }
        }
        crate::case::store::insert_received(tx, &sheet).map_err(|e| match e {
            crate::case::CaseError::Vault(v) => v,
            other => VaultError::Invalid(other.to_string()),
        })?;
        Ok(())
    })?;
    Ok((items, Some(sheet.id)))
}

fn import_plain(
    vault: &mut Vault,
    source: &Source,
    limits: &Limits,
    task: &Task<'_>,
    bag: &Scanned,
    bundle: &str,
    report: &super::bagit::BagReport,
) -> Result<Imported, BundleError> {
    let wanted: BTreeMap<String, String> = bag
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("data/"))
        .filter_map(|(p, f)| f.digests.get(&Alg::Sha256).map(|d| (p.clone(), d.clone())))
        .collect();
    // A foreign bag has no log of its own: it is known by its manifest.
    let sender_log = format!(
        "bagit:{}",
        hex_digest(
            Alg::Sha256,
            bag.files
                .get(format::MANIFEST_256)
                .or_else(|| bag.files.values().find(|f| f.content.is_some()))
                .and_then(|f| f.content.as_deref())
                .unwrap_or_default()
        )
    );
    for path in wanted.keys() {
        if let Some(local) = vault.received_as(&sender_log, path)? {
            return Err(BundleError::Input(format!(
                "{path} of this bag is already in this vault as item {local} (was this bag imported before?)"
            )));
        }
    }
    let staged = stage_files(vault, source, limits, task, &wanted)?;
    let label = report
        .info_value("External-Identifier")
        .unwrap_or(bundle)
        .to_string();
    let software = report
        .info_value("Bag-Software-Agent")
        .unwrap_or("unknown")
        .to_string();
    let actor = vault.actor().to_string();
    let now = crate::custody::log::now_utc();
    let mut pairs = Vec::new();
    let mut events = Vec::new();
    for (path, s) in staged {
        let last = path.rsplit('/').next().unwrap_or(&path);
        let name = FileName::parse(last)
            .unwrap_or_else(|_| FileName::sanitize(last, 200))
            .to_string();
        let mime = s.mime();
        let meta = NewItem::default();
        let item = Item {
            id: Id::random().into(),
            kind: meta.kind.unwrap_or_else(|| ItemKind::for_mime(&mime)),
            title: name.clone(),
            original_name: name,
            mime,
            size: s.size(),
            sha256: s.sha256().to_string(),
            sha512: s.sha512().to_string(),
            ingested_at: now.clone(),
            captured_at: None,
            collector: actor.clone(),
            source: format!("bag {}", label.replace(char::is_control, " ")),
            method: "received in an unsigned BagIt bag".into(),
            language: String::new(),
            notes: format!("Path in the bag: {}", path.replace(char::is_control, " ")),
            restriction: String::new(),
            parent: None,
            derivation: None,
            sender_log: Some(sender_log.clone()),
            sender_id: Some(path.clone()),
        };
        events.push(
            NewEvent::item(Action::Received, &actor, &item.id, &item.sha256).with_details(
                serde_json::json!({
                    "bundle": bundle,
                    "signed": false,
                    "path": path,
                    "bag_software": software,
                    "sender_log": sender_log,
                }),
            ),
        );
        pairs.push((s, item));
    }
    let items: Vec<Item> = pairs.iter().map(|(_, i)| i.clone()).collect();
    vault.commit_staged(pairs, events, |_| Ok(()))?;
    Ok(Imported {
        bundle: bundle.to_string(),
        sealed: false,
        key_id: None,
        fingerprint: None,
        pinned: None,
        items,
        case: None,
    })
}
