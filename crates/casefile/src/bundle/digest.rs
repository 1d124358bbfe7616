//! The checksum algorithms BagIt manifests name, computed side by side.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::crypto::hash;
use crate::pipeline::BlockPool;

/// A manifest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Alg {
    /// MD5 (only to read old bags).
    Md5,
    /// SHA-1 (only to read old bags).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Alg {
    /// Every algorithm this build can check.
    pub const ALL: [Alg; 6] = [
        Alg::Md5,
        Alg::Sha1,
        Alg::Sha224,
        Alg::Sha256,
        Alg::Sha384,
        Alg::Sha512,
    ];

    /// The name used in `manifest-<name>.txt`.
    pub fn name(self) -> &'static str {
        match self {
            Alg::Md5 => "md5",
            Alg::Sha1 => "sha1",
            Alg::Sha224 => "sha224",
            Alg::Sha256 => "sha256",
            Alg::Sha384 => "sha384",
            Alg::Sha512 => "sha512",
        }
    }

    /// The algorithm for a manifest name, if known.
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL
            .into_iter()
            .find(|a| a.name() == name.to_ascii_lowercase())
    }

    fn hasher(self) -> Hasher {
        match self {
            Alg::Md5 => Hasher::Md5(md5::Md5::default()),
            Alg::Sha1 => Hasher::Sha1(sha1::Sha1::default()),
            Alg::Sha224 => Hasher::Sha224(sha2::Sha224::default()),
            Alg::Sha256 => Hasher::Sha256(hash::Sha256::new()),
            Alg::Sha384 => Hasher::Sha384(hash::Sha384::new()),
            Alg::Sha512 => Hasher::Sha512(hash::Sha512::new()),
        }
    }
}

/// One running digest. SHA-256, -384 and -512 are OpenSSL's (the fast ones
/// every bundle uses); the old algorithms, only read, come from RustCrypto.
enum Hasher {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha224(sha2::Sha224),
    Sha256(hash::Sha256),
    Sha384(hash::Sha384),
    Sha512(hash::Sha512),
}

