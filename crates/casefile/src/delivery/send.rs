//! `send`: an encrypted export streamed to a remote in parts, index last;
//! an interrupted send resumed, sending only the parts the remote lacks.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::DeliveryError;
use super::index::{self, Part};
use super::upload::Upload;
use crate::bundle::{self, ExportOptions, Exported, Format, Language, Recipe};
use crate::case::sheet::Regime;
use crate::custody::{Action, NewEvent};
use crate::remote::{RemoteError, Storage};
use crate::vault::PendingSend;
use crate::{Task, Vault};

/// What `send` delivered.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// The remote.
    pub remote: String,
    /// The delivery's folder on it (random).
    pub delivery: String,
    /// The objects written, index last.
    pub objects: Vec<String>,
    /// Parts the remote held already from an interrupted send, not sent again.
    pub kept: usize,
    /// The hash that names the delivery: SHA-256 over its parts' names,
    /// sizes and SHA-256s (its index gives them).
    pub sha256: String,
    /// Bytes of the items sent.
    pub size: u64,
    /// The export.
    pub export: Exported,
}

/// What was asked of a send, kept with it for a resume.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Request {
    case: String,
    items: Option<Vec<String>>,
    prefer_redacted: bool,
    prepared_for: Option<Regime>,
    language: Option<Language>,
    recipients: Vec<String>,
}

