//! The checksum algorithms BagIt manifests name, computed side by side.

use digest::DynDigest;

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

    fn hasher(self) -> Box<dyn DynDigest + Send> {
        match self {
            Alg::Md5 => Box::new(md5::Md5::default()),
            Alg::Sha1 => Box::new(sha1::Sha1::default()),
            Alg::Sha224 => Box::new(sha2::Sha224::default()),
            Alg::Sha256 => Box::new(sha2::Sha256::default()),
            Alg::Sha384 => Box::new(sha2::Sha384::default()),
            Alg::Sha512 => Box::new(sha2::Sha512::default()),
        }
    }
}

/// Several digests of one stream.
pub struct MultiHasher {
    hashers: Vec<(Alg, Box<dyn DynDigest + Send>)>,
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
            .map(|(a, h)| (a, hex::encode(h.finalize())))
            .collect()
    }
}

/// Hex digest of a byte string.
pub fn hex_digest(alg: Alg, data: &[u8]) -> String {
    let mut h = MultiHasher::new(&[alg]);
    h.update(data);
    h.finish().remove(0).1
}

/// Hashes a stream with every algorithm in `algs`, SHA-256 on a second thread
/// when the stream is large, so both cores work. Returns the bytes read.
pub fn hash_stream(
    reader: &mut dyn std::io::Read,
    size_hint: u64,
    algs: &[Alg],
    mut keep: Option<&mut Vec<u8>>,
    on_bytes: &dyn Fn(u64),
) -> std::io::Result<(Vec<(Alg, String)>, u64)> {
    use std::sync::Arc;
    const BLOCK: usize = 256 * 1024;
    let split = size_hint > 4 * BLOCK as u64 && algs.contains(&Alg::Sha256) && algs.len() > 1;
    let (here, there): (Vec<Alg>, Vec<Alg>) = if split {
        (
            algs.iter().copied().filter(|a| *a != Alg::Sha256).collect(),
            vec![Alg::Sha256],
        )
    } else {
        (algs.to_vec(), Vec::new())
    };
    let mut local = MultiHasher::new(&here);
    let mut total = 0u64;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(8);
    let remote = std::thread::scope(|s| -> std::io::Result<Vec<(Alg, String)>> {
        let worker = (!there.is_empty()).then(|| {
            s.spawn(move || {
                let mut h = MultiHasher::new(&there);
                for block in rx {
                    h.update(&block);
                }
                h.finish()
            })
        });
        let result = (|| -> std::io::Result<()> {
            loop {
                let mut block = vec![0u8; BLOCK];
                let n = crate::crypto::stream::read_full(reader, &mut block)?;
                if n == 0 {
                    return Ok(());
                }
                block.truncate(n);
                let block = Arc::new(block);
                if worker.is_some() {
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
        drop(tx);
        let remote = worker
            .map(|w| w.join().unwrap_or_default())
            .unwrap_or_default();
        result.map(|()| remote)
    })?;
    let mut all = local.finish();
    all.extend(remote);
    Ok((all, total))
}