impl Hasher {
    fn update(&mut self, data: &[u8]) {
        use digest::Digest;
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha224(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn finish_hex(self) -> String {
        use digest::Digest;
        match self {
            Hasher::Md5(h) => hex::encode(h.finalize()),
            Hasher::Sha1(h) => hex::encode(h.finalize()),
            Hasher::Sha224(h) => hex::encode(h.finalize()),
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sha384(h) => hex::encode(h.finalize()),
            Hasher::Sha512(h) => hex::encode(h.finalize()),
        }
    }
}

/// Several digests of one stream.
pub struct MultiHasher {
    hashers: Vec<(Alg, Hasher)>,
}

impl MultiHasher {
    /// Hashes with each of `algs`.
    pub fn new(algs: &[Alg]) -> Self {
        Self {
            hashers: algs.iter().map(|&a| (a, a.hasher())).collect(),
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        for (_, h) in &mut self.hashers {
            h.update(data);
        }
    }

    /// Lowercase hex digests by algorithm.
    pub fn finish(self) -> Vec<(Alg, String)> {
        self.hashers
            .into_iter()
            .map(|(a, h)| (a, h.finish_hex()))
            .collect()
    }
}

/// Hex digest of a byte string.
pub fn hex_digest(alg: Alg, data: &[u8]) -> String {
    let mut h = MultiHasher::new(&[alg]);
    h.update(data);
    h.finish().remove(0).1
}

/// Relative CPU cost per byte, to share work between the hashing threads.
fn weight(alg: Alg) -> i64 {
    match alg {
        Alg::Sha256 | Alg::Sha1 => 1,
        Alg::Md5 => 2,
        Alg::Sha224 | Alg::Sha384 | Alg::Sha512 => 3,
    }
}

/// Which stream a digest belongs to, in the order the streams were given.
pub type StreamId = usize;

enum Job {
    Start {
        id: StreamId,
        algs: Vec<Alg>,
        planned: i64,
    },
    Block(Arc<Vec<u8>>),
    End,
}

struct Worker {
    tx: SyncSender<Job>,
    /// Estimated work queued for this thread and not yet done.
    queued: Arc<AtomicI64>,
    thread: JoinHandle<Vec<(StreamId, Alg, String)>>,
}

/// Two hashing threads fed by the caller. Each stream's algorithms go, one
/// by one, to the thread with the least work queued, so many files are spread
/// over both cores, each file's digests computed in order on one thread. A
/// large stream is split instead between one thread (its heaviest algorithm)
/// and the caller (the rest, hashed between reads): three busy threads on two
/// cores would leave the heaviest digest waiting for a core. Digests come back
/// from [`HashPool::finish`].
pub struct HashPool {
    workers: Vec<Worker>,
    blocks: BlockPool,
    next: StreamId,
    /// Digests the caller computed itself.
    local: Vec<(StreamId, Alg, String)>,
}

/// Streams this large are split between a thread and the caller.
const LARGE: i64 = 32 << 20;

/// Bytes read at a time.
const BLOCK: usize = 256 * 1024;
/// Blocks queued per thread.
const DEPTH: usize = 16;

impl HashPool {
    /// Starts the threads.
    pub fn new() -> Self {
        let workers = (0..2)
            .map(|_| {
                let (tx, rx) = sync_channel::<Job>(DEPTH);
                let queued = Arc::new(AtomicI64::new(0));
                let left = Arc::clone(&queued);
                let thread = std::thread::spawn(move || work(rx, &left));
                Worker { tx, queued, thread }
            })
            .collect();
        HashPool {
            workers,
            blocks: BlockPool::new(BLOCK),
            next: 0,
            local: Vec::new(),
        }
    }

    /// Reads `reader` to its end and queues it for hashing with every one of
    /// `algs`; `size_hint` (the size the container declares) only guides the
    /// sharing. Keeps the bytes in `keep` when given. Returns the stream's id
    /// and the bytes read.
    pub fn hash(
        &mut self,
        reader: &mut dyn std::io::Read,
        size_hint: u64,
        algs: &[Alg],
        mut keep: Option<&mut Vec<u8>>,
        on_bytes: &dyn Fn(u64),
    ) -> std::io::Result<(StreamId, u64)> {
        let id = self.next;
        self.next += 1;
        let size = i64::try_from(size_hint).unwrap_or(i64::MAX / 4);
        let mut shares: Vec<Vec<Alg>> = vec![Vec::new(); self.workers.len()];
        let mut planned = vec![0i64; self.workers.len()];
        let mut order = algs.to_vec();
        order.sort_by_key(|a| std::cmp::Reverse(weight(*a)));
        let mut mine = Vec::new();
        if size >= LARGE && order.len() > 1 {
            mine = order.split_off(1);
        }
        for alg in order {
            let cost = size.saturating_mul(weight(alg));
            let least = (0..self.workers.len())
                .min_by_key(|&w| self.workers[w].queued.load(Ordering::Relaxed) + planned[w])
                .unwrap_or(0);
            shares[least].push(alg);
            planned[least] = planned[least].saturating_add(cost);
        }
        let mut used = Vec::new();
        for (w, algs) in shares.into_iter().enumerate() {
            if algs.is_empty() {
                continue;
            }
            self.workers[w]
                .queued
                .fetch_add(planned[w], Ordering::Relaxed);
            self.send(
                w,
                Job::Start {
                    id,
                    algs,
                    planned: planned[w],
                },
            )?;
            used.push(w);
        }
        let mut total = 0u64;
        let mut here = (!mine.is_empty()).then(|| MultiHasher::new(&mine));
        let read = (|| -> std::io::Result<()> {
            while let Some(block) = self.blocks.fill(reader)? {
                for &w in &used {
                    self.send(w, Job::Block(Arc::clone(&block)))?;
                }
                if let Some(h) = here.as_mut() {
                    h.update(&block);
                }
                if let Some(k) = keep.as_mut() {
                    k.extend_from_slice(&block);
                }
                total += block.len() as u64;
                on_bytes(block.len() as u64);
            }
            Ok(())
        })();
        // Always closed, so a thread never waits on a stream that failed.
        for &w in &used {
            self.send(w, Job::End)?;
        }
        if let Some(h) = here {
            self.local
                .extend(h.finish().into_iter().map(|(a, d)| (id, a, d)));
        }
        read.map(|()| (id, total))
    }

    fn send(&self, w: usize, job: Job) -> std::io::Result<()> {
        self.workers[w]
            .tx
            .send(job)
            .map_err(|_| std::io::Error::other("a hashing thread stopped"))
    }

    /// Waits for the threads and returns every stream's digests.
    pub fn finish(self) -> std::io::Result<BTreeMap<StreamId, Vec<(Alg, String)>>> {
        let mut out: BTreeMap<StreamId, Vec<(Alg, String)>> = BTreeMap::new();
        for (id, alg, hex) in self.local {
            out.entry(id).or_default().push((alg, hex));
        }
        for worker in self.workers {
            drop(worker.tx);
            let found = worker
                .thread
                .join()
                .map_err(|_| std::io::Error::other("a hashing thread stopped"))?;
            for (id, alg, hex) in found {
                out.entry(id).or_default().push((alg, hex));
            }
        }
        Ok(out)
    }
}

impl Default for HashPool {
    fn default() -> Self {
        Self::new()
    }
}

/// One hashing thread: its share of each stream, in the order given.
fn work(rx: Receiver<Job>, queued: &AtomicI64) -> Vec<(StreamId, Alg, String)> {
    let mut found = Vec::new();
    let mut current: Option<(StreamId, MultiHasher, i64, i64)> = None;
    for job in rx {
        match job {
            Job::Start { id, algs, planned } => {
                let per_byte = algs.iter().map(|a| weight(*a)).sum();
                current = Some((id, MultiHasher::new(&algs), planned, per_byte));
            }
            Job::Block(block) => {
                if let Some((_, h, left, per_byte)) = current.as_mut() {
                    h.update(&block);
                    let done = (block.len() as i64).saturating_mul(*per_byte);
                    *left -= done;
                    queued.fetch_sub(done, Ordering::Relaxed);
                }
            }
            Job::End => {
                if let Some((id, h, left, _)) = current.take() {
                    // What was planned but not read (or read beyond the plan).
                    queued.fetch_sub(left, Ordering::Relaxed);
                    found.extend(h.finish().into_iter().map(|(a, d)| (id, a, d)));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Split or shared, every stream gets every digest, each right.
    #[test]
    fn pool_digests_match_one_shot_digests() {
        let algs = [Alg::Sha256, Alg::Sha512, Alg::Md5];
        let data: Vec<Vec<u8>> = (0..5u8)
            .map(|i| vec![i; 300_000 + usize::from(i)])
            .collect();
        // Declared sizes: two large (split with the caller), three small.
        let hints = [LARGE as u64, 10, LARGE as u64 * 4, 0, 300_000];
        let mut pool = HashPool::new();
        let mut ids = Vec::new();
        for (bytes, hint) in data.iter().zip(hints) {
            let (id, n) = pool
                .hash(&mut bytes.as_slice(), hint, &algs, None, &|_| {})
                .unwrap();
            assert_eq!(n, bytes.len() as u64);
            ids.push(id);
        }
        let found = pool.finish().unwrap();
        for (id, bytes) in ids.into_iter().zip(&data) {
            let mut got = found[&id].clone();
            got.sort();
            let want: Vec<(Alg, String)> = {
                let mut w: Vec<_> = algs.iter().map(|&a| (a, hex_digest(a, bytes))).collect();
                w.sort();
                w
            };
            assert_eq!(got, want, "stream {id}");
        }
    }
}
