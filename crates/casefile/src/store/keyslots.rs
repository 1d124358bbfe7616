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
/// Version 1 labels each slot with its kind; version 2 has a fixed number of
/// unlabelled slots, unused ones random, so the file never tells how many
/// secrets, or how many vaults, it serves.
const VERSION: u32 = 2;
/// Slots in a version 2 file.
pub const SLOTS: usize = 4;
/// Sealed payload of a version 2 slot: vault key, space, kind.
const PAYLOAD: usize = 34;
/// Sealed payload plus the AES-GCM tag.
const WRAPPED: usize = PAYLOAD + 16;
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

    fn byte(self) -> u8 {
        match self {
            SlotKind::Passphrase => 1,
            SlotKind::Recovery => 2,
        }
    }
}

/// What a slot unwrapped.
pub struct Unlocked {
    /// The vault key.
    pub key: SecretKey,
    /// Which vault in the folder it opens: 0 the first, 1 the second.
    pub space: u8,
    /// The slot's position in the file.
    pub index: usize,
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
    /// What opens it (version 1 only; version 2 keeps it inside the sealed payload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SlotKind>,
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
    /// A version 2 file for a new vault: each entry (kind, space, secret)
    /// wraps `vault_key` in a slot at a random position; the other slots are
    /// random filler. Returns the file and each entry's position.
    pub fn create(
        vault_id: &str,
        vault_key: &SecretKey,
        entries: &[(SlotKind, u8, &[u8])],
        params: KdfParams,
    ) -> Result<(Self, Vec<usize>), StoreError> {
        let mut slots = Self {
            format: FORMAT.into(),
            version: VERSION,
            vault_id: vault_id.into(),
            slots: (0..SLOTS).map(|_| filler(params)).collect(),
        };
        let mut free: Vec<usize> = (0..SLOTS).collect();
        let mut positions = Vec::new();
        for &(kind, space, secret) in entries {
            if free.is_empty() {
                return Err(StoreError::Corrupt {
                    path: "keyslots.json".into(),
                    why: "no free key slot".into(),
                });
            }
            let pick = usize::from(random_bytes::<1>()[0]) % free.len();
            let index = free.swap_remove(pick);
            slots.replace(index, kind, space, secret, vault_key, params)?;
            positions.push(index);
        }
        Ok((slots, positions))
    }

