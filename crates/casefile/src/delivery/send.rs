//! `send`: an encrypted export streamed to a remote in parts, index last.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use super::DeliveryError;
use super::index;
use super::upload::Upload;
use crate::bundle::{self, ExportOptions, Exported};
use crate::custody::{Action, NewEvent};
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
    /// SHA-256 of the encrypted bundle.
    pub sha256: String,
    /// Bytes of the items sent.
    pub size: u64,
    /// The export.
    pub export: Exported,
}

/// Exports the case in `opts` encrypted to its recipients and delivers it to
/// remote `name`: parts as the bundle is made, in constant memory (a part
/// being made, at most two being written), nothing on disk; each part retried with backoff while the
/// server is unreachable; the index last, so a delivery is whole or absent.
/// A failed or cancelled send deletes the parts it wrote. The delivery is a
/// custody event naming the remote, the objects and the bundle's hash.
pub fn send(
    vault: &mut Vault,
    name: &str,
    opts: &ExportOptions,
    task: &Task<'_>,
) -> Result<Sent, DeliveryError> {
    let storage = Arc::new(vault.connect_remote(name)?);
    let delivery = hex::encode(rand::random::<[u8; 16]>());
    let mut opts = opts.clone();
    // The bundle's own name (its top folder inside the tar) reveals nothing either.
    opts.out = format!("{delivery}.tar.age").into();
    let report = Arc::new(Mutex::new(Vec::<String>::new()));
    // The upload is owned by the export and cannot borrow the task; it
    // learns of a cancel from this flag, which a watcher sets.
    let stop = Arc::new(AtomicBool::new(false));
    let upload = Upload::start(
        Arc::clone(&storage),
        format!("{}{delivery}/", index::TOP),
        Arc::clone(&stop),
        Arc::clone(&report),
    );
    let ended = AtomicBool::new(false);
    let export = std::thread::scope(|s| {
        if let Some(cancel) = task.cancel_flag() {
            let (ended, stop) = (&ended, &stop);
            s.spawn(move || {
                while !ended.load(Ordering::Relaxed) {
                    if cancel.load(Ordering::Relaxed) {
                        stop.store(true, Ordering::Relaxed);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        }
        let r = bundle::export_to(vault, &opts, Box::new(upload), task);
        ended.store(true, Ordering::Relaxed);
        r
    })?;
    let objects = report.lock().map(|r| r.clone()).unwrap_or_default();
    let size = objects.len();
    let actor = vault.actor().to_string();
    let event = NewEvent::vault(Action::Delivered, &actor).with_details(serde_json::json!({
        "remote": storage.name(),
        "delivery": delivery,
        "objects": size,
        "sha256": export.sha256,
        "case": opts.case,
    }));
    vault.record(event)?;
    let bytes = export.bytes;
    Ok(Sent {
        remote: storage.name().to_string(),
        delivery,
        objects,
        sha256: export.sha256.clone(),
        size: bytes,
        export,
    })
}
