//! Persistence: the SQLCipher database, encrypted blob files and key slots.

pub mod blobs;
pub mod db;
pub mod keyslots;
mod schema;

use std::path::PathBuf;

use crate::crypto::CryptoError;

/// Errors from the storage layer, each naming the file involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The database reported an error.
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// A file is damaged or is not what it should be.
    #[error("{path} is damaged: {why}")]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// No key slot accepted the secret.
    #[error("wrong passphrase or recovery code")]
    WrongSecret,
    /// The database was written by a newer Casefile.
    #[error(
        "this vault was written by a newer version of Casefile (schema {found}, this version knows up to {known})"
    )]
    TooNew {
        /// Schema version found on disk.
        found: i64,
        /// Highest schema version this build knows.
        known: i64,
    },
    /// A cryptographic operation failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl StoreError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Writes a small file atomically: temp file, fsync, rename, fsync of the folder.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| StoreError::io(path, e))
}

/// Makes a rename or creation inside `dir` durable.
pub fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Writes `len` random bytes at the file's current position and syncs them:
/// the filler of an unused database file, and the overwrite of a wiped key slot.
pub fn write_random(file: &mut std::fs::File, len: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut left = len;
    while left > 0 {
        let block = crate::crypto::random_bytes::<4096>();
        let n = left.min(block.len() as u64) as usize;
        file.write_all(&block[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}
