//! Import: verify a bundle first, then add its items with their original
//! hashes, all in one transaction. A sealed Casefile bundle keeps its item
//! ids, case sheet and the sender's custody events; a plain BagIt bag from
//! another tool is accepted when its manifests hold, and logged as unsigned.

use std::collections::{BTreeMap, HashMap};

use rusqlite::params;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::BundleError;
use super::digest::Alg;
use super::scan::{Scanned, scan};
use super::source::{Limits, Source};
use super::verify::judge;
use crate::case::CaseSheet;
use crate::custody::{Action, Event, NewEvent};
use crate::vault::{NewItem, Staged};
use crate::{Item, ItemKind, Task, Vault, VaultError};

/// What an import added.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    /// The bundle's name.
    pub bundle: String,
    /// Whether it was sealed by a Casefile device.
    pub sealed: bool,
    /// The signing key id, when sealed.
    pub key_id: Option<String>,
    /// Items added.
    pub items: Vec<Item>,
    /// The case added, if the bundle carried one this vault did not have.
    pub case: Option<String>,
}

/// An item as case.json describes it.
#[derive(Debug, Clone, Deserialize)]
struct ReceivedItem {
    id: String,
    path: String,
    title: String,
    kind: ItemKind,
    size: u64,
    sha256: String,
    sha512: String,
    original_name: String,
    #[serde(default)]
    captured_at: Option<String>,
    #[serde(default)]
    collector: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    derivation: Option<serde_json::Value>,
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

/// Verifies and imports a bundle; on any refusal nothing is written.
pub fn import(
    vault: &mut Vault,
    source: &Source,
    limits: &Limits,
    task: &Task<'_>,
) -> Result<Imported, BundleError> {
    let bag = scan(source, limits, task)?;
    refuse_lookalikes(&bag)?;
    let (verdict, _) = judge(&bag, None);
    let bundle = source.name();
    if verdict.sealed && !verdict.ok {
        let first = verdict.failures().into_iter().next().unwrap_or_default();
        return Err(BundleError::Integrity(format!(
            "the bundle does not verify, nothing was imported: {first}"
        )));
    }
    if !verdict.sealed && !verdict.bag.valid() {
        let first = verdict.bag.errors.first().cloned().unwrap_or_default();
        return Err(BundleError::Integrity(format!(
            "the bag is not valid, nothing was imported: {first}"
        )));
    }
    if verdict.sealed {
        import_sealed(
            vault,
            source,
            limits,
            task,
            &bag,
            &bundle,
            verdict.key_id.unwrap_or_default(),
        )
    } else {
        import_plain(vault, source, limits, task, &bag, &bundle, &verdict.bag)
    }
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

fn import_sealed(
    vault: &mut Vault,
    source: &Source,
    limits: &Limits,
    task: &Task<'_>,
    bag: &Scanned,
    bundle: &str,
    key_id: String,
) -> Result<Imported, BundleError> {
    let text = |n: &str| {
        bag.files
            .get(n)
            .and_then(|f| f.content.as_deref())
            .and_then(|b| std::str::from_utf8(b).ok())
    };
    let case_json: serde_json::Value = text("data/case.json")
        .and_then(|t| serde_json::from_str(t).ok())
        .ok_or_else(|| BundleError::Integrity("data/case.json is unreadable".into()))?;
    let received: Vec<ReceivedItem> = serde_json::from_value(case_json["items"].clone())
        .map_err(|e| BundleError::Integrity(format!("data/case.json items: {e}")))?;
    let origin = case_json["origin"].as_str().unwrap_or_default().to_string();
    for r in &received {
        if vault.resolve(&r.id).is_ok_and(|id| id == r.id) {
            return Err(BundleError::Input(format!(
                "item {} is already in this vault (was this bundle imported before?)",
                r.id
            )));
        }
    }
    let sheet: Option<CaseSheet> = serde_json::from_value(case_json["case"].clone()).ok();
    let new_case = match &sheet {
        Some(s) if !crate::case::store::exists(vault, &s.id)? => Some(s.clone()),
        _ => None,
    };

    let wanted: BTreeMap<String, String> = received
        .iter()
        .map(|r| (r.path.clone(), r.sha256.clone()))
        .collect();
    let mut staged = stage_files(vault, source, limits, task, &wanted)?;

    let mut history: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
    for line in text("data/custody.jsonl").unwrap_or_default().lines() {
        if let Ok(e) = serde_json::from_str::<Event>(line) {
            history
                .entry(e.item.clone().unwrap_or_default())
                .or_default()
                .push((e.seq, line.to_string()));
        }
    }
    // Parents first, so links to parents hold.
    let mut ordered: Vec<&ReceivedItem> = received.iter().filter(|r| r.parent.is_none()).collect();
    ordered.extend(received.iter().filter(|r| r.parent.is_some()));
    let present =
        |id: &str| received.iter().any(|r| r.id == id) || vault.resolve(id).is_ok_and(|x| x == id);
    let now = crate::custody::log::now_utc();
    let actor = vault.actor().to_string();
    let mut pairs = Vec::new();
    let mut events = Vec::new();
    for r in ordered {
        let Some(s) = staged.remove(&r.path) else {
            continue;
        };
        let parent = r.parent.clone().filter(|p| present(p));
        let item = Item {
            id: r.id.clone(),
            kind: r.kind,
            title: r.title.clone(),
            original_name: r.original_name.clone(),
            mime: s.mime(),
            size: r.size,
            sha256: r.sha256.clone(),
            sha512: r.sha512.clone(),
            ingested_at: now.clone(),
            captured_at: r.captured_at.clone(),
            collector: r.collector.clone(),
            source: r.source.clone(),
            method: r.method.clone(),
            language: r.language.clone(),
            notes: r.notes.clone(),
            restriction: String::new(),
            parent,
            derivation: r.derivation.clone(),
        };
        if s.sha512() != item.sha512 {
            return Err(BundleError::Integrity(format!(
                "{} does not match its SHA-512",
                r.path
            )));
        }
        let sender_events = history.get(&r.id).map_or(0, Vec::len);
        events.push(
            NewEvent::item(Action::Received, &actor, &item.id, &item.sha256).with_details(
                serde_json::json!({
                    "bundle": bundle,
                    "signed": true,
                    "signed_by": key_id,
                    "sender_log": origin,
                    "sender_events": sender_events,
                    "case": sheet.as_ref().map(|s| s.id.clone()),
                }),
            ),
        );
        pairs.push((s, item));
    }
    let items: Vec<Item> = pairs.iter().map(|(_, i)| i.clone()).collect();
    let case_id = new_case.as_ref().map(|s| s.id.clone());
    if let Some(s) = &new_case {
        events.push(
            NewEvent::vault(Action::CaseCreated, &actor).with_details(serde_json::json!({
                "case": s.id, "title": s.title, "received_in": bundle, "signed_by": key_id,
            })),
        );
    }
    let received_ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    vault.commit_staged(pairs, events, |tx| {
        for (item, lines) in &history {
            if !received_ids.contains(item) {
                continue;
            }
            for (seq, body) in lines {
                tx.execute(
                    "INSERT INTO received_events (item, bundle, origin, seq, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![item, bundle, origin, seq, body],
                )?;
            }
        }
        if let Some(s) = &new_case {
            let mut s = s.clone();
            s.evidence.retain(|l| received_ids.contains(&l.item));
            crate::case::store::insert_received(tx, &s).map_err(|e| match e {
                crate::case::CaseError::Vault(v) => v,
                other => VaultError::Invalid(other.to_string()),
            })?;
        }
        Ok(())
    })?;
    Ok(Imported {
        bundle: bundle.to_string(),
        sealed: true,
        key_id: Some(key_id),
        items,
        case: case_id,
    })
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
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        let mime = s.mime();
        let meta = NewItem::default();
        let item = Item {
            id: crate::vault::new_id(),
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
            source: format!("bag {label}"),
            method: "received in an unsigned BagIt bag".into(),
            language: String::new(),
            notes: format!("Path in the bag: {path}"),
            restriction: String::new(),
            parent: None,
            derivation: None,
        };
        events.push(
            NewEvent::item(Action::Received, &actor, &item.id, &item.sha256).with_details(
                serde_json::json!({
                    "bundle": bundle,
                    "signed": false,
                    "path": path,
                    "bag_software": software,
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
        items,
        case: None,
    })
}
