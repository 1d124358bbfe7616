//! The recipient's inbox and the sender's outbox.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::DeliveryError;
use super::index::{self, Index, Receipt};
use crate::bundle::{self, BundleError, ImportOptions, Imported, Limits, Source};
use crate::crypto::sign::DevicePublicKey;
use crate::custody::{Action, NewEvent};
use crate::remote::{RemoteError, Storage};
use crate::{Task, Vault};

/// A delivery waiting on a remote (an index and no receipt).
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    /// Its folder.
    pub delivery: String,
    /// The encrypted bundle's size.
    pub size: u64,
    /// The hash that names the delivery, as its index says.
    pub sha256: String,
    /// Parts.
    pub parts: usize,
}

/// A delivery taken in.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// Its folder.
    pub delivery: String,
    /// What the import did.
    pub imported: Imported,
    /// The receipt written back.
    pub receipt: Receipt,
}

/// A delivery this vault sent, and what its recipient said.
#[derive(Debug, Clone, Serialize)]
pub struct Outgoing {
    /// Its folder.
    pub delivery: String,
    /// When it was sent (UTC).
    pub sent_at: String,
    /// SHA-256 of the encrypted bundle sent.
    pub sha256: String,
    /// The receipt, once written and checked.
    pub receipt: Option<Receipt>,
    /// The receiving device, when this vault knows its key as a sender.
    /// Only then is the receipt proof of receipt: a receipt signed by an
    /// unknown key could have been written by the server itself.
    pub received_by: Option<String>,
    /// The fingerprint of the key that signed the receipt.
    pub receipt_key: Option<String>,
    /// Why a receipt found is not believed, if it is not.
    pub problem: Option<String>,
}

fn refused(storage: &Storage, delivery: &str, why: String) -> DeliveryError {
    DeliveryError::Refused {
        remote: storage.name().to_string(),
        delivery: delivery.to_string(),
        why,
    }
}

fn folder(delivery: &str) -> String {
    format!("{}{delivery}/", index::TOP)
}

/// What `waiting` found besides deliveries: folders that are not
/// deliveries, and deliveries refused for their index.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Strange {
    /// Entries under `casefile/` that are not delivery folders.
    pub not_deliveries: Vec<String>,
    /// Deliveries whose index is refused: (folder, why).
    pub refused: Vec<(String, String)>,
    /// Deliveries whose receipt is signed by a key this vault does not
    /// know: still waiting (a server could write a receipt to hide one).
    pub unknown_receipts: Vec<String>,
}

/// The deliveries on `storage` waiting for this vault: an index and no
/// receipt signed by a key this vault knows (its own or a known sender's).
pub fn waiting(vault: &Vault, storage: &Storage) -> Result<(Vec<Waiting>, Strange), DeliveryError> {
    waiting_among(storage, &known_keys(vault)?)
}

/// The fingerprints whose receipts mark a delivery taken: this device's and
/// the known senders'. Read once, so the remote is then listed without the
/// vault ([`waiting_among`]).
pub fn known_keys(vault: &Vault) -> Result<Vec<String>, DeliveryError> {
    let mut known: Vec<String> = vault
        .senders()?
        .into_iter()
        .map(|s| s.fingerprint)
        .collect();
    known.push(vault.device_key().fingerprint());
    Ok(known)
}

/// [`waiting`], given the [`known_keys`]: needs no vault.
pub fn waiting_among(
    storage: &Storage,
    known: &[String],
) -> Result<(Vec<Waiting>, Strange), DeliveryError> {
    let mut out = Vec::new();
    let mut strange = Strange::default();
    for entry in storage.list(index::TOP)? {
        let Some(name) = entry
            .strip_suffix('/')
            .filter(|n| index::is_delivery_name(n))
        else {
            strange.not_deliveries.push(entry.clone());
            continue;
        };
        let inside = storage.list(&folder(name))?;
        if !inside.iter().any(|e| e == index::INDEX) {
            continue;
        }
        let idx = match read_index(storage, name) {
            Ok(idx) => idx,
            Err(DeliveryError::Refused { why, .. }) => {
                strange.refused.push((name.to_string(), why));
                continue;
            }
            Err(e) => return Err(e),
        };
        if inside.iter().any(|e| e == index::RECEIPT) {
            match check_receipt(storage, &folder(name), name) {
                Ok((r, key)) if r.sha256 == idx.sha256 && known.contains(&key.fingerprint()) => {
                    continue;
                }
                _ => strange.unknown_receipts.push(name.to_string()),
            }
        }
        out.push(Waiting {
            delivery: name.to_string(),
            size: idx.size,
            sha256: idx.sha256,
            parts: idx.parts.len(),
        });
    }
    Ok((out, strange))
}

fn read_index(storage: &Storage, delivery: &str) -> Result<Index, DeliveryError> {
    let path = format!("{}{}", folder(delivery), index::INDEX);
    let bytes = storage.get(&path, index::INDEX_BOUND)?;
    Index::parse(&bytes).map_err(|why| refused(storage, delivery, why))
}

