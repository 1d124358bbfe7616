//! minisign signatures, so a recipient can check a bundle with the stock
//! `minisign -V` tool. Prehashed ("ED") form: Ed25519 over BLAKE2b-512.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use blake2::{Blake2b512, Digest};

use crate::crypto::sign::{DeviceKey, DevicePublicKey};

fn prehash(data: &[u8]) -> [u8; 64] {
    Blake2b512::digest(data).into()
}

/// Signs `data` as minisign does, with a trusted comment.
pub fn sign(key: &DeviceKey, data: &[u8], trusted_comment: &str) -> String {
    let public = key.public();
    let signature = key.sign(&prehash(data));
    let mut sig_blob = Vec::with_capacity(74);
    sig_blob.extend_from_slice(b"ED");
    sig_blob.extend_from_slice(&public.key_id);
    sig_blob.extend_from_slice(&signature);
    let mut global = Vec::with_capacity(64 + trusted_comment.len());
    global.extend_from_slice(&signature);
    global.extend_from_slice(trusted_comment.as_bytes());
    format!(
        "untrusted comment: signature from casefile device key {}\n{}\ntrusted comment: {}\n{}\n",
        public.key_id_hex(),
        B64.encode(sig_blob),
        trusted_comment,
        B64.encode(key.sign(&global))
    )
}

/// Reads a minisign public key file (the two-line format).
pub fn parse_public_key(text: &str) -> Option<DevicePublicKey> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))?;
    DevicePublicKey::from_minisign_line(line)
}

/// Why a minisign signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The file is not in minisign's four-line form.
    #[error("not a minisign signature")]
    NotMinisign,
    /// A signature line is not base64.
    #[error("the signature is not base64")]
    NotBase64,
    /// The signature blob has the wrong length.
    #[error("the signature has the wrong length")]
    WrongLength,
    /// The signature names another key id.
    #[error("signed by another key than {0}")]
    OtherKey(String),
    /// An algorithm minisign does not define.
    #[error("unknown signature algorithm")]
    UnknownAlgorithm,
    /// The signature does not match the data.
    #[error("the signature does not match the signed file")]
    Mismatch,
    /// The trusted comment line is missing.
    #[error("no trusted comment")]
    NoTrustedComment,
    /// The global signature is not base64.
    #[error("the global signature is not base64")]
    GlobalNotBase64,
    /// The trusted comment does not match its signature.
    #[error("the trusted comment was altered")]
    CommentAltered,
}

/// Checks a minisign signature over `data` by `key`, including the trusted
/// comment; returns the trusted comment.
pub fn verify(
    key: &DevicePublicKey,
    data: &[u8],
    signature_file: &str,
) -> Result<String, SealError> {
    let lines: Vec<&str> = signature_file.lines().collect();
    if lines.len() < 4 || !lines[0].starts_with("untrusted comment:") {
        return Err(SealError::NotMinisign);
    }
    let blob = B64
        .decode(lines[1].trim())
        .map_err(|_| SealError::NotBase64)?;
    if blob.len() != 74 {
        return Err(SealError::WrongLength);
    }
    if blob[2..10] != key.key_id {
        return Err(SealError::OtherKey(key.key_id_hex()));
    }
    let message: Vec<u8> = match &blob[..2] {
        b"ED" => prehash(data).to_vec(),
        b"Ed" => data.to_vec(),
        _ => return Err(SealError::UnknownAlgorithm),
    };
    if !key.verify(&message, &blob[10..]) {
        return Err(SealError::Mismatch);
    }
    let comment = lines[2]
        .strip_prefix("trusted comment: ")
        .ok_or(SealError::NoTrustedComment)?;
    let global = B64
        .decode(lines[3].trim())
        .map_err(|_| SealError::GlobalNotBase64)?;
    let mut signed = blob[10..].to_vec();
    signed.extend_from_slice(comment.as_bytes());
    if !key.verify(&signed, &global) {
        return Err(SealError::CommentAltered);
    }
    Ok(comment.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let key = DeviceKey::generate();
        let sig = sign(&key, b"manifest", "case x");
        let public = parse_public_key(&key.public().to_minisign()).unwrap();
        assert_eq!(verify(&public, b"manifest", &sig).unwrap(), "case x");
        assert!(verify(&public, b"manifesT", &sig).is_err());
        assert!(verify(&public, b"manifest", &sig.replace("case x", "case y")).is_err());
        assert!(verify(&DeviceKey::generate().public(), b"manifest", &sig).is_err());
    }
}
