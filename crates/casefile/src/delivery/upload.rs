//! The parts of one delivery, made as the bag's tar stream comes: each
//! full slice is encrypted as an age file of its own and goes to a writer
//! thread, which writes it while the export makes the next (at most two
//! wait, in constant memory); a cancel never waits on a request under way.
//! Each part the remote confirms is noted in the vault, so an interrupted
//! send resumes with only the parts missing.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::index::{self, Index, Part};
use crate::Vault;
use crate::bundle::{BundleError, Delivery};
use crate::remote::{RemoteError, Storage};

/// How long a part is retried while the server is unreachable or failing,
/// before the send gives up (a server restarting, a network coming back).
const RETRY_FOR: Duration = Duration::from_secs(300);

/// How long a failed or cancelled send waits for the writer to delete what
/// it wrote; a server that does not answer keeps its parts, without an
/// index, so nobody takes them for a delivery.
const CLEANUP_FOR: Duration = Duration::from_secs(15);

const POLL: Duration = Duration::from_millis(20);

/// What the writer is given.
enum Job {
    /// Part `n`, encrypted, to write.
    Part(usize, Part, Vec<u8>),
    /// The index, last.
    Index(Vec<u8>),
}

/// One delivery's parts and index, written by a writer thread.
pub(super) struct Upload<'a> {
    vault: &'a Vault,
    delivery: String,
    recipients: Vec<age::x25519::Recipient>,
    buffer: Vec<u8>,
    /// Parts numbered so far, made or kept.
    made: usize,
    /// Parts the remote holds already (checked), by number: not made again.
    kept: BTreeMap<usize, Part>,
    /// Parts the remote holds, kept or confirmed, by number.
    parts: BTreeMap<usize, Part>,
    done: bool,
    /// The user's cancel, read while the upload waits and when it ends.
    cancel: Option<&'a AtomicBool>,
    /// Set when the send stops (cancelled or failed): the writer writes no
    /// further part and a retry stops waiting.
    stop: Arc<AtomicBool>,
    jobs: Option<SyncSender<Job>>,
    written: Receiver<io::Result<Option<(usize, Part)>>>,
    waiting: usize,
    /// Set when the delivery did not complete: the writer then deletes the
    /// index, and, with the number of parts given (on a cancel), the parts.
    clean: Arc<(AtomicBool, AtomicUsize)>,
    exited: Receiver<()>,
    /// The objects written, for the caller.
    report: Arc<Mutex<Vec<String>>>,
}

