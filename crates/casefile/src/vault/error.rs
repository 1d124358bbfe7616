//! Errors from vault operations, each naming what it concerns.

use std::path::PathBuf;

use crate::custody::CustodyError;
use crate::store::StoreError;

/// What went wrong in a vault operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// There is no vault in the folder.
    #[error("no vault at {0}")]
    NoVault(PathBuf),
    /// `init` found a vault (or part of one) already there.
    #[error("a vault already exists at {0}")]
    Exists(PathBuf),
    /// The passphrase did not open any key slot.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The recovery code did not open the recovery slot.
    #[error("wrong recovery code")]
    WrongRecoveryCode,
    /// Too many wrong secrets in a row: the limit set with `guard` was hit and the keys are gone.
    #[error(
        "wrong passphrase for the {0}th time in a row: as this vault was set up to do, its keys have been destroyed"
    )]
    WipedAfterFailures(u32),
    /// A new passphrase that is too weak to protect the vault: why.
    #[error(
        "that passphrase is too weak: {0}. Use four or five words that are not a saying, or a long sentence only you would write"
    )]
    WeakPassphrase(String),
    /// No item has that id.
    #[error("no item {0}")]
    NoItem(String),
    /// An id prefix too short to look up.
    #[error("{0} is too short to look up: give at least four characters of the id")]
    ShortPrefix(String),
    /// An id prefix matches more than one item.
    #[error("{0} matches several items; type more of the id")]
    Ambiguous(String),
    /// A file given to the vault could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A destination could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Something that is not a regular file was given.
    #[error("{0} is not a regular file or folder")]
    NotAFile(PathBuf),
    /// The file changed size or content while it was being read.
    #[error("{0} changed while it was being added; nothing was stored")]
    FileChanged(PathBuf),
    /// The destination exists already.
    #[error("{0} already exists; choose another destination")]
    DestinationExists(PathBuf),
    /// The user cancelled; nothing partial was kept.
    #[error("cancelled; nothing partial was kept")]
    Cancelled,
    /// An item's stored content fails authentication or its hash.
    #[error("item {id} is damaged: {why}")]
    Damaged {
        /// The item.
        id: String,
        /// What failed.
        why: String,
    },
    /// The database's log is behind, or has another history than, the tree
    /// head sealed in the head file: it was put back to an earlier copy.
    #[error(
        "{db} is older than this vault's last signed state (its log was signed up to event {sealed}, \
         and the database {found}): it was replaced by an earlier copy. Nothing was changed or removed; \
         put back the newer database, or restore the whole vault folder from one backup"
    )]
    RolledBack {
        /// The database file.
        db: PathBuf,
        /// Events the sealed head covers.
        sealed: u64,
        /// What the database holds instead, in words.
        found: String,
    },
    /// A value given by the user is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A picture could not be decoded, redacted or encoded.
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
    /// The storage layer failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The custody log failed.
    #[error(transparent)]
    Custody(#[from] CustodyError),
    /// A time-stamping authority failed or gave an unusable token.
    #[error("time-stamping authority {authority}: {source}")]
    Timestamp {
        /// The authority's name.
        authority: String,
        /// What went wrong.
        source: crate::timestamp::TimestampError,
    },
    /// A remote failed.
    #[error(transparent)]
    Remote(#[from] crate::remote::RemoteError),
}

impl From<rusqlite::Error> for VaultError {
    fn from(e: rusqlite::Error) -> Self {
        VaultError::Store(crate::store::db::classify(
            std::path::Path::new(super::DB_FILE),
            e,
        ))
    }
}

impl VaultError {
    /// True when the error concerns a file given to the vault (unreadable,
    /// not a file, changed while read), not the vault itself: adding many
    /// files leaves that one out and goes on.
    pub fn is_about_the_source(&self) -> bool {
        matches!(
            self,
            VaultError::Read { .. } | VaultError::NotAFile(_) | VaultError::FileChanged(_)
        )
    }

    /// True when the error means stored data is damaged or was tampered with.
    pub fn is_integrity(&self) -> bool {
        matches!(
            self,
            VaultError::Damaged { .. }
                | VaultError::RolledBack { .. }
                | VaultError::Store(StoreError::Corrupt { .. })
                | VaultError::Custody(CustodyError::Malformed { .. })
        )
    }
}
