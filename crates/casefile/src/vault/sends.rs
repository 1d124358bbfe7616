//! Sends under way, kept until their delivery completes: an interrupted
//! send (a network gone, a full disk, a machine switched off) is resumed from
//! here, writing the same bundle again and sending only the parts the remote
//! does not hold. What is kept is inside the encrypted database only.

use rusqlite::{OptionalExtension, params};

use super::{Vault, VaultError};

/// A send under way, as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PendingSend {
    /// The delivery's folder on the remote.
    pub delivery: String,
    /// The remote.
    pub remote: String,
    /// When it began (UTC).
    pub started_at: String,
    /// Parts the remote has confirmed.
    pub parts: usize,
}

/// A send under way, whole: what the delivery module keeps, by value.
#[derive(Debug, Clone)]
pub(crate) struct SendRecord {
    /// The remote.
    pub remote: String,
    /// What was asked (JSON, the delivery module's).
    pub request: String,
    /// The bundle to write (JSON, the bundle module's).
    pub recipe: String,
    /// Parts confirmed: (number from 1, size, SHA-256).
    pub parts: Vec<(usize, u64, String)>,
}

/// Held while this process sends from the vault; released when dropped
/// (or when the process ends, however it ends).
#[derive(Debug)]
pub(crate) struct SendingHeld(#[allow(dead_code)] std::fs::File);

impl Vault {
    /// Takes the vault's send lock, or says that another process (or
    /// window) is sending: two processes must never write one delivery, nor
    /// take a send under way for an interrupted one.
    pub(crate) fn hold_sending(&self) -> Result<SendingHeld, VaultError> {
        let path = self.dir.join(super::layout::SEND_LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| VaultError::Write {
                path: path.clone(),
                source: e,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(SendingHeld(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(VaultError::Invalid(
                "another send from this vault is under way (in another window or process): let it finish, or stop it, first"
                    .into(),
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(VaultError::Write { path, source: e }),
        }
    }

    /// Whether any send to remote `name` is under way or interrupted.
    pub(crate) fn sends_to(&self, name: &str) -> Result<usize, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT count(*) FROM sends WHERE remote = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )?
            .max(0) as usize)
    }

    /// Keeps a send that is about to begin.
    pub(crate) fn begin_send(
        &self,
        delivery: &str,
        remote: &str,
        request: &str,
        recipe: &str,
    ) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO sends (delivery, remote, request, recipe, started_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                delivery,
                remote,
                request,
                recipe,
                crate::custody::log::now_utc()
            ],
        )?;
        Ok(())
    }

    /// Notes that the remote confirmed part `n` of a send under way.
    pub(crate) fn sent_part(
        &self,
        delivery: &str,
        n: usize,
        size: u64,
        sha256: &str,
    ) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO send_parts (delivery, n, size, sha256) VALUES (?1, ?2, ?3, ?4)",
            params![delivery, n as i64, size as i64, sha256],
        )?;
        Ok(())
    }

    /// The sends under way, oldest first.
    pub fn pending_sends(&self) -> Result<Vec<PendingSend>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT s.delivery, s.remote, s.started_at,
                    (SELECT count(*) FROM send_parts p WHERE p.delivery = s.delivery)
             FROM sends s ORDER BY s.started_at, s.delivery",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingSend {
                delivery: r.get(0)?,
                remote: r.get(1)?,
                started_at: r.get(2)?,
                parts: r.get::<_, i64>(3)?.max(0) as usize,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One send under way, whole.
    pub(crate) fn send_record(&self, delivery: &str) -> Result<SendRecord, VaultError> {
        let head = self
            .conn
            .query_row(
                "SELECT remote, request, recipe FROM sends WHERE delivery = ?1",
                [delivery],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((remote, request, recipe)) = head else {
            return Err(VaultError::Invalid(format!(
                "no interrupted send {}; `casefile send --resume` lists none to resume",
                crate::names::quoted(delivery)
            )));
        };
        let mut stmt = self
            .conn
            .prepare("SELECT n, size, sha256 FROM send_parts WHERE delivery = ?1 ORDER BY n")?;
        let parts = stmt
            .query_map([delivery], |r| {
                Ok((
                    r.get::<_, i64>(0)?.max(0) as usize,
                    r.get::<_, i64>(1)?.max(0) as u64,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok(SendRecord {
            remote,
            request,
            recipe,
            parts,
        })
    }

    /// Forgets a send: delivered, or abandoned.
    pub(crate) fn forget_send(&self, delivery: &str) -> Result<(), VaultError> {
        self.conn
            .execute("DELETE FROM sends WHERE delivery = ?1", [delivery])?;
        Ok(())
    }
}