impl<'a> Upload<'a> {
    /// An upload of delivery `delivery` to `storage`, encrypted to
    /// `recipients`, of which the parts in `kept` are on the remote already;
    /// cancelled by `cancel`.
    pub(super) fn start(
        vault: &'a Vault,
        storage: Arc<Storage>,
        delivery: &str,
        recipients: Vec<age::x25519::Recipient>,
        kept: BTreeMap<usize, Part>,
        cancel: Option<&'a AtomicBool>,
        report: Arc<Mutex<Vec<String>>>,
    ) -> Upload<'a> {
        let stop = Arc::new(AtomicBool::new(false));
        let (jobs, queue) = mpsc::sync_channel::<Job>(1);
        let (done_tx, written) = mpsc::channel();
        let (exit_tx, exited) = mpsc::channel();
        let clean = Arc::new((AtomicBool::new(false), AtomicUsize::new(0)));
        let dir = folder(delivery);
        let (halt, tidy) = (Arc::clone(&stop), Arc::clone(&clean));
        std::thread::spawn(move || {
            for job in queue.iter() {
                let r = match job {
                    Job::Part(n, part, bytes) => {
                        put_retrying(&storage, &format!("{dir}{}", part.name), &bytes, &halt)
                            .map(|()| Some((n, part)))
                    }
                    Job::Index(bytes) => {
                        put_retrying(&storage, &format!("{dir}{}", index::INDEX), &bytes, &halt)
                            .map(|()| None)
                    }
                };
                if done_tx.send(r).is_err() {
                    break;
                }
            }
            if tidy.0.load(Ordering::SeqCst) {
                // The index first: its write may have reached the server
                // although the answer did not.
                let _ = storage.delete(&format!("{dir}{}", index::INDEX));
                let parts = tidy.1.load(Ordering::SeqCst);
                for n in 1..=parts {
                    let _ = storage.delete(&format!("{dir}{}", index::part_name(n)));
                }
                if parts > 0 {
                    // An empty folder would still tell of the attempt.
                    let _ = storage.delete(&dir);
                }
            }
            let _ = exit_tx.send(());
        });
        Upload {
            vault,
            delivery: delivery.to_string(),
            recipients,
            buffer: Vec::with_capacity(index::PART),
            made: 0,
            parts: kept.clone(),
            kept,
            done: false,
            cancel,
            stop,
            jobs: Some(jobs),
            written,
            waiting: 0,
            clean,
            exited,
            report,
        }
    }

    /// True once the user cancelled; the writer is told at once.
    fn cancelled(&self) -> bool {
        let asked = self.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        if asked {
            self.stop.store(true, Ordering::SeqCst);
        }
        asked || self.stop.load(Ordering::Relaxed)
    }

    fn took(&mut self, r: io::Result<Option<(usize, Part)>>) -> io::Result<()> {
        self.waiting -= 1;
        let (path, part) = match r? {
            Some((n, part)) => {
                self.vault
                    .sent_part(&self.delivery, n, part.size, &part.sha256)
                    .map_err(io::Error::other)?;
                let path = format!("{}{}", folder(&self.delivery), part.name);
                self.parts.insert(n, part.clone());
                (path, Some(part))
            }
            None => (format!("{}{}", folder(&self.delivery), index::INDEX), None),
        };
        drop(part);
        if let Ok(mut rep) = self.report.lock() {
            rep.push(path);
        }
        Ok(())
    }

    /// Notes every part the writer has finished since last asked, without
    /// waiting.
    fn note_confirmed(&mut self) -> io::Result<()> {
        while let Ok(r) = self.written.try_recv() {
            self.took(r)?;
        }
        Ok(())
    }

    /// Hands a job to the writer, waiting while two are ahead of it.
    fn queue(&mut self, job: Job) -> io::Result<()> {
        self.note_confirmed()?;
        let mut job = job;
        loop {
            if self.cancelled() {
                return Err(cancelled());
            }
            let Some(jobs) = &self.jobs else {
                return Err(io::Error::other("the upload has ended"));
            };
            match jobs.try_send(job) {
                Ok(()) => {
                    self.waiting += 1;
                    return Ok(());
                }
                Err(TrySendError::Full(j)) => {
                    job = j;
                    match self.written.recv_timeout(POLL) {
                        Ok(r) => self.took(r)?,
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => {
                            return Err(io::Error::other("the upload stopped"));
                        }
                    }
                }
                Err(TrySendError::Disconnected(_)) => {
                    return Err(io::Error::other("the upload stopped"));
                }
            }
        }
    }

    /// Waits until the writer has written everything handed to it.
    fn drain(&mut self) -> io::Result<()> {
        while self.waiting > 0 {
            if self.cancelled() {
                return Err(cancelled());
            }
            match self.written.recv_timeout(POLL) {
                Ok(r) => self.took(r)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(io::Error::other("the upload stopped"));
                }
            }
        }
        Ok(())
    }

    /// The slice in the buffer becomes the next part, unless the remote
    /// holds that part already.
    fn put_part(&mut self) -> io::Result<()> {
        self.made += 1;
        let plain = std::mem::replace(&mut self.buffer, Vec::with_capacity(index::PART));
        if self.kept.contains_key(&self.made) {
            return Ok(());
        }
        // Encrypted here, while the writer sends the part before: the
        // network and the encryption overlap.
        let bytes = encrypt(&plain, &self.recipients)?;
        drop(plain);
        let part = Part {
            name: index::part_name(self.made),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
        };
        self.queue(Job::Part(self.made, part, bytes))
    }
}

