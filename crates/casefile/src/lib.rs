//! Casefile: an encrypted evidence vault with a signed chain of custody.
//!
//! Modules, each using only those before it in this list (checked by
//! reading their `use crate::` lines; there are no circles):
//! - [`crypto`]: key derivation, streaming encryption, signatures and hashing.
//! - [`names`]: identifiers, file names and lines as types that only hold valid values.
//! - [`task`], [`harden`], [`pipeline`]: progress and cancellation, process
//!   hardening, read-ahead and write-back for streaming work.
//! - [`timestamp`]: RFC 3161 requests to time-stamping authorities and the
//!   check of their tokens.
//! - [`store`]: the SQLCipher database, encrypted blobs and key slots.
//! - [`custody`]: the append-only log, its Merkle tree, signed checkpoints
//!   and salted disclosures.
//! - [`media`]: pictures, recordings and documents: facts, thumbnails, redaction.
//! - [`vault`]: an unlocked vault: ingest, extract, list, edit, check; records custody events.
//! - [`case`]: case sheets, testimony, corroboration, consent.
//! - [`bundle`]: sealed bundles: export, verify, import, known senders.
//! - [`search`], [`demo`]: full-text search and the fictional demo case.
//!
//! The `casefile` command line and the desktop app are thin adapters over this library.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod bundle;
pub mod case;
pub mod crypto;
pub mod custody;
pub mod delivery;
pub mod demo;
pub mod harden;
pub mod media;
pub mod names;
pub mod pipeline;
pub mod remote;
pub mod search;
pub mod store;
pub mod task;
pub mod timestamp;
pub mod typeset;
pub mod vault;

pub use task::Task;
pub use vault::{Item, ItemKind, Vault, VaultError};
