//! Passphrase stretching (Argon2id) and key separation (HKDF-SHA256).

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{CryptoError, SecretKey};

/// Argon2id cost parameters, stored beside each salt so they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The floor below which a vault refuses to go: 64 MiB, three passes.
    pub const MINIMUM: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Ceiling that a hostile key-slot file cannot push past (4 GiB, 64 passes).
    const MAXIMUM_MEMORY_KIB: u32 = 4 * 1024 * 1024;
    const MAXIMUM_ITERATIONS: u32 = 64;

    /// Refuses parameters weaker than the floor or absurdly large.
    pub fn check(&self) -> Result<(), CryptoError> {
        let min = Self::MINIMUM;
        if self.memory_kib < min.memory_kib || self.iterations < min.iterations {
            return Err(CryptoError::KdfParams(format!(
                "Argon2id needs at least {} KiB and {} passes",
                min.memory_kib, min.iterations
            )));
        }
        if self.memory_kib > Self::MAXIMUM_MEMORY_KIB
            || self.iterations > Self::MAXIMUM_ITERATIONS
            || self.parallelism == 0
            || self.parallelism > 16
        {
            return Err(CryptoError::KdfParams(
                "Argon2id parameters are out of range".into(),
            ));
        }
        Ok(())
    }
}

/// Stretches a low-entropy secret into a key-encryption key with Argon2id.
pub fn stretch(secret: &[u8], salt: &[u8], params: KdfParams) -> Result<SecretKey, CryptoError> {
    params.check()?;
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| CryptoError::KdfParams(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(secret, salt, out.as_mut())
        .map_err(|e| CryptoError::KdfParams(e.to_string()))?;
    Ok(out)
}

/// Derives an independent subkey for one purpose from a master key.
pub fn subkey(master: &[u8; 32], purpose: &str) -> SecretKey {
    subkey_salted(master, &[], purpose)
}

/// Derives a subkey bound to a salt (for example one per blob).
pub fn subkey_salted(master: &[u8; 32], salt: &[u8], purpose: &str) -> SecretKey {
    let hk = Hkdf::<Sha256>::new(Some(salt), master);
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is always a valid HKDF-SHA256 output length.
    if hk.expand(purpose.as_bytes(), out.as_mut()).is_err() {
        unreachable!("HKDF-SHA256 can always produce 32 bytes");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_parameters_are_refused() {
        let weak = KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        assert!(stretch(b"pw", b"saltsaltsaltsalt", weak).is_err());
    }

    #[test]
    fn subkeys_differ_by_purpose_and_salt() {
        let m = [7u8; 32];
        assert_ne!(*subkey(&m, "a"), *subkey(&m, "b"));
        assert_ne!(*subkey_salted(&m, b"x", "a"), *subkey_salted(&m, b"y", "a"));
        assert_eq!(*subkey(&m, "a"), *subkey(&m, "a"));
    }
}
