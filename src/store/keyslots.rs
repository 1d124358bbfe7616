//! `keyslots.json`: the vault key wrapped once per unlock method.
//!
//! Like LUKS, the data is encrypted under one random vault key; each slot holds
//! that key sealed under a key stretched from a passphrase or a recovery code.
//! Changing a passphrase rewrites one slot; destroying every slot erases the
//! vault. The file holds salts, parameters and ciphertext, never a secret.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{StoreError, write_atomic};
use crate::crypto::kdf::{KdfParams, stretch};
use crate::crypto::wrap::{Sealed, open, seal};
use crate::crypto::{SecretKey, random_bytes};

const FORMAT: &str = "casefile-keyslots";
const VERSION: u32 = 1;
/// A key-slot file larger than this is not ours.
const MAX_FILE: u64 = 1024 * 1024;

/// What kind of secret opens a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SlotKind {
    /// The user's passphrase.
    Passphrase,
    /// The recovery code printed once at creation.
    Recovery,
}

impl SlotKind {
    fn as_str(self) -> &'static str {
        match self {
            SlotKind::Passphrase => "passphrase",
            SlotKind::Recovery => "recovery",
        }
    }
}

/// Argon2id parameters and salt of one slot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotKdf {
    /// Always "argon2id".
    pub algorithm: String,
    /// Cost parameters.
    #[serde(flatten)]
    pub params: KdfParams,
    /// Base64 salt.
    pub salt: String,
}

/// One wrapped copy of the vault key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySlot {
    /// What opens it.
    pub kind: SlotKind,
    /// How the secret is stretched.
    pub kdf: SlotKdf,
    /// Base64 AES-GCM nonce.
    pub nonce: String,
    /// Base64 sealed vault key.
    pub wrapped_key: String,
}

/// The whole key-slot file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySlots {
    /// Always "casefile-keyslots".
    pub format: String,
    /// File format version.
    pub version: u32,
    /// Random id of the vault, bound into every slot.
    pub vault_id: String,
    /// The slots.
    pub slots: Vec<KeySlot>,
}

impl KeySlots {
    /// An empty slot file for a new vault.
    pub fn new(vault_id: &str) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            vault_id: vault_id.into(),
            slots: Vec::new(),
        }
    }

    fn aad(&self, kind: SlotKind, p: &KdfParams) -> Vec<u8> {
        format!(
            "casefile keyslot v1|{}|{}|{}|{}|{}",
            self.vault_id,
            kind.as_str(),
            p.memory_kib,
            p.iterations,
            p.parallelism
        )
        .into_bytes()
    }

    /// Wraps `vault_key` under `secret`, replacing any slot of the same kind.
    pub fn set_slot(
        &mut self,
        kind: SlotKind,
        secret: &[u8],
        vault_key: &SecretKey,
        params: KdfParams,
    ) -> Result<(), StoreError> {
        let salt = random_bytes::<16>();
        let kek = stretch(secret, &salt, params)?;
        let sealed = seal(&kek, &self.aad(kind, &params), vault_key.as_ref())?;
        let slot = KeySlot {
            kind,
            kdf: SlotKdf {
                algorithm: "argon2id".into(),
                params,
                salt: B64.encode(salt),
            },
            nonce: B64.encode(sealed.nonce),
            wrapped_key: B64.encode(sealed.ciphertext),
        };
        self.slots.retain(|s| s.kind != kind);
        self.slots.push(slot);
        Ok(())
    }

    /// Unwraps the vault key with `secret` from a slot of `kind`.
    pub fn unlock(&self, kind: SlotKind, secret: &[u8]) -> Result<SecretKey, StoreError> {
        for slot in self.slots.iter().filter(|s| s.kind == kind) {
            let bad = |why: &str| StoreError::Corrupt {
                path: "keyslots.json".into(),
                why: why.into(),
            };
            if slot.kdf.algorithm != "argon2id" {
                return Err(bad("unknown key-derivation algorithm"));
            }
            let salt = B64.decode(&slot.kdf.salt).map_err(|_| bad("bad salt"))?;
            let nonce: [u8; 12] = B64
                .decode(&slot.nonce)
                .ok()
                .and_then(|n| n.try_into().ok())
                .ok_or_else(|| bad("bad nonce"))?;
            let ciphertext = B64
                .decode(&slot.wrapped_key)
                .map_err(|_| bad("bad wrapped key"))?;
            let kek = stretch(secret, &salt, slot.kdf.params)?;
            let sealed = Sealed { nonce, ciphertext };
            if let Ok(key) = open(&kek, &self.aad(kind, &slot.kdf.params), &sealed) {
                let key: [u8; 32] = key[..].try_into().map_err(|_| bad("bad key length"))?;
                return Ok(Zeroizing::new(key));
            }
        }
        Err(StoreError::WrongSecret)
    }

    /// Reads and checks a key-slot file.
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        use std::io::Read;
        let file = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StoreError::io(path, e))?;
        let corrupt = |why: String| StoreError::Corrupt {
            path: path.to_path_buf(),
            why,
        };
        if bytes.len() as u64 > MAX_FILE {
            return Err(corrupt("the file is far too large".into()));
        }
        let slots: KeySlots =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("not valid JSON: {e}")))?;
        if slots.format != FORMAT || slots.version != VERSION {
            return Err(corrupt(
                "not a Casefile key-slot file of a known version".into(),
            ));
        }
        if slots.slots.is_empty() {
            return Err(corrupt(
                "it holds no key slot (the vault was erased)".into(),
            ));
        }
        Ok(slots)
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        json.push(b'\n');
        write_atomic(path, &json)
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new recovery code: 160 random bits as eight groups of four characters.
pub fn new_recovery_code() -> Zeroizing<String> {
    let bytes = Zeroizing::new(random_bytes::<20>());
    let mut code = Zeroizing::new(String::with_capacity(40));
    let mut acc: u64 = 0;
    let mut bits = 0;
    let mut n = 0;
    for &b in bytes.iter() {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            if n > 0 && n % 4 == 0 {
                code.push('-');
            }
            code.push(CROCKFORD[((acc >> bits) & 31) as usize] as char);
            n += 1;
        }
    }
    zeroize::Zeroize::zeroize(&mut acc);
    code
}

