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
