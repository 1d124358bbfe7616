//! Delivering sealed bundles through a remote: `send` streams an encrypted
//! export into fixed-size parts and writes the index last; the recipient's
//! inbox downloads, checks each part, verifies and imports, and writes back a
//! signed receipt that the sender's outbox reads.

pub mod inbox;
pub mod index;
pub mod send;
mod upload;

pub use inbox::{
    Outgoing, Received, SentTo, Strange, Waiting, known_keys, outbox, outbox_among, receive,
    sent_to, waiting, waiting_among,
};
pub use send::{Abandoned, Sent, abandon, pending, resume, send};

use crate::bundle::BundleError;
use crate::remote::RemoteError;
use crate::vault::VaultError;

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Exporting or importing the bundle failed.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The remote failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// An interrupted send that cannot be resumed as it was sealed.
    #[error(
        "the interrupted send {delivery} cannot be resumed: {why}; abandon it (deleting what it sent), then send the case again"
    )]
    Stale {
        /// The delivery.
        delivery: String,
        /// Why.
        why: String,
    },
    /// A delivery on the remote is damaged or not what it claims; it is
    /// left in place.
    #[error("delivery {delivery} on {remote} is refused and left in place: {why}")]
    Refused {
        /// The remote.
        remote: String,
        /// The delivery's folder.
        delivery: String,
        /// What is wrong, naming the object.
        why: String,
    },
}
