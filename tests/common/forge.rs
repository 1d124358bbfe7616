//! Forging bundles the way an attacker does: take a real bundle, change what
//! it says, then make every proof, the checkpoint, the manifests, bag-info,
//! the tag manifests and both signatures anew with a key of the attacker's
//! own, so that every signature check passes. Only pinning the sender's key,
//! and the checks on what the bundle says, can then stand between the
//! forgery and the vault.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use casefile::bundle::digest::{Alg, hex_digest};
use casefile::bundle::seal;
use casefile::crypto::sign::DeviceKey;
use casefile::custody::Event;
use casefile::custody::checkpoint::Checkpoint;
use casefile::custody::merkle::{inclusion_proof, leaf_hash, root};
use serde_json::{Value, json};

use super::all_files;

/// What a forger may change before the bundle is sealed again.
pub struct Forgery {
    /// The bag folder (add or remove files here).
    pub bag: PathBuf,
    /// data/case.json.
    pub case: Value,
    /// The custody events, in order (their seq, device and links are
    /// renumbered when sealing), each with the disclosures the bundle gives.
    pub events: Vec<Event>,
    /// Disclosures of each event, by its index in `events`.
    pub disclosures: Vec<Option<Vec<String>>>,
}

impl Forgery {
    /// The index of the item listed at `path` suffix, or of the first item.
    pub fn item(&mut self, i: usize) -> &mut Value {
        &mut self.case["items"][i]
    }

    /// Renames item `i`'s id everywhere the bundle names it (its events too),
    /// so the history still matches.
    pub fn rename_item(&mut self, i: usize, new_id: &str) {
        let old = self.case["items"][i]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.case["items"][i]["id"] = json!(new_id);
        for e in &mut self.events {
            if e.item.as_deref() == Some(old.as_str()) {
                e.item = Some(new_id.to_string());
            }
        }
        if let Some(links) = self.case["case"]["evidence"].as_array_mut() {
            for l in links {
                if l["item"] == old.as_str() {
                    l["item"] = json!(new_id);
                }
            }
        }
    }