impl Request {
    fn of(opts: &ExportOptions) -> Request {
        Request {
            case: opts.case.clone(),
            items: opts.items.clone(),
            prefer_redacted: opts.prefer_redacted,
            prepared_for: opts.prepared_for,
            language: opts.language,
            recipients: opts.recipients.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn options(&self, delivery: &str) -> Result<ExportOptions, bundle::BundleError> {
        Ok(ExportOptions {
            case: self.case.clone(),
            out: bundle_name(delivery).into(),
            format: Format::Encrypted,
            items: self.items.clone(),
            recipients: bundle::parse_recipients(&self.recipients)?,
            prepared_for: self.prepared_for,
            prefer_redacted: self.prefer_redacted,
            language: self.language,
        })
    }
}

/// The bundle's own name (its top folder inside the tar): it reveals
/// nothing either.
fn bundle_name(delivery: &str) -> String {
    format!("{delivery}.tar.age")
}

fn folder(delivery: &str) -> String {
    format!("{}{delivery}/", index::TOP)
}

/// Exports the case in `opts` encrypted to its recipients and delivers it to
/// remote `name`: parts as the bundle is made, in constant memory (a part
/// being made, at most two being written), nothing on disk; each part retried
/// with backoff while the server is unreachable; the index last, so a
/// delivery is whole or absent. A cancelled send deletes the parts it wrote;
/// one that failed keeps them, and [`resume`] sends the rest. The delivery
/// is a custody event naming the remote, the objects and the delivery's hash.
pub fn send(
    vault: &mut Vault,
    name: &str,
    opts: &ExportOptions,
    task: &Task<'_>,
) -> Result<Sent, DeliveryError> {
    let _held = vault.hold_sending()?;
    let storage = Arc::new(vault.connect_remote(name)?);
    let delivery = hex::encode(rand::random::<[u8; 16]>());
    let mut opts = opts.clone();
    opts.out = bundle_name(&delivery).into();
    let recipe = bundle::seal_for_delivery(vault, &opts)?;
    let kept = |what: &str, e: serde_json::Error| {
        DeliveryError::Bundle(bundle::BundleError::Input(format!(
            "cannot keep the send's {what}: {e}"
        )))
    };
    let request = serde_json::to_string(&Request::of(&opts)).map_err(|e| kept("request", e))?;
    let recipe_json = serde_json::to_string(&recipe).map_err(|e| kept("bundle", e))?;
    vault.begin_send(&delivery, storage.name(), &request, &recipe_json)?;
    deliver(
        vault,
        storage,
        &delivery,
        &opts,
        &recipe,
        BTreeMap::new(),
        task,
    )
}

/// The sends that were interrupted and can be resumed, oldest first.
pub fn pending(vault: &Vault) -> Result<Vec<PendingSend>, DeliveryError> {
    Ok(vault.pending_sends()?)
}

/// Resumes an interrupted send: checks that the case still allows what was
/// sealed (the same items, no person whose consent was since withdrawn),
/// reads back each part the remote confirmed and keeps those intact, then
/// writes the same bundle again, sending only the parts missing or damaged,
/// and the index last.
pub fn resume(vault: &mut Vault, delivery: &str, task: &Task<'_>) -> Result<Sent, DeliveryError> {
    let held = vault.hold_sending()?;
    let rec = vault.send_record(delivery)?;
    let stale = |why: String| DeliveryError::Stale {
        delivery: delivery.to_string(),
        why,
    };
    let request: Request = serde_json::from_str(&rec.request).map_err(|e| stale(e.to_string()))?;
    let recipe: Recipe = serde_json::from_str(&rec.recipe).map_err(|e| stale(e.to_string()))?;
    let opts = request.options(delivery)?;
    match bundle::recheck(vault, &opts, &recipe) {
        Err(bundle::BundleError::Input(why)) => return Err(stale(why)),
        Err(bundle::BundleError::Consent(why)) => return Err(stale(why.to_string())),
        other => other?,
    }
    let storage = Arc::new(vault.connect_remote(&rec.remote)?);
    let present = listing(&storage, delivery)?;
    let mut kept = BTreeMap::new();
    for (n, size, sha256) in rec.parts {
        let name = index::part_name(n);
        if !present.contains(&name) {
            continue;
        }
        if task.cancelled() {
            // A cancel abandons, whether it comes while the parts are
            // checked or while they are sent.
            drop(held);
            abandon(vault, delivery)?;
            return Err(DeliveryError::Bundle(bundle::BundleError::Cancelled));
        }
        match storage.get(&format!("{}{name}", folder(delivery)), size) {
            Ok(bytes)
                if bytes.len() as u64 == size && hex::encode(Sha256::digest(&bytes)) == sha256 =>
            {
                kept.insert(n, Part { name, size, sha256 });
            }
            Ok(_) | Err(RemoteError::TooLarge { .. } | RemoteError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let sent = deliver(vault, storage, delivery, &opts, &recipe, kept, task);
    drop(held);
    sent
}

/// What abandoning a send did.
#[derive(Debug, Clone, Serialize)]
pub struct Abandoned {
    /// The delivery.
    pub delivery: String,
    /// Objects deleted from the remote.
    pub deleted: usize,
    /// Why the remote could not be cleaned, if it could not (its parts,
    /// without an index, are never taken for a delivery).
    pub problem: Option<String>,
}

/// Abandons an interrupted send: deletes what it wrote on the remote and
/// forgets it. A remote that cannot be reached keeps the send (abandon it
/// again later); one no longer known to the vault cannot be cleaned, and the
/// send is forgotten with the reason.
pub fn abandon(vault: &mut Vault, delivery: &str) -> Result<Abandoned, DeliveryError> {
    let _held = vault.hold_sending()?;
    let rec = vault.send_record(delivery)?;
    if vault
        .remotes()?
        .iter()
        .all(|r| r.name.as_str() != rec.remote)
    {
        vault.forget_send(delivery)?;
        return Ok(Abandoned {
            delivery: delivery.to_string(),
            deleted: 0,
            problem: Some(format!("the remote {} is no longer known", rec.remote)),
        });
    }
    let storage = vault.connect_remote(&rec.remote)?;
    let dir = folder(delivery);
    let _ = storage.delete(&format!("{dir}{}", index::INDEX));
    let mut deleted = 0;
    for name in listing(&storage, delivery)? {
        if name.starts_with("part-") {
            storage.delete(&format!("{dir}{name}"))?;
            deleted += 1;
        }
    }
    let _ = storage.delete(&dir);
    vault.forget_send(delivery)?;
    Ok(Abandoned {
        delivery: delivery.to_string(),
        deleted,
        problem: None,
    })
}

/// The names in a delivery's folder (none when it does not exist).
fn listing(storage: &Storage, delivery: &str) -> Result<Vec<String>, DeliveryError> {
    match storage.list(&folder(delivery)) {
        Ok(names) => Ok(names),
        Err(RemoteError::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Writes `recipe` to the remote as delivery `delivery`, the parts in
/// `kept` left as they are; on success the vault forgets the send and
/// records the delivery.
fn deliver(
    vault: &mut Vault,
    storage: Arc<Storage>,
    delivery: &str,
    opts: &ExportOptions,
    recipe: &Recipe,
    kept: BTreeMap<usize, Part>,
    task: &Task<'_>,
) -> Result<Sent, DeliveryError> {
    let report = Arc::new(Mutex::new(Vec::<String>::new()));
    let kept_parts = kept.len();
    let hash = {
        let shared: &Vault = vault;
        let upload = Upload::start(
            shared,
            Arc::clone(&storage),
            delivery,
            opts.recipients.clone(),
            kept,
            task.cancel_flag(),
            Arc::clone(&report),
        );
        bundle::write_to(shared, opts, recipe, Box::new(upload), task)?
    };
    vault.forget_send(delivery)?;
    let objects = report.lock().map(|r| r.clone()).unwrap_or_default();
    let actor = vault.actor().to_string();
    let event = NewEvent::vault(Action::Delivered, &actor).with_details(serde_json::json!({
        "remote": storage.name(),
        "delivery": delivery,
        "format": index::FORMAT,
        "objects": objects.len(),
        "kept": kept_parts,
        "sha256": hash,
        "case": opts.case,
    }));
    vault.record(event)?;
    let mut export = recipe.summary.clone();
    export.sha256 = hash.clone();
    export.sha256_of = "delivery (over its parts' hashes)";
    Ok(Sent {
        remote: storage.name().to_string(),
        delivery: delivery.to_string(),
        objects,
        kept: kept_parts,
        sha256: hash,
        size: export.bytes,
        export,
    })
}