    fn aad(&self, kind: SlotKind, p: &KdfParams) -> Vec<u8> {
        if self.version >= 2 {
            return format!(
                "casefile keyslot v2|{}|{}|{}|{}",
                self.vault_id, p.memory_kib, p.iterations, p.parallelism
            )
            .into_bytes();
        }
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

    /// Version 2: wraps `vault_key` for (`kind`, `space`) under `secret` into
    /// the slot at `index`, whatever it held.
    pub fn replace(
        &mut self,
        index: usize,
        kind: SlotKind,
        space: u8,
        secret: &[u8],
        vault_key: &SecretKey,
        params: KdfParams,
    ) -> Result<(), StoreError> {
        if self.version < 2 || index >= self.slots.len() {
            return Err(StoreError::Corrupt {
                path: "keyslots.json".into(),
                why: "no such key slot".into(),
            });
        }
        let mut payload = Zeroizing::new([0u8; PAYLOAD]);
        payload[..32].copy_from_slice(&vault_key[..]);
        payload[32] = space;
        payload[33] = kind.byte();
        self.slots[index] = self.sealed_slot(None, kind, secret, &payload[..], params)?;
        Ok(())
    }

    fn sealed_slot(
        &self,
        label: Option<SlotKind>,
        kind: SlotKind,
        secret: &[u8],
        payload: &[u8],
        params: KdfParams,
    ) -> Result<KeySlot, StoreError> {
        let salt = random_bytes::<16>();
        let kek = stretch(secret, &salt, params)?;
        let sealed = seal(&kek, &self.aad(kind, &params), payload)?;
        Ok(KeySlot {
            kind: label,
            kdf: SlotKdf {
                algorithm: "argon2id".into(),
                params,
                salt: B64.encode(salt),
            },
            nonce: B64.encode(sealed.nonce),
            wrapped_key: B64.encode(sealed.ciphertext),
        })
    }

    /// Version 1: wraps `vault_key` under `secret`, replacing any slot of the same kind.
    pub fn set_slot(
        &mut self,
        kind: SlotKind,
        secret: &[u8],
        vault_key: &SecretKey,
        params: KdfParams,
    ) -> Result<(), StoreError> {
        let slot = self.sealed_slot(Some(kind), kind, secret, &vault_key[..], params)?;
        self.slots.retain(|s| s.kind != Some(kind));
        self.slots.push(slot);
        Ok(())
    }

    /// Unwraps the vault key with `secret` from a slot of `kind`. Every slot
    /// is tried in turn: nothing in the file says which one is whose.
    pub fn unlock(&self, kind: SlotKind, secret: &[u8]) -> Result<Unlocked, StoreError> {
        let bad = |why: &str| StoreError::Corrupt {
            path: "keyslots.json".into(),
            why: why.into(),
        };
        for (index, slot) in self.slots.iter().enumerate() {
            if self.version < 2 && slot.kind != Some(kind) {
                continue;
            }
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
            let Ok(plain) = open(&kek, &self.aad(kind, &slot.kdf.params), &sealed) else {
                continue;
            };
            let (key, space) = if self.version < 2 {
                (&plain[..], 0)
            } else {
                if plain.len() != PAYLOAD || plain[33] != kind.byte() {
                    continue;
                }
                (&plain[..32], plain[32])
            };
            let key: [u8; 32] = key.try_into().map_err(|_| bad("bad key length"))?;
            return Ok(Unlocked {
                key: Zeroizing::new(key),
                space,
                index,
            });
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
        if slots.format != FORMAT || !(1..=VERSION).contains(&slots.version) {
            return Err(corrupt(
                "not a Casefile key-slot file of a known version".into(),
            ));
        }
        if slots.version >= 2 && slots.slots.len() != SLOTS {
            return Err(corrupt(format!("it must hold exactly {SLOTS} key slots")));
        }
        if slots.version < 2 && slots.slots.iter().any(|s| s.kind.is_none()) {
            return Err(corrupt("a version 1 key slot has no kind".into()));
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

/// A slot that opens nothing and looks like one that does.
fn filler(params: KdfParams) -> KeySlot {
    KeySlot {
        kind: None,
        kdf: SlotKdf {
            algorithm: "argon2id".into(),
            params,
            salt: B64.encode(random_bytes::<16>()),
        },
        nonce: B64.encode(random_bytes::<12>()),
        wrapped_key: B64.encode(random_bytes::<WRAPPED>()),
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

/// The groups of four characters a recovery code is written in.
pub const RECOVERY_GROUPS: usize = 8;

/// A group of the recovery code (1 to [`RECOVERY_GROUPS`]) picked at random
/// for the person to type back, so that no fixed group can be learnt and
/// written down alone.
pub fn pick_recovery_group() -> usize {
    // 256 is a multiple of 8: every group is equally likely.
    1 + usize::from(crate::crypto::random_bytes::<1>()[0]) % RECOVERY_GROUPS
}

/// Whether `typed` is group `group` (1 to [`RECOVERY_GROUPS`]) of `code`,
/// folded as a typed code is: proof that the code was written down right
/// before the screen that showed it is gone.
pub fn is_recovery_group(code: &str, group: usize, typed: &str) -> bool {
    let want = group
        .checked_sub(1)
        .and_then(|i| code.split('-').nth(i))
        .map(normalize_recovery_code);
    let got = normalize_recovery_code(typed);
    want.is_some_and(|w| !w.is_empty() && *w == *got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random_key;

    #[test]
    fn a_group_typed_back_is_folded_as_a_code_is() {
        let code = "AB0C-DEFG-HJ1K-MNPQ-RSTV-WXYZ-0123-4567";
        assert!(is_recovery_group(code, 1, "ab0c"));
        assert!(is_recovery_group(code, 1, " aboc\n"));
        assert!(is_recovery_group(code, 3, "hjik"));
        assert!(is_recovery_group(code, 8, "4567"));
        assert!(!is_recovery_group(code, 8, "4566"));
        assert!(!is_recovery_group(code, 2, "AB0C"));
        assert!(!is_recovery_group(code, 0, ""));
        assert!(!is_recovery_group(code, 9, ""));
        assert!(
            (0..64)
                .map(|_| pick_recovery_group())
                .all(|g| (1..=RECOVERY_GROUPS).contains(&g))
        );
    }

    #[test]
    fn slots_open_with_their_secret_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyslots.json");
        let key = random_key();
        let other = random_key();
        let code = new_recovery_code();
        let norm = normalize_recovery_code(&code);
        let (mut slots, at) = KeySlots::create(
            "v",
            &key,
            &[
                (SlotKind::Passphrase, 0, b"correct horse"),
                (SlotKind::Recovery, 0, norm.as_bytes()),
            ],
            KdfParams::MINIMUM,
        )
        .unwrap();
        let free = (0..SLOTS).find(|i| !at.contains(i)).unwrap();
        slots
            .replace(
                free,
                SlotKind::Passphrase,
                1,
                b"battery staple",
                &other,
                KdfParams::MINIMUM,
            )
            .unwrap();
        slots.save(&path).unwrap();
        let loaded = KeySlots::load(&path).unwrap();
        let u = loaded
            .unlock(SlotKind::Passphrase, b"correct horse")
            .unwrap();
        assert_eq!((*u.key, u.space, u.index), (*key, 0, at[0]));
        let typed = normalize_recovery_code(&code.to_lowercase().replace('-', " "));
        let u = loaded.unlock(SlotKind::Recovery, typed.as_bytes()).unwrap();
        assert_eq!((*u.key, u.space, u.index), (*key, 0, at[1]));
        let u = loaded
            .unlock(SlotKind::Passphrase, b"battery staple")
            .unwrap();
        assert_eq!((*u.key, u.space, u.index), (*other, 1, free));
        // A secret opens only slots of its own kind.
        assert!(loaded.unlock(SlotKind::Recovery, b"correct horse").is_err());
        assert!(matches!(
            loaded.unlock(SlotKind::Passphrase, b"wrong"),
            Err(StoreError::WrongSecret)
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("correct horse"));
        assert!(!text.contains(&hex::encode(&key[..])));
        // Every slot looks alike: no labels, same sizes.
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let lens: Vec<usize> = json["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                assert!(s.get("kind").is_none());
                s["wrapped_key"].as_str().unwrap().len()
            })
            .collect();
        assert_eq!(lens, vec![lens[0]; SLOTS]);
    }

    #[test]
    fn version_1_files_still_open() {
        let key = random_key();
        let mut slots = KeySlots {
            format: FORMAT.into(),
            version: 1,
            vault_id: "old".into(),
            slots: Vec::new(),
        };
        slots
            .set_slot(SlotKind::Passphrase, b"old pass", &key, KdfParams::MINIMUM)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyslots.json");
        slots.save(&path).unwrap();
        let u = KeySlots::load(&path)
            .unwrap()
            .unlock(SlotKind::Passphrase, b"old pass")
            .unwrap();
        assert_eq!((*u.key, u.space), (*key, 0));
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
