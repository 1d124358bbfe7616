//! Casefile: an encrypted evidence vault with a signed chain of custody.
//!
//! Layers, each using only those below it:
//! - [`vault`]: an unlocked vault: ingest, extract, list, edit; records custody events.
//! - [`custody`]: the append-only log, its Merkle tree and signed checkpoints.
//! - [`store`]: the SQLCipher database, encrypted blobs and key slots.
//! - [`crypto`]: key derivation, streaming encryption, signatures and hashing.
//!
//! The `casefile` command line and the desktop app are thin adapters over this library.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bundle;
pub mod case;
pub mod crypto;
pub mod custody;
pub mod demo;
pub mod harden;
pub mod media;
pub mod names;
pub mod pipeline;
pub mod search;
pub mod store;
pub mod task;
pub mod vault;

pub use task::Task;
pub use vault::{Item, ItemKind, Vault, VaultError};
