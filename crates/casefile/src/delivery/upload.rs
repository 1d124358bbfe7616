//! The parts of one delivery, written as the encrypted stream comes: each
//! full part goes to a writer thread while the export makes the next, so the
//! network and the export overlap (at most two parts wait, in constant
//! memory), and a cancel never waits on a request under way.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::index::{self, Index, Part};
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

/// One delivery's parts and index, written by a writer thread.
pub(super) struct Upload {
    folder: String,
    buffer: Vec<u8>,
    parts: Vec<Part>,
    size: u64,
    done: bool,
    /// Set when the send is cancelled: no further part is written and a
    /// retry stops waiting.
    stop: Arc<AtomicBool>,
    jobs: Option<SyncSender<(String, Vec<u8>)>>,
    written: Receiver<io::Result<String>>,
    waiting: usize,
    /// Set, with the number of parts named, when the delivery did not
    /// complete: the writer then deletes the index and those parts.
    clean: Arc<(AtomicBool, AtomicUsize)>,
    exited: Receiver<()>,
    /// The objects written, for the caller.
    report: Arc<Mutex<Vec<String>>>,
}

impl Upload {
    /// An upload into `folder` of `storage`, stopped by `stop`.
    pub(super) fn start(
        storage: Arc<Storage>,
        folder: String,
        stop: Arc<AtomicBool>,
        report: Arc<Mutex<Vec<String>>>,
    ) -> Upload {
        let (jobs, queue) = mpsc::sync_channel::<(String, Vec<u8>)>(1);
        let (done_tx, written) = mpsc::channel();
        let (exit_tx, exited) = mpsc::channel();
        let clean = Arc::new((AtomicBool::new(false), AtomicUsize::new(0)));
        let (halt, tidy, dir) = (Arc::clone(&stop), Arc::clone(&clean), folder.clone());
        std::thread::spawn(move || {
            for (path, bytes) in queue.iter() {
                let r = put_retrying(&storage, &path, &bytes, &halt).map(|()| path);
                drop(bytes);
                if done_tx.send(r).is_err() {
                    break;
                }
            }
            if tidy.0.load(Ordering::SeqCst) {
                // The index first: its write may have reached the server
                // although the answer did not.
                let _ = storage.delete(&format!("{dir}{}", index::INDEX));
                for n in 1..=tidy.1.load(Ordering::SeqCst) {
                    let _ = storage.delete(&format!("{dir}{}", index::part_name(n)));
                }
            }
            let _ = exit_tx.send(());
        });
        Upload {
            folder,
            buffer: Vec::with_capacity(index::PART),
            parts: Vec::new(),
            size: 0,
            done: false,
            stop,
            jobs: Some(jobs),
            written,
            waiting: 0,
            clean,
            exited,
            report,
        }
    }

    fn took(&mut self, r: io::Result<String>) -> io::Result<()> {
        self.waiting -= 1;
        let path = r?;
        if let Ok(mut rep) = self.report.lock() {
            rep.push(path);
        }
        Ok(())
    }

    /// Hands an object to the writer, waiting while two are ahead of it.
    fn queue(&mut self, path: String, bytes: Vec<u8>) -> io::Result<()> {
        while let Ok(r) = self.written.try_recv() {
            self.took(r)?;
        }
        let mut job = (path, bytes);
        loop {
            if self.stop.load(Ordering::Relaxed) {
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
            if self.stop.load(Ordering::Relaxed) {
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

    fn put_part(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let name = index::part_name(self.parts.len() + 1);
        let bytes = std::mem::replace(&mut self.buffer, Vec::with_capacity(index::PART));
        self.size += bytes.len() as u64;
        self.parts.push(Part {
            name: name.clone(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
        self.queue(format!("{}{name}", self.folder), bytes)
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
        self.drain()?;
        let idx = Index {
            format: index::FORMAT.into(),
            size: self.size,
            sha256: sha256.to_string(),
            parts: self.parts.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&idx).map_err(io::Error::other)?;
        self.queue(format!("{}{}", self.folder, index::INDEX), bytes)?;
        self.drain()?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Upload {
    /// A send that did not complete leaves nothing: no index, and the parts
    /// deleted by the writer once its request under way ends (best effort,
    /// for a bounded time: a server that is gone keeps them, but without an
    /// index nobody takes them for a delivery).
    fn drop(&mut self) {
        if !self.done {
            self.clean.1.store(self.parts.len() + 1, Ordering::SeqCst);
            self.clean.0.store(true, Ordering::SeqCst);
            self.stop.store(true, Ordering::SeqCst);
        }
        self.jobs = None;
        let _ = self.exited.recv_timeout(CLEANUP_FOR);
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
