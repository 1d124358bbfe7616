//! Sealed bundles: export a case as a signed BagIt bag, verify one, import one.
//!
//! A bundle is a BagIt bag (RFC 8493) whose tag manifest is signed with the
//! device key as a minisign signature, carrying the evidence, the case sheet,
//! a human report, the items' custody events with inclusion proofs against a
//! signed checkpoint, and step-by-step instructions to verify it all with
//! standard tools.

pub mod bagit;
pub mod digest;
pub mod documents;
pub mod export;
pub mod format;
pub mod import;
pub mod org;
mod recipe;
pub mod report;
pub mod report_pdf;
pub mod scan;
pub mod seal;
mod sink;
pub mod source;
pub mod stamps;
pub mod verify;

use std::path::PathBuf;

pub use documents::Language;
pub use export::{
    ExportOptions, Exported, Format, export, parse_recipients, recheck, seal_for_delivery, write_to,
};
pub use import::{ImportOptions, Imported, import};
pub use recipe::Recipe;
pub use sink::Delivery;
pub use source::{Limits, Source};
pub use verify::{Check, Pin, ReadBundle, Signer, Trust, Verdict, read, verify, verify_bag_only};

use crate::VaultError;
use crate::case::CaseError;

/// Errors from exporting, reading or importing bundles.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The destination exists already.
    #[error("{0} already exists; choose another destination")]
    Exists(PathBuf),
    /// The input is not a bundle.
    #[error("{0} is not a bundle (a folder, a .zip or an age-encrypted .tar.age)")]
    NotABundle(PathBuf),
    /// An encrypted bundle needs an identity to open.
    #[error("{0} is encrypted; give the age identity file with --identity FILE")]
    NeedsIdentity(PathBuf),
    /// Decryption failed.
    #[error("cannot decrypt the bundle: {0}")]
    Decrypt(String),
    /// The archive is damaged.
    #[error("the archive is damaged: {0}")]
    Archive(String),
    /// The bundle holds something unsafe; nothing was written.
    #[error("refused an unsafe bundle: {0}")]
    Unsafe(String),
    /// The bundle did not verify.
    #[error("{0}")]
    Integrity(String),
    /// The bundle is intact and validly signed, by a key nobody pinned.
    #[error(
        "the bundle is intact and validly signed, but by a key this vault does not know (fingerprint {fingerprint}); \
         compare that fingerprint with the one the sender gives you by another channel, then import with --trust NAME \
         (or pin the sender first with `casefile senders add NAME KEYFILE`, or give its key with --key FILE)"
    )]
    Unpinned {
        /// The signer's fingerprint, to compare.
        fingerprint: String,
    },
    /// A plain bag, sealed by nobody, was offered without saying to accept it.
    #[error(
        "the bag carries no Casefile seal, so nothing shows who made it or that it is unaltered; \
         nothing was imported (to import it as unsigned evidence, logged as such, say so: --unsigned)"
    )]
    Unsigned,
    /// A value given by the user is not acceptable.
    #[error("{0}")]
    Input(String),
    /// The user cancelled; nothing partial was kept.
    #[error("cancelled; nothing partial was kept")]
    Cancelled,
    /// Something names a person left out for lack of consent and cannot be
    /// scrubbed: nothing was written.
    #[error("nothing was exported: {0}")]
    Consent(#[from] crate::case::consent::Unscrubbable),
    /// The case layer failed.
    #[error(transparent)]
    Case(#[from] CaseError),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl BundleError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BundleError::Io {
            path: path.into(),
            source,
        }
    }

    /// True when the bundle (or stored data) failed a check, rather than the input being unusable.
    pub fn is_integrity(&self) -> bool {
        match self {
            BundleError::Integrity(_) | BundleError::Unsafe(_) | BundleError::Archive(_) => true,
            BundleError::Vault(v) => v.is_integrity(),
            _ => false,
        }
    }
}

impl From<crate::custody::CustodyError> for BundleError {
    fn from(e: crate::custody::CustodyError) -> Self {
        BundleError::Vault(e.into())
    }
}
