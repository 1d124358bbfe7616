//! The chain-of-custody log: hash-linked events that are the leaves of a
//! Merkle tree whose heads the device key signs.
//!
//! The log only appends. It never calls up into the vault: the vault hands
//! each event down inside the same transaction as the change it records.

pub mod checkpoint;
pub mod disclose;
pub mod event;
pub mod log;
pub mod merkle;

pub use event::{Action, Event, NewEvent};
pub use log::{Problem, Report};

/// Errors from reading or writing the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CustodyError {
    /// The database failed.
    #[error("custody log database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// A stored event cannot be read.
    #[error("custody event {seq} is unreadable: {why}")]
    Malformed {
        /// Its sequence number.
        seq: u64,
        /// What is wrong.
        why: String,
    },
}
