//! Sealing small secrets (a vault key inside a key slot) with AES-256-GCM.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use super::{CryptoError, random_bytes};

/// A sealed secret: random nonce and ciphertext with tag.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// 96-bit random nonce.
    pub nonce: [u8; 12],
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
}

/// Seals `secret` under `key`, binding it to `aad`.
pub fn seal(key: &[u8; 32], aad: &[u8], secret: &[u8]) -> Result<Sealed, CryptoError> {
    let cipher = Aes256Gcm::new(key.into());
    let nonce = random_bytes::<12>();
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: secret, aad })
        .map_err(|_| CryptoError::Encrypt)?;
    Ok(Sealed { nonce, ciphertext })
}

/// Opens a sealed secret; fails if the key is wrong or anything was altered.
pub fn open(
    key: &[u8; 32],
    aad: &[u8],
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt(
            Nonce::from_slice(&sealed.nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = [1u8; 32];
        let s = seal(&key, b"slot", b"secret").unwrap();
        assert_eq!(&open(&key, b"slot", &s).unwrap()[..], b"secret");
        assert!(open(&[2u8; 32], b"slot", &s).is_err());
        assert!(open(&key, b"other", &s).is_err());
        let mut t = s.clone();
        t.ciphertext[0] ^= 1;
        assert!(open(&key, b"slot", &t).is_err());
    }
}
