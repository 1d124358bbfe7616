//! Known senders: the keys whose seals this vault trusts, each pinned by the
//! user after comparing its fingerprint with the sender by another channel.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Vault, VaultError};
use crate::crypto::sign::DevicePublicKey;
use crate::custody::{Action, NewEvent};
use crate::names::Line;

/// A pinned sender.
#[derive(Debug, Clone, Serialize)]
pub struct Sender {
    /// The name the user gave it.
    pub name: String,
    /// What kind of key it is (`device`).
    pub kind: String,
    /// minisign's key id (a label).
    pub key_id: String,
    /// SHA-256 of the whole public key.
    pub fingerprint: String,
    /// The minisign public key line.
    pub minisign: String,
    /// When it was pinned (UTC).
    pub added_at: String,
    /// The key.
    #[serde(skip)]
    pub key: DevicePublicKey,
}

fn parse_key(line: &str) -> Option<DevicePublicKey> {
    crate::crypto::sign::DevicePublicKey::from_minisign_line(line)
}

fn checked_name(name: &str) -> Result<String, VaultError> {
    let name = name.trim();
    let line = Line::parse(name).map_err(|e| VaultError::Invalid(format!("sender name: {e}")))?;
    if line.as_str().is_empty() {
        return Err(VaultError::Invalid("a sender needs a name".into()));
    }
    Ok(line.into())
}

impl Vault {
    /// Every known sender, by name.
    pub fn senders(&self) -> Result<Vec<Sender>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, kind, public, added_at FROM senders ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, kind, public, added_at) = row?;
            let key = parse_key(&public).ok_or_else(|| VaultError::Damaged {
                id: format!("sender {name}"),
                why: "its stored key is not a minisign key".into(),
            })?;
            out.push(Sender {
                name,
                kind,
                key_id: key.key_id_hex(),
                fingerprint: key.fingerprint(),
                minisign: public,
                added_at,
                key,
            });
        }
        Ok(out)
    }

    /// The known sender whose key this is, if any.
    pub fn sender_for(&self, key: &DevicePublicKey) -> Result<Option<Sender>, VaultError> {
        Ok(self.senders()?.into_iter().find(|s| s.key == *key))
    }

    /// Pins a sender's key under a name; recorded in the custody log.
    pub fn add_sender(&mut self, name: &str, key: &DevicePublicKey) -> Result<Sender, VaultError> {
        let name = checked_name(name)?;
        if let Some(s) = self.sender_for(key)? {
            return Err(VaultError::Invalid(format!(
                "that key is already known, as sender {:?}",
                s.name
            )));
        }
        if self.senders()?.iter().any(|s| s.name == name) {
            return Err(VaultError::Invalid(format!(
                "a sender named {name:?} is already known; remove it first or choose another name"
            )));
        }
        let event = self.sender_added_event(&name, key);
        self.transact(|tx| {
            insert_sender(tx, &name, key)?;
            Ok(((), vec![event]))
        })?;
        self.sender_for(key)?
            .ok_or_else(|| VaultError::Invalid("the sender was not stored".into()))
    }

    /// The event that records pinning `key` as `name`.
    pub(crate) fn sender_added_event(&self, name: &str, key: &DevicePublicKey) -> NewEvent {
        NewEvent::vault(Action::SenderAdded, self.actor()).with_details(serde_json::json!({
            "name": name,
            "key_id": key.key_id_hex(),
            "fingerprint": key.fingerprint(),
            "minisign": key.minisign_line(),
        }))
    }

    /// Forgets a sender; recorded in the custody log.
    pub fn remove_sender(&mut self, name: &str) -> Result<Sender, VaultError> {
        let found = self
            .senders()?
            .into_iter()
            .find(|s| s.name == name.trim())
            .ok_or_else(|| VaultError::Invalid(format!("no known sender named {name:?}")))?;
        let event =
            NewEvent::vault(Action::SenderRemoved, self.actor()).with_details(serde_json::json!({
                "name": found.name,
                "fingerprint": found.fingerprint,
            }));
        self.transact(|tx| {
            tx.execute("DELETE FROM senders WHERE name = ?1", [&found.name])?;
            Ok(((), vec![event]))
        })?;
        Ok(found)
    }

    /// Whether a sender of this name exists.
    pub fn has_sender(&self, name: &str) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM senders WHERE name = ?1",
                [name.trim()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

/// Stores a sender inside the caller's transaction (import pins a sender and
/// adds its items at once).
pub(crate) fn insert_sender(
    tx: &rusqlite::Connection,
    name: &str,
    key: &DevicePublicKey,
) -> Result<(), VaultError> {
    insert_sender_kind(tx, name, key, KIND_DEVICE)
}

fn insert_sender_kind(
    tx: &rusqlite::Connection,
    name: &str,
    key: &DevicePublicKey,
    kind: &str,
) -> Result<(), VaultError> {
    let name = checked_name(name)?;
    tx.execute(
        "INSERT INTO senders (name, kind, public, added_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            name,
            kind,
            key.minisign_line(),
            crate::custody::log::now_utc()
        ],
    )?;
    Ok(())
}