fn folder(delivery: &str) -> String {
    format!("{}{delivery}/", index::TOP)
}

/// One part: an age file of its own.
fn encrypt(plain: &[u8], recipients: &[age::x25519::Recipient]) -> io::Result<Vec<u8>> {
    let recips = recipients.iter().map(|r| r as &dyn age::Recipient);
    let enc = age::Encryptor::with_recipients(recips).map_err(io::Error::other)?;
    let mut out = Vec::with_capacity(plain.len() + plain.len() / 4096 + 1024);
    let mut w = enc.wrap_output(&mut out)?;
    w.write_all(plain)?;
    w.finish()?;
    Ok(out)
}

impl io::Write for Upload<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A part the remote confirmed is noted now, not when the next part
        // is handed over: a send killed while that one is being made would
        // otherwise have noted none, and its resume would send every part.
        self.note_confirmed()?;
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

impl Delivery for Upload<'_> {
    fn complete(mut self: Box<Self>) -> io::Result<String> {
        if !self.buffer.is_empty() || self.made == 0 {
            self.put_part()?;
        }
        self.drain()?;
        if self.parts.len() != self.made || self.parts.keys().next_back() != Some(&self.made) {
            return Err(io::Error::other(
                "the remote holds parts of this delivery beyond its end",
            ));
        }
        let parts: Vec<Part> = self.parts.values().cloned().collect();
        let idx = Index {
            format: index::FORMAT.into(),
            size: parts.iter().map(|p| p.size).sum(),
            sha256: index::parts_digest(&parts),
            parts,
        };
        let bytes = serde_json::to_vec_pretty(&idx).map_err(io::Error::other)?;
        self.queue(Job::Index(bytes))?;
        self.drain()?;
        self.done = true;
        Ok(idx.sha256)
    }
}

impl Drop for Upload<'_> {
    /// A send that did not complete leaves no index. A cancelled one leaves
    /// nothing: its parts are deleted by the writer once its request under
    /// way ends (best effort, for a bounded time), and the vault forgets it.
    /// One that failed keeps the parts the remote confirmed, for
    /// `send --resume`, unless there are none.
    fn drop(&mut self) {
        let mut abandon = false;
        if !self.done {
            abandon = self.cancelled() || self.parts.is_empty();
            if abandon {
                // Every part this send may have written, in this process or
                // an earlier one.
                let highest = self.parts.keys().next_back().copied().unwrap_or(0);
                self.clean
                    .1
                    .store(self.made.max(highest) + 1, Ordering::SeqCst);
            }
            self.clean.0.store(true, Ordering::SeqCst);
            self.stop.store(true, Ordering::SeqCst);
        }
        self.jobs = None;
        let until = Instant::now() + CLEANUP_FOR;
        loop {
            let exited = self.exited.recv_timeout(POLL).is_ok();
            // A part confirmed while the send was failing is still noted.
            while let Ok(r) = self.written.try_recv() {
                if let (Ok(Some((n, p))), false) = (r, abandon) {
                    let _ = self.vault.sent_part(&self.delivery, n, p.size, &p.sha256);
                }
            }
            if exited || Instant::now() >= until {
                break;
            }
        }
        if abandon {
            let _ = self.vault.forget_send(&self.delivery);
        }
    }
}

/// Not ErrorKind::Interrupted: writers retry on that.
fn cancelled() -> io::Error {
    io::Error::other(BundleError::Cancelled)
}

/// Writes one object, retrying with backoff while the server is unreachable
/// or failing; a refusal (credentials, no room) stops at once, and so does
/// a cancel (between tries, and while waiting for the next).
fn put_retrying(storage: &Storage, path: &str, bytes: &[u8], stop: &AtomicBool) -> io::Result<()> {
    let start = Instant::now();
    let mut wait = Duration::from_secs(1);
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
