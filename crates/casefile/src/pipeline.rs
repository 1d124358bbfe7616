//! Keeping both cores and the disk busy: reading ahead on a second thread,
//! and asking the kernel to write back a large file while it is still being
//! written, so the final sync does not wait for all of it at once.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// Blocks lent to other threads and reused once every one of them has let
/// go, so a stream of any length costs a handful of allocations. (A fresh
/// 256 KiB block is mapped and faulted in by the kernel every time: a large
/// part of the system time of ingest and verify before this.)
pub struct BlockPool {
    size: usize,
    blocks: Vec<Arc<Vec<u8>>>,
}

impl BlockPool {
    /// A pool of blocks of `size` bytes.
    pub fn new(size: usize) -> Self {
        BlockPool {
            size,
            blocks: Vec::new(),
        }
    }

    /// Reads the next block of `reader` (full unless the stream ends) into a
    /// block no other thread still holds; None at the end of the stream.
    pub fn fill(&mut self, reader: &mut dyn Read) -> io::Result<Option<Arc<Vec<u8>>>> {
        // Only this pool can clone a block it holds alone, so a count of one
        // cannot change under us.
        let free = self.blocks.iter().position(|b| Arc::strong_count(b) == 1);
        let mut block = match free {
            Some(i) => self.blocks.swap_remove(i),
            None => Arc::new(Vec::with_capacity(self.size)),
        };
        let Some(buf) = Arc::get_mut(&mut block) else {
            return Err(io::Error::other("a pooled block is still shared"));
        };
        buf.resize(self.size, 0);
        let n = crate::crypto::stream::read_full(reader, buf)?;
        if n == 0 {
            self.blocks.push(block);
            return Ok(None);
        }
        buf.truncate(n);
        self.blocks.push(Arc::clone(&block));
        Ok(Some(block))
    }
}

/// Reads from `inner` on a thread of its own, `depth` blocks ahead.
pub struct Prefetch {
    rx: Receiver<io::Result<Arc<Vec<u8>>>>,
    block: Arc<Vec<u8>>,
    pos: usize,
    done: bool,
}

impl Prefetch {
    /// Starts reading `inner` in blocks of `block_size`.
    pub fn new<R: Read + Send + 'static>(mut inner: R, block_size: usize, depth: usize) -> Self {
        let (tx, rx) = sync_channel(depth);
        std::thread::spawn(move || {
            let mut pool = BlockPool::new(block_size);
            loop {
                let sent = match pool.fill(&mut inner) {
                    Ok(None) => break,
                    Ok(Some(block)) => tx.send(Ok(block)),
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                };
                // The reader was dropped: stop.
                if sent.is_err() {
                    break;
                }
            }
        });
        Prefetch {
            rx,
            block: Arc::new(Vec::new()),
            pos: 0,
            done: false,
        }
    }
}

impl Read for Prefetch {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.block.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(block)) => {
                    self.block = block;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => self.done = true,
            }
        }
        let n = out.len().min(self.block.len() - self.pos);
        out[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Bytes written between two write-back requests.
const FLUSH_EVERY: u64 = 64 << 20;

/// Asks for write-back of a file every 64 MiB written, on a thread of its own,
/// never blocking the writer.
pub struct BackgroundFlush {
    tx: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
    pending: u64,
}

impl BackgroundFlush {
    /// Starts flushing `file` (a second handle to the file being written).
    pub fn new(file: &File) -> io::Result<Self> {
        let file = file.try_clone()?;
        let (tx, rx) = sync_channel::<()>(1);
        let thread = std::thread::spawn(move || {
            while rx.recv().is_ok() {
                // Errors surface at the final, checked sync.
                let _ = file.sync_data();
            }
        });
        Ok(BackgroundFlush {
            tx: Some(tx),
            thread: Some(thread),
            pending: 0,
        })
    }

    /// Notes `n` more bytes written.
    pub fn wrote(&mut self, n: u64) {
        self.pending += n;
        if self.pending >= FLUSH_EVERY
            && let Some(tx) = &self.tx
        {
            match tx.try_send(()) {
                Ok(()) | Err(TrySendError::Disconnected(())) => self.pending = 0,
                // Still flushing the previous batch: ask again later.
                Err(TrySendError::Full(())) => {}
            }
        }
    }
}

impl Drop for BackgroundFlush {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Syncs finished files on a thread of its own, so the disk writes one file
/// while the next is being read and encrypted.
pub struct SyncQueue {
    tx: Option<SyncSender<File>>,
    thread: Option<JoinHandle<()>>,
}

impl SyncQueue {
    /// Starts the syncing thread.
    pub fn new() -> Self {
        let (tx, rx) = sync_channel::<File>(16);
        let thread = std::thread::spawn(move || {
            for file in rx {
                // Errors surface at the final, checked sync.
                let _ = file.sync_data();
            }
        });
        SyncQueue {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// Queues a (second handle to a) written file for write-back.
    pub fn push(&self, file: File) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(file);
        }
    }
}

impl Default for SyncQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SyncQueue {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetch_reads_everything_in_order() {
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i % 251) as u8).collect();
        let mut p = Prefetch::new(std::io::Cursor::new(data.clone()), 4096, 3);
        let mut out = Vec::new();
        p.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn prefetch_passes_errors_on() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("boom"))
            }
        }
        let mut p = Prefetch::new(Failing, 16, 1);
        assert!(p.read(&mut [0u8; 8]).is_err());
    }
}