    /// Writes a file into the bag (relative path).
    pub fn write(&self, rel: &str, bytes: &[u8]) {
        let p = self.bag.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

/// A key with the same 8-byte minisign key id as `of`, and another key: what
/// an attacker makes to pass as the sender wherever only the id is compared.
pub fn twin_key(of: &DeviceKey) -> DeviceKey {
    let seed: [u8; 32] = rand::random();
    DeviceKey::from_parts(&seed, &of.public().key_id).unwrap()
}

/// Forges `bag` in place: `edit` changes it, then everything is sealed again by `key`.
pub fn forge(bag: &Path, key: &DeviceKey, edit: impl FnOnce(&mut Forgery)) {
    let read = |n: &str| std::fs::read_to_string(bag.join(n)).unwrap();
    let case: Value = serde_json::from_str(&read("data/case.json")).unwrap();
    let events: Vec<Event> = read("data/custody.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut given: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    if bag.join("data/disclosures.jsonl").exists() {
        for l in read("data/disclosures.jsonl").lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            let d = v["disclosures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect();
            given.insert(v["seq"].as_u64().unwrap(), d);
        }
    }
    let disclosures = events.iter().map(|e| given.remove(&e.seq)).collect();
    let mut f = Forgery {
        bag: bag.to_path_buf(),
        case,
        events,
        disclosures,
    };
    edit(&mut f);
    seal_again(&mut f, key);
}

/// Makes the custody records, checkpoint, manifests and signatures anew.
fn seal_again(f: &mut Forgery, key: &DeviceKey) {
    let public = key.public();
    let origin = f.case["origin"]
        .as_str()
        .unwrap_or("casefile/forged")
        .to_string();
    // Events renumbered 1..n and linked, recorded by the forger's key.
    let mut lines = Vec::new();
    let mut prev = "0".repeat(64);
    for (i, e) in f.events.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
        e.device = public.key_id_hex();
        e.prev = prev.clone();
        let line = serde_json::to_string(e).unwrap();
        prev = hex::encode(leaf_hash(line.as_bytes()));
        lines.push(line);
    }
    let leaves: Vec<_> = lines.iter().map(|l| leaf_hash(l.as_bytes())).collect();
    let tree_root = root(&leaves);
    let proofs: Vec<Value> = leaves
        .iter()
        .enumerate()
        .map(|(i, leaf)| {
            json!({
                "seq": i + 1,
                "leaf_index": i,
                "leaf_hash": hex::encode(leaf),
                "path": inclusion_proof(i, &leaves).iter().map(hex::encode).collect::<Vec<_>>(),
            })
        })
        .collect();
    let note = Checkpoint {
        origin: origin.clone(),
        size: leaves.len() as u64,
        root: tree_root,
    }
    .sign(key);
    f.case["device_key"] = json!({
        "key_id": public.key_id_hex(),
        "minisign": public.minisign_line(),
        "fingerprint": public.fingerprint(),
    });
    let bag = &f.bag;
    let write = |n: &str, t: &str| std::fs::write(bag.join(n), t).unwrap();
    write(
        "data/case.json",
        &(serde_json::to_string_pretty(&f.case).unwrap() + "\n"),
    );
    write("data/custody.jsonl", &(lines.join("\n") + "\n"));
    let disclosed: String = f
        .events
        .iter()
        .zip(&f.disclosures)
        .filter_map(|(e, d)| {
            d.as_ref()
                .map(|d| json!({"seq": e.seq, "disclosures": d}).to_string() + "\n")
        })
        .collect();
    write("data/disclosures.jsonl", &disclosed);
    write(
        "data/proofs.json",
        &serde_json::to_string_pretty(&json!({
            "checkpoint": {"origin": origin, "size": leaves.len(), "root": hex::encode(tree_root)},
            "proofs": proofs,
        }))
        .unwrap(),
    );
    write("data/checkpoint.txt", &note);
    write(
        "data/checkpoint.txt.minisig",
        &seal::sign(key, note.as_bytes(), "forged"),
    );
    write("data/device.pub", &public.to_minisign());
    reseal(bag, key);
}

/// Recomputes both payload manifests over every file in data/, bag-info's
/// Payload-Oxum, the tag manifests, and signs the tag manifest with `key`.
pub fn reseal(bag: &Path, key: &DeviceKey) {
    let files = all_files(&bag.join("data"));
    let mut m256 = String::new();
    let mut m512 = String::new();
    let mut bytes = 0u64;
    for f in &files {
        let rel = f.strip_prefix(bag).unwrap().to_str().unwrap().to_string();
        let data = std::fs::read(f).unwrap();
        bytes += data.len() as u64;
        m256.push_str(&format!("{}  {rel}\n", hex_digest(Alg::Sha256, &data)));
        m512.push_str(&format!("{}  {rel}\n", hex_digest(Alg::Sha512, &data)));
    }
    std::fs::write(bag.join("manifest-sha256.txt"), &m256).unwrap();
    std::fs::write(bag.join("manifest-sha512.txt"), &m512).unwrap();
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    let info: String = info
        .lines()
        .map(|l| {
            if l.starts_with("Payload-Oxum:") {
                format!("Payload-Oxum: {bytes}.{}\n", files.len())
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(bag.join("bag-info.txt"), info).unwrap();
    rehash_tags(bag);
    let tm = std::fs::read(bag.join("tagmanifest-sha256.txt")).unwrap();
    std::fs::write(
        bag.join("tagmanifest-sha256.txt.minisig"),
        seal::sign(key, &tm, "resealed"),
    )
    .unwrap();
}

/// Recomputes the tag manifests only (leaving the signature as it was).
pub fn rehash_tags(bag: &Path) {
    for alg in [Alg::Sha256, Alg::Sha512] {
        let mut t = String::new();
        for name in [
            "bagit.txt",
            "bag-info.txt",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
        ] {
            t.push_str(&format!(
                "{}  {name}\n",
                hex_digest(alg, &std::fs::read(bag.join(name)).unwrap())
            ));
        }
        std::fs::write(bag.join(format!("tagmanifest-{}.txt", alg.name())), t).unwrap();
    }
}
