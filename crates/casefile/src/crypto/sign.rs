//! The device's Ed25519 signing key, which signs custody checkpoints and bundles.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use zeroize::Zeroizing;

use super::{CryptoError, random_bytes};

/// A device signing key with its minisign key id.
pub struct DeviceKey {
    signing: SigningKey,
    key_id: [u8; 8],
}

/// The public half of a device key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevicePublicKey {
    /// Ed25519 public key.
    pub key: VerifyingKey,
    /// minisign key id (random, chosen at creation).
    pub key_id: [u8; 8],
}

impl DeviceKey {
    /// Creates a new random key.
    pub fn generate() -> Self {
        let seed = Zeroizing::new(random_bytes::<32>());
        Self {
            signing: SigningKey::from_bytes(&seed),
            key_id: random_bytes::<8>(),
        }
    }

    /// Rebuilds a key from its stored seed and id.
    pub fn from_parts(seed: &[u8], key_id: &[u8]) -> Result<Self, CryptoError> {
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(seed.try_into().map_err(|_| CryptoError::Malformed)?);
        let key_id: [u8; 8] = key_id.try_into().map_err(|_| CryptoError::Malformed)?;
        Ok(Self {
            signing: SigningKey::from_bytes(&seed),
            key_id,
        })
    }

    /// The 32-byte seed, for storage inside the encrypted database only.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public half.
    pub fn public(&self) -> DevicePublicKey {
        DevicePublicKey {
            key: self.signing.verifying_key(),
            key_id: self.key_id,
        }
    }

    /// Signs a message.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }
}

impl DevicePublicKey {
    /// Rebuilds a public key from its stored bytes.
    pub fn from_parts(key: &[u8], key_id: &[u8]) -> Result<Self, CryptoError> {
        let key: [u8; 32] = key.try_into().map_err(|_| CryptoError::Malformed)?;
        Ok(Self {
            key: VerifyingKey::from_bytes(&key).map_err(|_| CryptoError::Malformed)?,
            key_id: key_id.try_into().map_err(|_| CryptoError::Malformed)?,
        })
    }

    /// Verifies a signature over a message.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(sig) else {
            return false;
        };
        self.key.verify(msg, &sig).is_ok()
    }

    /// The key id as 16 uppercase hex digits, as minisign prints it.
    pub fn key_id_hex(&self) -> String {
        let mut id = self.key_id;
        id.reverse();
        hex::encode_upper(id)
    }

    /// The 42 bytes of minisign's public key: algorithm, key id, key.
    fn minisign_bytes(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(42);
        raw.extend_from_slice(b"Ed");
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(self.key.as_bytes());
        raw
    }

    /// Reads the key's one base64 line (the second line of a minisign public
    /// key file).
    pub fn from_minisign_line(line: &str) -> Option<Self> {
        let raw = B64.decode(line.trim()).ok()?;
        if raw.len() != 42 || &raw[..2] != b"Ed" {
            return None;
        }
        Self::from_parts(&raw[10..], &raw[2..10]).ok()
    }

    /// The key's one base64 line, as `minisign -P` takes it.
    pub fn minisign_line(&self) -> String {
        B64.encode(self.minisign_bytes())
    }

    /// The key's fingerprint: SHA-256 of all 42 bytes of the minisign public
    /// key (algorithm, key id and the whole Ed25519 key), 64 hex digits.
    /// Unlike the 8-byte key id, which anyone can copy into a key of their
    /// own, no other key has it. A recipient computes it with stock tools:
    /// `tail -n 1 device.pub | base64 -d | sha256sum`.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.minisign_bytes()))
    }

    /// The public key in minisign's two-line format, readable by `minisign -V -p`.
    pub fn to_minisign(&self) -> String {
        format!(
            "untrusted comment: casefile device key {}\n{}\n",
            self.key_id_hex(),
            self.minisign_line()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_restore() {
        let k = DeviceKey::generate();
        let sig = k.sign(b"tree head");
        assert!(k.public().verify(b"tree head", &sig));
        assert!(!k.public().verify(b"tree heaD", &sig));
        let again = DeviceKey::from_parts(k.seed().as_ref(), &k.public().key_id).unwrap();
        assert_eq!(again.public(), k.public());
        let line = k.public().to_minisign();
        assert!(line.starts_with("untrusted comment: "));
        // Same key id, another key: another fingerprint.
        let mut twin = DeviceKey::generate();
        twin.key_id = k.key_id;
        assert_eq!(twin.public().key_id_hex(), k.public().key_id_hex());
        assert_ne!(twin.public().fingerprint(), k.public().fingerprint());
        assert_eq!(k.public().fingerprint().len(), 64);
    }
}
