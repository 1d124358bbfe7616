//! The sealed head file: the latest signed tree head, kept outside the
//! database so that a database put back to an earlier copy is noticed.
//!
//! `vault.head` holds the size and root of the latest signed checkpoint,
//! sealed with AES-256-GCM under a key derived from the vault key and bound
//! to the vault's id. It is rewritten (atomically, synced) after every
//! checkpoint. At open, the database must hold a checkpoint of that size and
//! root: if it does not, its log is behind or has another history, and the
//! vault refuses to open (and so never sweeps the newer blobs away). A vault
//! without a second space holds random bytes of the same size in
//! `vault-2.head`, as it does in `vault-2.db`.
//!
//! This does not stop someone who puts back the whole folder from an old
//! copy: nothing on this machine alone can.

use std::path::Path;

use super::VaultError;
use super::layout::head_file;
use crate::crypto::SecretKey;
use crate::crypto::wrap::{Sealed, open, seal};
use crate::store::StoreError;

/// HKDF label of the key that seals the head file.
pub(super) const HEAD_KEY_PURPOSE: &str = "casefile head v1";
const MAGIC: &[u8; 16] = b"casefile-head-v1";
const PLAIN: usize = 16 + 8 + 32;
/// Bytes of a head file: nonce, sealed head, tag.
pub const HEAD_LEN: usize = 12 + PLAIN + 16;

/// A signed tree head as the head file keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Events covered.
    pub size: u64,
    /// Merkle root.
    pub root: [u8; 32],
}

fn aad(vault_id: &str) -> Vec<u8> {
    format!("casefile head v1|{vault_id}").into_bytes()
}

/// Writes the head of `space` durably.
pub(super) fn write(
    dir: &Path,
    space: u8,
    key: &SecretKey,
    vault_id: &str,
    head: Head,
) -> Result<(), VaultError> {
    let mut plain = Vec::with_capacity(PLAIN);
    plain.extend_from_slice(MAGIC);
    plain.extend_from_slice(&head.size.to_le_bytes());
    plain.extend_from_slice(&head.root);
    let sealed = seal(key, &aad(vault_id), &plain).map_err(StoreError::from)?;
    let mut bytes = sealed.nonce.to_vec();
    bytes.extend_from_slice(&sealed.ciphertext);
    crate::store::write_atomic(&dir.join(head_file(space)), &bytes)?;
    Ok(())
}

/// Writes random bytes of a head file's size where a space has no vault.
pub(super) fn write_filler(dir: &Path, space: u8) -> Result<(), VaultError> {
    let path = dir.join(head_file(space));
    crate::store::write_atomic(&path, &crate::crypto::random_bytes::<HEAD_LEN>())?;
    Ok(())
}

/// The head of `space`: None when the file does not exist.
pub(super) fn read(
    dir: &Path,
    space: u8,
    key: &SecretKey,
    vault_id: &str,
) -> Result<Option<Head>, VaultError> {
    let path = dir.join(head_file(space));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(&path, e).into()),
    };
    let damaged = || {
        VaultError::Store(StoreError::Corrupt {
            path: path.clone(),
            why: "the sealed tree head is damaged or belongs to another vault".into(),
        })
    };
    if bytes.len() != HEAD_LEN {
        return Err(damaged());
    }
    let sealed = Sealed {
        nonce: bytes[..12].try_into().map_err(|_| damaged())?,
        ciphertext: bytes[12..].to_vec(),
    };
    let plain = open(key, &aad(vault_id), &sealed).map_err(|_| damaged())?;
    if &plain[..16] != MAGIC {
        return Err(damaged());
    }
    let size = u64::from_le_bytes(plain[16..24].try_into().map_err(|_| damaged())?);
    let root = plain[24..56].try_into().map_err(|_| damaged())?;
    Ok(Some(Head { size, root }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let key = crate::crypto::random_key();
        let head = Head {
            size: 42,
            root: [7u8; 32],
        };
        assert_eq!(read(dir.path(), 0, &key, "v").unwrap(), None);
        write(dir.path(), 0, &key, "v", head).unwrap();
        assert_eq!(read(dir.path(), 0, &key, "v").unwrap(), Some(head));
        assert!(read(dir.path(), 0, &key, "another vault").is_err());
        assert!(read(dir.path(), 0, &crate::crypto::random_key(), "v").is_err());
        write_filler(dir.path(), 1).unwrap();
        assert_eq!(
            std::fs::metadata(dir.path().join("vault-2.head"))
                .unwrap()
                .len(),
            HEAD_LEN as u64
        );
        assert!(read(dir.path(), 1, &key, "v").is_err());
    }
}
