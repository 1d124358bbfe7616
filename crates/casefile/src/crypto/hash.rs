//! SHA-256 and SHA-512 of the same bytes, for evidence fingerprints.

use sha2::{Digest, Sha256, Sha512};

/// Hex SHA-256 of a byte string.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The two fingerprints every item carries, as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256 of the exact bytes.
    pub sha256: String,
    /// SHA-512 of the exact bytes.
    pub sha512: String,
}

/// Hashes a stream with both SHA-256 and SHA-512 as it goes by.
#[derive(Default, Clone)]
pub struct DualHasher {
    sha256: Sha256,
    sha512: Sha512,
}

impl DualHasher {
    /// Feeds the next bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        self.sha512.update(data);
    }

    /// The finished fingerprint.
    pub fn finish(self) -> Fingerprint {
        Fingerprint {
            sha256: hex::encode(self.sha256.finalize()),
            sha512: hex::encode(self.sha512.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        let mut h = DualHasher::default();
        h.update(b"a");
        h.update(b"bc");
        let f = h.finish();
        assert_eq!(
            f.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(f.sha512.starts_with("ddaf35a193617aba"));
    }
}
