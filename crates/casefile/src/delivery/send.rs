//! `send`: an encrypted export streamed to a remote in parts, index last.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::DeliveryError;
use super::index::{self, Index, Part};
use crate::bundle::{self, Delivery, ExportOptions, Exported};
use crate::custody::{Action, NewEvent};
use crate::remote::{RemoteError, Storage};
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

/// How long a part is retried while the server is unreachable or failing,
/// before the send gives up (a server restarting, a network coming back).
const RETRY_FOR: Duration = Duration::from_secs(300);

/// Exports the case in `opts` encrypted to its recipients and delivers it to
/// remote `name`: parts as the bundle is made, in constant memory (one part
/// at a time), nothing on disk; each part retried with backoff while the
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
    let upload = Upload {
        stop: Arc::clone(&stop),
        storage: Arc::clone(&storage),
        folder: format!("{}{delivery}/", index::TOP),
        buffer: Vec::with_capacity(index::PART),
        parts: Vec::new(),
        size: 0,
        done: false,
        report: Arc::clone(&report),
    };
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

/// The parts of one delivery, written as the encrypted stream comes.
struct Upload {
    storage: Arc<Storage>,
    /// Set when the send is cancelled: no further part is written and a
    /// retry stops waiting.
    stop: Arc<AtomicBool>,
    folder: String,
    buffer: Vec<u8>,
    parts: Vec<Part>,
    size: u64,
    done: bool,
    /// The objects written, for the caller.
    report: Arc<Mutex<Vec<String>>>,
}

impl Upload {
    fn put_part(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let name = index::part_name(self.parts.len() + 1);
        let path = format!("{}{name}", self.folder);
        let sha256 = hex::encode(Sha256::digest(&self.buffer));
        put_retrying(&self.storage, &path, &self.buffer, &self.stop)?;
        self.size += self.buffer.len() as u64;
        self.parts.push(Part {
            name,
            size: self.buffer.len() as u64,
            sha256,
        });
        if let Ok(mut r) = self.report.lock() {
            r.push(path);
        }
        self.buffer.clear();
        Ok(())
    }
}

impl io::Write for Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = index::PART - self.buffer.len();
        let n = room.min(buf.len());
        self.buffer.extend_from_slice(&buf[..n]);
        if self.buffer.len() == index::PART {
            self.put_part()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Delivery for Upload {
    fn complete(mut self: Box<Self>, sha256: &str) -> io::Result<()> {
        self.put_part()?;
        let idx = Index {
            format: index::FORMAT.into(),
            size: self.size,
            sha256: sha256.to_string(),
            parts: self.parts.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&idx).map_err(io::Error::other)?;
        let path = format!("{}{}", self.folder, index::INDEX);
        put_retrying(&self.storage, &path, &bytes, &self.stop)?;
        if let Ok(mut r) = self.report.lock() {
            r.push(path);
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for Upload {
    /// A send that did not complete leaves nothing: no index was written,
    /// and the parts are deleted (best effort: a server that is gone keeps
    /// them, but without an index nobody takes them for a delivery).
    fn drop(&mut self) {
        if !self.done {
            // The index first: its write may have reached the server although
            // the answer did not, and without the parts it would list a
            // delivery that cannot be taken in. Then the parts, with the one
            // whose write was under way.
            let _ = self
                .storage
                .delete(&format!("{}{}", self.folder, index::INDEX));
            for n in 1..=self.parts.len() + 1 {
                let _ = self
                    .storage
                    .delete(&format!("{}{}", self.folder, index::part_name(n)));
            }
        }
    }
}

/// Writes one object, retrying with backoff while the server is unreachable
/// or failing; a refusal (credentials, no room) stops at once, and so does
/// a cancel (between tries, and while waiting for the next).
fn put_retrying(storage: &Storage, path: &str, bytes: &[u8], stop: &AtomicBool) -> io::Result<()> {
    let start = Instant::now();
    let mut wait = Duration::from_secs(1);
    // Not ErrorKind::Interrupted: writers retry on that.
    let cancelled = || io::Error::other(bundle::BundleError::Cancelled);
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        match storage.put(path, bytes.to_vec()) {
            Ok(()) => return Ok(()),
            Err(e @ (RemoteError::Unreachable { .. } | RemoteError::Server { .. }))
                if start.elapsed() + wait < RETRY_FOR =>
            {
                drop(e);
                let until = Instant::now() + wait;
                while Instant::now() < until {
                    if stop.load(Ordering::Relaxed) {
                        return Err(cancelled());
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                wait = (wait * 2).min(Duration::from_secs(15));
            }
            Err(e) => return Err(io::Error::other(e)),
        }
    }
}
