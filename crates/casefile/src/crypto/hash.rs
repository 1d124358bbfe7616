//! The fingerprints every item carries. (The hashing itself streams in
//! `bundle::digest` and the ingest pipeline.)

/// The two fingerprints every item carries, as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256 of the exact bytes.
    pub sha256: String,
    /// SHA-512 of the exact bytes.
    pub sha512: String,
}