/// Downloads left by a process that was killed (ciphertext only): the
/// vault is held by one process at a time, so none is in use.
fn remove_stale_downloads(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".inbox-") && name.ends_with(".tar.age") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// The ciphertext downloaded, in the vault's folder, removed when dropped.
struct Download(PathBuf);

impl Drop for Download {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Downloads `delivery`, checks every part against its index, decrypts with
/// `identity`, verifies (known senders only) and imports it, then writes
/// back a receipt signed by this device. Only ciphertext touches the disk
/// (in the vault's folder, deleted after); a part that does not match its
/// index, or a bundle that does not verify, is refused by name and left on
/// the server with no receipt.
pub fn receive(
    vault: &mut Vault,
    storage: &Storage,
    delivery: &str,
    identity: &Path,
    task: &Task<'_>,
) -> Result<Received, DeliveryError> {
    if !index::is_delivery_name(delivery) {
        return Err(refused(
            storage,
            delivery,
            "it is not a delivery's name".into(),
        ));
    }
    let idx = read_index(storage, delivery)?;
    let limits = Limits::default();
    if idx.size > limits.max_total {
        return Err(refused(
            storage,
            delivery,
            format!(
                "its index declares {} bytes, more than the {} a bundle may hold",
                idx.size, limits.max_total
            ),
        ));
    }
    remove_stale_downloads(vault.dir());
    let download = Download(vault.dir().join(format!(".inbox-{delivery}.tar.age")));
    let io = |e: std::io::Error| {
        DeliveryError::Vault(crate::vault::VaultError::Write {
            path: download.0.clone(),
            source: e,
        })
    };
    let mut file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&download.0)
            .map_err(io)?
    };
    let mut whole = Sha256::new();
    for part in &idx.parts {
        if task.cancelled() {
            return Err(DeliveryError::Bundle(bundle::BundleError::Cancelled));
        }
        let path = format!("{}{}", folder(delivery), part.name);
        let bytes = match storage.get(&path, part.size) {
            Ok(b) => b,
            Err(RemoteError::TooLarge { size, .. }) => {
                return Err(refused(
                    storage,
                    delivery,
                    format!(
                        "{path} is {size} bytes, not the {} its index says",
                        part.size
                    ),
                ));
            }
            Err(RemoteError::NotFound { .. }) => {
                return Err(refused(storage, delivery, format!("{path} is missing")));
            }
            Err(e) => return Err(e.into()),
        };
        if bytes.len() as u64 != part.size || hex::encode(Sha256::digest(&bytes)) != part.sha256 {
            return Err(refused(
                storage,
                delivery,
                format!("{path} does not match its index (damaged or altered on the server)"),
            ));
        }
        whole.update(&bytes);
        file.write_all(&bytes).map_err(io)?;
        task.advance(bytes.len() as u64);
    }
    if !idx.each_part_encrypted() && hex::encode(whole.finalize()) != idx.sha256 {
        return Err(refused(
            storage,
            delivery,
            "its parts together do not match the hash its index gives".into(),
        ));
    }
    file.sync_all().map_err(io)?;
    drop(file);
    let source = if idx.each_part_encrypted() {
        Source::parts(
            &download.0,
            idx.parts.iter().map(|p| p.size).collect(),
            identity,
        )?
    } else {
        Source::open(&download.0, Some(identity))?
    };
    let imported = match bundle::import(vault, &source, &limits, &ImportOptions::default(), task) {
        Ok(i) => i,
        // It decrypted with this vault's identity (it is for this vault)
        // and every part matched its index, but the bundle does not hold:
        // the sender learns so from a receipt that says it did not verify.
        Err(e @ (BundleError::Integrity(_) | BundleError::Unsafe(_) | BundleError::Archive(_))) => {
            write_receipt(vault, storage, delivery, &idx.sha256, false, 0)?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let receipt = write_receipt(
        vault,
        storage,
        delivery,
        &idx.sha256,
        true,
        imported.items.len(),
    )?;
    Ok(Received {
        delivery: delivery.to_string(),
        imported,
        receipt,
    })
}

/// Writes back a receipt signed by this device (the signature first, so a
/// receipt is never there without one), and records it.
fn write_receipt(
    vault: &mut Vault,
    storage: &Storage,
    delivery: &str,
    sha256: &str,
    verified: bool,
    items: usize,
) -> Result<Receipt, DeliveryError> {
    let receipt = Receipt {
        format: index::RECEIPT_FORMAT.into(),
        delivery: delivery.to_string(),
        sha256: sha256.to_string(),
        verified,
        received_at: crate::custody::log::now_utc(),
        device_key: vault.device_key().minisign_line(),
    };
    let text = serde_json::to_string_pretty(&receipt)
        .map_err(|e| refused(storage, delivery, e.to_string()))?;
    let signature = bundle::seal::sign(
        vault.device(),
        text.as_bytes(),
        &format!("casefile receipt for delivery {delivery}"),
    );
    let dir = folder(delivery);
    storage.put(
        &format!("{dir}{}", index::RECEIPT_SIG),
        signature.into_bytes(),
    )?;
    storage.put(&format!("{dir}{}", index::RECEIPT), text.into_bytes())?;
    let actor = vault.actor().to_string();
    vault.record(
        NewEvent::vault(Action::ReceiptWritten, &actor).with_details(serde_json::json!({
            "remote": storage.name(),
            "delivery": delivery,
            "sha256": sha256,
            "verified": verified,
            "items": items,
        })),
    )?;
    Ok(receipt)
}

/// What this vault delivered to `storage` (from its custody log), and each
/// delivery's receipt once its recipient wrote one: its signature checked
/// with the key it names, and that key named when this vault knows it.
pub fn outbox(vault: &Vault, storage: &Storage) -> Result<Vec<Outgoing>, DeliveryError> {
    outbox_among(storage, &sent_to(vault, storage.name())?)
}

/// What this vault delivered to remote `name`, read from the vault once so
/// the remote is then asked without it ([`outbox_among`]).
#[derive(Debug, Clone)]
pub struct SentTo {
    /// (delivery, sent at, hash), oldest first.
    sent: Vec<(String, String, String)>,
    /// The known senders: (name, fingerprint).
    known: Vec<(String, String)>,
}

/// The deliveries this vault's custody log records to remote `name`.
pub fn sent_to(vault: &Vault, name: &str) -> Result<SentTo, DeliveryError> {
    let known = vault
        .senders()?
        .into_iter()
        .map(|s| (s.name, s.fingerprint))
        .collect();
    let mut sent = Vec::new();
    for event in vault.log(None)? {
        if event.action != Action::Delivered || event.details["remote"] != name {
            continue;
        }
        let field = |k: &str| event.details[k].as_str().unwrap_or_default().to_string();
        let delivery = field("delivery");
        if index::is_delivery_name(&delivery) {
            sent.push((delivery, event.time.clone(), field("sha256")));
        }
    }
    Ok(SentTo { sent, known })
}

/// [`outbox`], given what [`sent_to`] read: needs no vault.
pub fn outbox_among(storage: &Storage, sent: &SentTo) -> Result<Vec<Outgoing>, DeliveryError> {
    let mut out = Vec::new();
    for (delivery, sent_at, sha256) in &sent.sent {
        let dir = folder(delivery);
        let mut item = Outgoing {
            delivery: delivery.clone(),
            sent_at: sent_at.clone(),
            sha256: sha256.clone(),
            receipt: None,
            received_by: None,
            receipt_key: None,
            problem: None,
        };
        let path = format!("{dir}{}", index::RECEIPT);
        if storage.exists(&path)? {
            match check_receipt(storage, &dir, delivery) {
                Ok((receipt, key)) => {
                    if receipt.sha256 != *sha256 {
                        // Signed, for this delivery, but of other bytes: the
                        // parts were altered on the server.
                        item.problem = Some(
                            "the recipient received other bytes than were sent (altered on the server)"
                                .into(),
                        );
                    }
                    item.received_by = sent
                        .known
                        .iter()
                        .find(|(_, fp)| *fp == key.fingerprint())
                        .map(|(n, _)| n.clone());
                    item.receipt_key = Some(key.fingerprint());
                    item.receipt = Some(receipt);
                }
                Err(why) => item.problem = Some(why),
            }
        }
        out.push(item);
    }
    Ok(out)
}

/// A receipt's signature checked with the key it names, and that it is for
/// `delivery`; what it says of the bytes is for the caller to compare.
fn check_receipt(
    storage: &Storage,
    dir: &str,
    delivery: &str,
) -> Result<(Receipt, DevicePublicKey), String> {
    let text = storage
        .get(&format!("{dir}{}", index::RECEIPT), 64 << 10)
        .map_err(|e| e.to_string())?;
    let sig = storage
        .get(&format!("{dir}{}", index::RECEIPT_SIG), 4 << 10)
        .map_err(|e| e.to_string())?;
    let receipt: Receipt =
        serde_json::from_slice(&text).map_err(|e| format!("the receipt is not valid: {e}"))?;
    let key = DevicePublicKey::from_minisign_line(&receipt.device_key)
        .ok_or("the receipt names no valid device key")?;
    let sig = String::from_utf8(sig).map_err(|_| "the receipt's signature is not text")?;
    bundle::seal::verify(&key, &text, &sig).map_err(|e| format!("the receipt's signature: {e}"))?;
    if receipt.format != index::RECEIPT_FORMAT || receipt.delivery != delivery {
        return Err("the receipt is for another delivery".into());
    }
    Ok((receipt, key))
}
