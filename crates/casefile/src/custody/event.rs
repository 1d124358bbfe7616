//! One custody event and its canonical bytes.

use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// The vault was created.
    VaultCreated,
    /// The vault was unlocked.
    VaultOpened,
    /// An item entered the vault.
    ItemAdded,
    /// An item's details were shown.
    ItemViewed,
    /// An item's original bytes were written out.
    ItemExtracted,
    /// An item's descriptive metadata changed (never its bytes).
    ItemEdited,
    /// A derivative (redaction, translation, transcript) was made.
    ItemDerived,
    /// A case was created.
    CaseCreated,
    /// A case sheet changed.
    CaseEdited,
    /// An item was linked to a case, incident or person.
    Linked,
    /// A protected real identity was shown.
    IdentityRevealed,
    /// Items were exported in a bundle.
    Exported,
    /// Items arrived from a bundle.
    Received,
    /// A bundle or the log was verified.
    Verified,
    /// A key slot changed (passphrase, recovery code).
    KeyChanged,
    /// A sender's key was pinned (a known sender added).
    SenderAdded,
    /// A known sender was removed.
    SenderRemoved,
    /// A time-stamping authority was pinned.
    AuthorityAdded,
    /// A time-stamping authority was removed.
    AuthorityRemoved,
    /// A time-stamping authority stamped a checkpoint or a seal.
    Timestamped,
    /// The device received a certificate from its organisation.
    DeviceCertified,
    /// An organisation's revocation of a device was loaded.
    RevocationAdded,
    /// A remote (the organisation's storage) was configured.
    RemoteAdded,
    /// A remote was removed.
    RemoteRemoved,
    /// A sealed bundle was delivered to a remote.
    Delivered,
    /// A receipt for a delivery taken from a remote was written back.
    ReceiptWritten,
}

impl Action {
    /// The snake_case name used in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::VaultCreated => "vault_created",
            Action::VaultOpened => "vault_opened",
            Action::ItemAdded => "item_added",
            Action::ItemViewed => "item_viewed",
            Action::ItemExtracted => "item_extracted",
            Action::ItemEdited => "item_edited",
            Action::ItemDerived => "item_derived",
            Action::CaseCreated => "case_created",
            Action::CaseEdited => "case_edited",
            Action::Linked => "linked",
            Action::IdentityRevealed => "identity_revealed",
            Action::Exported => "exported",
            Action::Received => "received",
            Action::Verified => "verified",
            Action::KeyChanged => "key_changed",
            Action::SenderAdded => "sender_added",
            Action::SenderRemoved => "sender_removed",
            Action::AuthorityAdded => "authority_added",
            Action::AuthorityRemoved => "authority_removed",
            Action::Timestamped => "timestamped",
            Action::DeviceCertified => "device_certified",
            Action::RevocationAdded => "revocation_added",
            Action::RemoteAdded => "remote_added",
            Action::RemoteRemoved => "remote_removed",
            Action::Delivered => "delivered",
            Action::ReceiptWritten => "receipt_written",
        }
    }
}

/// A recorded event. Its canonical form is the compact JSON of this struct,
/// fields in declaration order; the stored text is hashed exactly as stored.
/// Read back from the log, a format-2 event's details are revealed (its
/// commitments replaced by the values disclosed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Log format: absent for format 1 (details in the clear); 2 when every
    /// string of `details` is a salted commitment (see [`super::disclose`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<u32>,
    /// Position in the log, from 1.
    pub seq: u64,
    /// UTC time, RFC 3339.
    pub time: String,
    /// What happened.
    pub action: Action,
    /// Who acted (the collector or operator name).
    pub actor: String,
    /// minisign key id of the device that recorded it.
    pub device: String,
    /// The item concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// SHA-256 of the item's original bytes, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Action-specific facts (changed fields, destination, parameters).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
    /// Leaf hash of the previous event (hex), or 64 zeros for the first.
    pub prev: String,
}

/// An event to append; the log fills in sequence, time, device and link.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub action: Action,
    /// Who acted.
    pub actor: String,
    /// The item concerned.
    pub item: Option<String>,
    /// The item's SHA-256.
    pub sha256: Option<String>,
    /// Extra facts.
    pub details: serde_json::Value,
}

impl NewEvent {
    /// An event about the vault itself.
    pub fn vault(action: Action, actor: &str) -> Self {
        Self {
            action,
            actor: actor.to_string(),
            item: None,
            sha256: None,
            details: serde_json::Value::Null,
        }
    }

    /// An event about one item.
    pub fn item(action: Action, actor: &str, item: &str, sha256: &str) -> Self {
        Self {
            action,
            actor: actor.to_string(),
            item: Some(item.to_string()),
            sha256: Some(sha256.to_string()),
            details: serde_json::Value::Null,
        }
    }

    /// Adds details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}
