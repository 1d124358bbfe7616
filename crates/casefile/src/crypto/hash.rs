//! The fingerprints every item carries, and the SHA-2 hashers that compute
//! them: the system's OpenSSL libcrypto, whose assembly picks the SHA
//! extensions for SHA-256 and AVX2 for SHA-512 on any x86-64 vendor. Chosen
//! by measurement (`scripts/bench`, and see the README): on this project's
//! AMD machine SHA-512 ran at 0.57 GB/s in OpenSSL against 0.41 in ring
//! (whose AVX path is Intel-only) and 0.37 in RustCrypto's `sha2` with or
//! without its assembly, and SHA-512 bounds both ingest and verify. Small
//! hashes elsewhere (custody leaves, checkpoints) keep `sha2`.

/// The two fingerprints every item carries, as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256 of the exact bytes.
    pub sha256: String,
    /// SHA-512 of the exact bytes.
    pub sha512: String,
}

macro_rules! hasher {
    ($(#[$m:meta])* $name:ident, $inner:ty, $len:expr) => {
        $(#[$m])*
        #[derive(Clone)]
        pub struct $name($inner);

        impl $name {
            /// A hasher over nothing yet.
            pub fn new() -> Self {
                $name(<$inner>::new())
            }
            /// Feeds bytes.
            pub fn update(&mut self, data: impl AsRef<[u8]>) {
                self.0.update(data.as_ref());
            }
            /// The digest.
            pub fn finalize(self) -> [u8; $len] {
                self.0.finish()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
    };
}

hasher!(
    /// SHA-256, streaming.
    Sha256,
    openssl::sha::Sha256,
    32
);
hasher!(
    /// SHA-384, streaming.
    Sha384,
    openssl::sha::Sha384,
    48
);
hasher!(
    /// SHA-512, streaming.
    Sha512,
    openssl::sha::Sha512,
    64
);

/// SHA-256 of a byte string, lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(data);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn the_same_digests_as_the_sha2_crate() {
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i * 7 + i / 251) as u8).collect();
        for split in [0, 1, 63, 64, 65, 4096, 999_999] {
            let (a, b) = data.split_at(split);
            let mut h256 = Sha256::new();
            let mut h384 = Sha384::new();
            let mut h512 = Sha512::new();
            for part in [a, b] {
                h256.update(part);
                h384.update(part);
                h512.update(part);
            }
            assert_eq!(h256.finalize()[..], sha2::Sha256::digest(&data)[..]);
            assert_eq!(h384.finalize()[..], sha2::Sha384::digest(&data)[..]);
            assert_eq!(h512.finalize()[..], sha2::Sha512::digest(&data)[..]);
        }
        assert_eq!(
            hex::encode(Sha256::new().finalize()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