/// A sender whose key seals bundles itself.
pub const KIND_DEVICE: &str = "device";
/// A sender that is an organisation: its key certifies member devices.
pub const KIND_ORGANISATION: &str = "organisation";

/// A statement as signed: its text and its minisign signature.
#[derive(Debug, Clone)]
pub struct SignedStatement {
    /// The statement's text.
    pub text: String,
    /// Its minisign signature.
    pub signature: String,
}

impl Vault {
    /// Pins a sender of `kind` ([`KIND_DEVICE`] or [`KIND_ORGANISATION`]).
    pub fn add_sender_of_kind(
        &mut self,
        name: &str,
        key: &DevicePublicKey,
        kind: &str,
    ) -> Result<Sender, VaultError> {
        if kind == KIND_DEVICE {
            return self.add_sender(name, key);
        }
        let name = checked_name(name)?;
        if self.sender_for(key)?.is_some() || self.senders()?.iter().any(|s| s.name == name) {
            return Err(VaultError::Invalid(format!(
                "that key or the name {name:?} is already known; remove it first"
            )));
        }
        let mut event = self.sender_added_event(&name, key);
        event.details["kind"] = kind.into();
        let kind = kind.to_string();
        self.transact(|tx| {
            insert_sender_kind(tx, &name, key, &kind)?;
            Ok(((), vec![event]))
        })?;
        self.sender_for(key)?
            .ok_or_else(|| VaultError::Invalid("the sender was not stored".into()))
    }

    /// This device's certificate from its organisation, if it has one.
    pub fn device_certificate(&self) -> Result<Option<SignedStatement>, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT statement, signature FROM device_certificate WHERE id = 1",
                [],
                |r| {
                    Ok(SignedStatement {
                        text: r.get(0)?,
                        signature: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Keeps this device's certificate (checked by the caller), replacing
    /// any earlier one; recorded in the custody log.
    pub fn set_device_certificate(
        &mut self,
        statement: &SignedStatement,
        details: serde_json::Value,
    ) -> Result<(), VaultError> {
        let event = NewEvent::vault(Action::DeviceCertified, self.actor()).with_details(details);
        let s = statement.clone();
        self.transact(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO device_certificate (id, statement, signature, added_at)                  VALUES (1, ?1, ?2, ?3)",
                params![s.text, s.signature, crate::custody::log::now_utc()],
            )?;
            Ok(((), vec![event]))
        })
    }

    /// Keeps an organisation's revocation of a device (checked by the
    /// caller); recorded in the custody log. When one is already kept for
    /// the same device and organisation, the earlier time wins: replaying an
    /// older statement with a later time never narrows a revocation. Returns
    /// the revocation time now in force.
    pub fn add_revocation(
        &mut self,
        device: &DevicePublicKey,
        organisation: &DevicePublicKey,
        revoked_at: &str,
        statement: &SignedStatement,
    ) -> Result<String, VaultError> {
        let kept: Option<String> = self
            .conn
            .query_row(
                "SELECT revoked_at FROM revocations WHERE device = ?1 AND organisation = ?2",
                params![device.fingerprint(), organisation.fingerprint()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(kept) = kept
            && kept.as_str() <= revoked_at
        {
            return Ok(kept);
        }
        let event = NewEvent::vault(Action::RevocationAdded, self.actor()).with_details(
            serde_json::json!({
                "device": device.fingerprint(),
                "organisation": organisation.fingerprint(),
                "revoked_at": revoked_at,
            }),
        );
        let (d, o, s) = (
            device.fingerprint(),
            organisation.fingerprint(),
            statement.clone(),
        );
        let at = revoked_at.to_string();
        self.transact(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO revocations                  (device, organisation, revoked_at, statement, signature, added_at)                  VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![d, o, at, s.text, s.signature, crate::custody::log::now_utc()],
            )?;
            Ok(((), vec![event]))
        })?;
        Ok(revoked_at.to_string())
    }

    /// Every revocation loaded, as signed.
    pub fn revocations(&self) -> Result<Vec<SignedStatement>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT statement, signature FROM revocations ORDER BY revoked_at")?;
        let rows = stmt.query_map([], |r| {
            Ok(SignedStatement {
                text: r.get(0)?,
                signature: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