/// Canonical form of a typed recovery code: case, dashes, spaces and look-alikes folded.
pub fn normalize_recovery_code(input: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(32));
    for c in input.chars() {
        match c.to_ascii_uppercase() {
            '-' | ' ' | '\t' | '\n' | '\r' => {}
            'O' => out.push('0'),
            'I' | 'L' => out.push('1'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random_key;

    #[test]
    fn slots_open_with_their_secret_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyslots.json");
        let key = random_key();
        let mut slots = KeySlots::new("v1");
        slots
            .set_slot(
                SlotKind::Passphrase,
                b"correct horse",
                &key,
                KdfParams::MINIMUM,
            )
            .unwrap();
        let code = new_recovery_code();
        let norm = normalize_recovery_code(&code);
        slots
            .set_slot(
                SlotKind::Recovery,
                norm.as_bytes(),
                &key,
                KdfParams::MINIMUM,
            )
            .unwrap();
        slots.save(&path).unwrap();
        let loaded = KeySlots::load(&path).unwrap();
        assert_eq!(
            *loaded
                .unlock(SlotKind::Passphrase, b"correct horse")
                .unwrap(),
            *key
        );
        let typed = normalize_recovery_code(&code.to_lowercase().replace('-', " "));
        assert_eq!(
            *loaded.unlock(SlotKind::Recovery, typed.as_bytes()).unwrap(),
            *key
        );
        assert!(matches!(
            loaded.unlock(SlotKind::Passphrase, b"wrong"),
            Err(StoreError::WrongSecret)
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("correct horse"));
        assert!(!text.contains(&hex::encode(&key[..])));
    }

    #[test]
    fn recovery_code_shape() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 39);
        assert_eq!(code.split('-').count(), 8);
        assert_ne!(*new_recovery_code(), *code);
    }

    #[test]
    fn garbage_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        for bad in [&b"{"[..], b"[]", b"{\"format\":\"x\"}", b"\xff\xfe"] {
            std::fs::write(&path, bad).unwrap();
            assert!(matches!(
                KeySlots::load(&path),
                Err(StoreError::Corrupt { .. })
            ));
        }
    }
}
