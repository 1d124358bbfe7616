//! Cryptographic building blocks: key derivation, key wrapping, streaming
//! authenticated encryption, hashing and the device signing key.
//!
//! Nothing here knows about vaults or files on disk; higher layers decide
//! which key protects what.

pub mod hash;
pub mod kdf;
pub mod sign;
pub mod stream;
pub mod wrap;

use rand::RngCore;
use zeroize::Zeroizing;

/// A 256-bit secret key that is wiped from memory when dropped.
pub type SecretKey = Zeroizing<[u8; 32]>;

/// Errors from the cryptographic layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Authentication failed: wrong key, or the ciphertext was altered.
    #[error("decryption failed: wrong key or altered data")]
    Decrypt,
    /// Encryption failed (message too long for the construction).
    #[error("encryption failed")]
    Encrypt,
    /// Key-derivation parameters are out of range.
    #[error("invalid key-derivation parameters: {0}")]
    KdfParams(String),
    /// The encrypted stream ended before its final chunk.
    #[error("encrypted data is truncated")]
    Truncated,
    /// The encrypted stream does not start with the expected header.
    #[error("encrypted data has an unknown format")]
    BadHeader,
    /// A key or signature has the wrong length or encoding.
    #[error("malformed key or signature")]
    Malformed,
}

/// Fresh random bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut out);
    out
}

/// A fresh random 256-bit key.
pub fn random_key() -> SecretKey {
    let mut key = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(key.as_mut());
    key
}
