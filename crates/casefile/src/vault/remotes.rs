//! Remotes kept in the vault, each with its secret: inside the encrypted
//! database only, never in a file, an argument or a message.

use rusqlite::params;
use zeroize::Zeroizing;

use super::{Vault, VaultError};
use crate::custody::{Action, NewEvent};
use crate::remote::{Endpoint, Remote, RemoteName, Storage, check_proxy, check_route};

impl Vault {
    /// Every remote, by name (secrets left out).
    pub fn remotes(&self) -> Result<Vec<Remote>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, endpoint, proxy, added_at FROM remotes ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, endpoint, proxy, added_at) = row?;
            let damaged = |why: String| VaultError::Damaged {
                id: format!("remote {name}"),
                why,
            };
            out.push(Remote {
                name: RemoteName::parse(&name).map_err(|e| damaged(e.to_string()))?,
                endpoint: serde_json::from_str(&endpoint).map_err(|e| damaged(e.to_string()))?,
                proxy,
                added_at,
            });
        }
        Ok(out)
    }

    /// One remote by name.
    pub fn remote(&self, name: &str) -> Result<Remote, VaultError> {
        self.remotes()?
            .into_iter()
            .find(|r| r.name.as_str() == name.trim())
            .ok_or_else(|| {
                VaultError::Invalid(format!(
                    "no remote named {}; `casefile remote list` shows them",
                    crate::names::quoted(name)
                ))
            })
    }

    /// Adds a remote and keeps its secret. Nothing is sent: `remote test`
    /// (or [`Vault::connect_remote`] and [`Storage::probe`]) checks it.
    pub fn add_remote(
        &mut self,
        name: &RemoteName,
        endpoint: &Endpoint,
        proxy: Option<&str>,
        secret: &str,
    ) -> Result<Remote, VaultError> {
        let proxy = proxy.map(check_proxy).transpose()?;
        check_route(endpoint, proxy.as_deref())?;
        if secret.is_empty() || secret.len() > 4096 || secret.chars().any(char::is_control) {
            return Err(VaultError::Invalid(
                "the remote's secret must be 1 to 4096 bytes on one line, without control characters"
                    .into(),
            ));
        }
        if self.remotes()?.iter().any(|r| r.name == *name) {
            return Err(VaultError::Invalid(format!(
                "a remote named {name} exists already; remove it first or choose another name"
            )));
        }
        let config = serde_json::to_string(endpoint)
            .map_err(|e| VaultError::Invalid(format!("cannot record the remote: {e}")))?;
        let mut details = serde_json::to_value(endpoint)
            .map_err(|e| VaultError::Invalid(format!("cannot record the remote: {e}")))?;
        details["name"] = name.as_str().into();
        if let Some(p) = &proxy {
            details["proxy"] = p.as_str().into();
        }
        let event = NewEvent::vault(Action::RemoteAdded, self.actor()).with_details(details);
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO remotes (name, endpoint, proxy, secret, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    name.as_str(),
                    config,
                    proxy,
                    secret,
                    crate::custody::log::now_utc()
                ],
            )?;
            Ok(((), vec![event]))
        })?;
        self.remote(name.as_str())
    }

    /// Forgets a remote and its secret (what was sent through it stays
    /// recorded in the log).
    pub fn remove_remote(&mut self, name: &str) -> Result<Remote, VaultError> {
        let found = self.remote(name)?;
        // An interrupted send is tied to its remote by name: removing it
        // (and adding another of that name) would resume elsewhere and
        // leave its parts where nobody could delete them.
        if self.sends_to(found.name.as_str())? > 0 {
            return Err(VaultError::Invalid(format!(
                "an interrupted send to {} waits: resume or abandon it first (`casefile send --resume` or `--abandon`)",
                found.name
            )));
        }
        let event = NewEvent::vault(Action::RemoteRemoved, self.actor())
            .with_details(serde_json::json!({ "name": found.name.as_str() }));
        self.transact(|tx| {
            tx.execute("DELETE FROM remotes WHERE name = ?1", [found.name.as_str()])?;
            Ok(((), vec![event]))
        })?;
        Ok(found)
    }

    /// A connection to a remote, with the secret the vault keeps. Connecting
    /// sends nothing; the connection needs no vault afterwards, so a caller
    /// can transfer without holding it.
    pub fn connect_remote(&self, name: &str) -> Result<Storage, VaultError> {
        let remote = self.remote(name)?;
        let secret: Zeroizing<String> = Zeroizing::new(self.conn.query_row(
            "SELECT secret FROM remotes WHERE name = ?1",
            [remote.name.as_str()],
            |r| r.get(0),
        )?);
        Ok(Storage::connect(&remote, &secret)?)
    }
}
