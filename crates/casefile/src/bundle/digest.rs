//! The checksum algorithms BagIt manifests name, computed side by side.

use crate::crypto::hash;

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

/// Hashes a stream with every algorithm in `algs`. When the stream is large,
/// SHA-256 and the others each get a thread and this one only reads, so that
/// on two cores SHA-512 (the slowest) has a core to itself. Returns the bytes
/// read.
pub fn hash_stream(
    reader: &mut dyn std::io::Read,
    size_hint: u64,
    algs: &[Alg],
    mut keep: Option<&mut Vec<u8>>,
    on_bytes: &dyn Fn(u64),
) -> std::io::Result<(Vec<(Alg, String)>, u64)> {
    use std::sync::Arc;
    const BLOCK: usize = 256 * 1024;
    // A thread costs tens of microseconds; a 64 KiB file's SHA-512 about as much.
    let split = size_hint > 64 * 1024 && algs.contains(&Alg::Sha256) && algs.len() > 1;
    let groups: Vec<Vec<Alg>> = if split {
        vec![
            vec![Alg::Sha256],
            algs.iter().copied().filter(|a| *a != Alg::Sha256).collect(),
        ]
    } else {
        Vec::new()
    };
    let mut local = MultiHasher::new(if split { &[] } else { algs });
    let mut total = 0u64;
    let found = std::thread::scope(|s| -> std::io::Result<Vec<(Alg, String)>> {
        let mut senders = Vec::new();
        let mut workers = Vec::new();
        for group in groups {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(8);
            senders.push(tx);
            workers.push(s.spawn(move || {
                let mut h = MultiHasher::new(&group);
                for block in rx {
                    h.update(&block);
                }
                h.finish()
            }));
        }
        let result = (|| -> std::io::Result<()> {
            loop {
                let mut block = vec![0u8; BLOCK];
                let n = crate::crypto::stream::read_full(reader, &mut block)?;
                if n == 0 {
                    return Ok(());
                }
                block.truncate(n);
                let block = Arc::new(block);
                for tx in &senders {
                    let _ = tx.send(Arc::clone(&block));
                }
                local.update(&block);
                if let Some(k) = keep.as_mut() {
                    k.extend_from_slice(&block);
                }
                total += n as u64;
                on_bytes(n as u64);
            }
        })();
        drop(senders);
        let mut found = Vec::new();
        for w in workers {
            match w.join() {
                Ok(digests) => found.extend(digests),
                Err(_) => return Err(std::io::Error::other("a hashing thread stopped")),
            }
        }
        result.map(|()| found)
    })?;
    let mut all = local.finish();
    all.extend(found);
    Ok((all, total))
}
