//! Signed tree heads in the C2SP signed-note checkpoint format.
//!
//! ```text
//! <origin>
//! <size>
//! <base64 root>
//!
//! — <key name> <base64(key hash[4] || Ed25519 signature[64])>
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use super::merkle::Hash;
use crate::crypto::sign::{DeviceKey, DevicePublicKey};

/// A tree head: the log's origin, its size and its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Which log this is (unique per vault).
    pub origin: String,
    /// Number of events covered.
    pub size: u64,
    /// Merkle root over those events.
    pub root: Hash,
}

/// Why a checkpoint note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The text is not a checkpoint note.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// No signature line verifies with the expected key.
    #[error("no valid signature by {0}")]
    BadSignature(String),
}

/// The note key name for a device key.
pub fn key_name(key: &DevicePublicKey) -> String {
    format!("casefile-device-{}", key.key_id_hex())
}

/// The 4-byte key hash that prefixes each signature (C2SP signed-note, Ed25519).
fn key_hash(name: &str, key: &DevicePublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n\x01");
    h.update(key.key.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl Checkpoint {
    /// The signed body text.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// The body with a signature line by `key`.
    pub fn sign(&self, key: &DeviceKey) -> String {
        let public = key.public();
        let name = key_name(&public);
        let body = self.body();
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&key_hash(&name, &public));
        blob.extend_from_slice(&key.sign(body.as_bytes()));
        format!("{body}\n\u{2014} {name} {}\n", B64.encode(blob))
    }

    /// Parses a note and checks that `key` signed it.
    pub fn verify(note: &str, key: &DevicePublicKey) -> Result<Checkpoint, NoteError> {
        let (body, sigs) = note
            .split_once("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let body = format!("{body}\n");
        let mut lines = body.lines();
        let origin = lines.next().ok_or(NoteError::Malformed("no origin"))?;
        let size = lines
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or(NoteError::Malformed("bad size"))?;
        let root: Hash = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|r| r.try_into().ok())
            .ok_or(NoteError::Malformed("bad root hash"))?;
        let name = key_name(key);
        let want = key_hash(&name, key);
        let signed = sigs.lines().any(|line| {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return false;
            };
            let Some((n, sig)) = rest.split_once(' ') else {
                return false;
            };
            let Ok(raw) = B64.decode(sig) else {
                return false;
            };
            n == name
                && raw.len() == 68
                && raw[..4] == want
                && key.verify(body.as_bytes(), &raw[4..])
        });
        if !signed {
            return Err(NoteError::BadSignature(name));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = DeviceKey::generate();
        let cp = Checkpoint {
            origin: "casefile/test".into(),
            size: 7,
            root: [3u8; 32],
        };
        let note = cp.sign(&key);
        assert_eq!(Checkpoint::verify(&note, &key.public()).unwrap(), cp);
        let other = DeviceKey::generate();
        assert!(Checkpoint::verify(&note, &other.public()).is_err());
        let forged = note.replace("\n7\n", "\n8\n");
        assert!(Checkpoint::verify(&forged, &key.public()).is_err());
        assert!(Checkpoint::verify("garbage", &key.public()).is_err());
    }
}
