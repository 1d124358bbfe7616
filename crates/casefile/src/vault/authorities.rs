//! Pinned time-stamping authorities, and the tokens they gave this vault.
//!
//! `timestamp` stamps the newest signed checkpoint: a checkpoint is a Merkle
//! root over every event before it, so one token over the newest proves when
//! all of them existed, and stamping older ones at the same moment would
//! prove nothing more. A checkpoint that only adds `timestamped` events
//! or unlocks (`vault_opened`) is not stamped again, so repeated runs with
//! nothing new ask for nothing.

use rusqlite::params;
use serde::Serialize;

use super::{Vault, VaultError};
use crate::custody::{Action, NewEvent};
use crate::timestamp::{self, AuthorityName, TimestampError};

/// A pinned authority.
#[derive(Debug, Clone, Serialize)]
pub struct Authority {
    /// The name the user gave it (also in token file names).
    pub name: AuthorityName,
    /// Where requests go (HTTP POST, RFC 3161).
    pub url: String,
    /// A proxy for its requests, if any.
    pub proxy: Option<String>,
    /// The pinned certificates, DER: a token must chain to one of them.
    #[serde(skip)]
    pub certs: Vec<Vec<u8>>,
    /// The pinned certificates' subjects and SHA-256 fingerprints.
    pub pinned: Vec<String>,
    /// When it was pinned (UTC).
    pub added_at: String,
}

/// What `timestamp` did for one authority.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StampOutcome {
    /// A new token over checkpoint `size`.
    Stamped {
        /// The authority.
        authority: String,
        /// The checkpoint's size (events covered).
        size: u64,
        /// The time the token states.
        time: String,
    },
    /// The newest checkpoint already has a token from it.
    UpToDate {
        /// The authority.
        authority: String,
        /// The checkpoint last stamped.
        size: u64,
    },
    /// It failed; the checkpoint stays queued for the next run.
    Failed {
        /// The authority.
        authority: String,
        /// Why.
        error: String,
    },
}

/// Tokens over a seal, and the authorities that gave none: (name, why).
pub type SealStamps = (Vec<StoredToken>, Vec<(String, String)>);

/// A token kept in the vault.
#[derive(Debug, Clone)]
pub struct StoredToken {
    /// Which authority.
    pub authority: AuthorityName,
    /// The checkpoint's size, for checkpoint tokens.
    pub size: u64,
    /// The DER token.
    pub token: Vec<u8>,
    /// The time it states.
    pub time: String,
}

fn describe(certs: &[Vec<u8>]) -> Vec<String> {
    use der::Decode;
    certs
        .iter()
        .map(|d| {
            let subject = x509_cert::Certificate::from_der(d)
                .map(|c| timestamp::token::subject(&c))
                .unwrap_or_default();
            format!("{subject} (SHA-256 {})", crate::crypto::hash::sha256_hex(d))
        })
        .collect()
}

fn check_url(url: &str) -> Result<String, VaultError> {
    let url = url.trim();
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 2048
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(VaultError::Invalid(format!(
            "{url:?} is not an http:// or https:// address"
        )));
    }
    Ok(url.to_string())
}

impl Vault {
    /// Every pinned authority, by name.
    pub fn authorities(&self) -> Result<Vec<Authority>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, url, proxy, certs, added_at FROM authorities ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, url, proxy, pem, added_at) = row?;
            let damaged = |why: String| VaultError::Damaged {
                id: format!("authority {name}"),
                why,
            };
            let parsed = AuthorityName::parse(&name).map_err(damaged)?;
            let certs = timestamp::certificates_from_file(pem.as_bytes()).map_err(|e| {
                VaultError::Damaged {
                    id: format!("authority {name}"),
                    why: e.to_string(),
                }
            })?;
            out.push(Authority {
                name: parsed,
                url,
                proxy,
                pinned: describe(&certs),
                certs,
                added_at,
            });
        }
        Ok(out)
    }

    /// Pins an authority. Without `certs`, asks it for a token now and pins
    /// the certificate that signed it (trust on first use: compare the
    /// fingerprint shown with what the authority publishes).
    pub fn add_authority(
        &mut self,
        name: &AuthorityName,
        url: &str,
        proxy: Option<&str>,
        certs: Option<Vec<Vec<u8>>>,
    ) -> Result<Authority, VaultError> {
        let url = check_url(url)?;
        if self.authorities()?.iter().any(|a| a.name == *name) {
            return Err(VaultError::Invalid(format!(
                "an authority named {name} is already pinned; remove it first or choose another name"
            )));
        }
        let failed = |source: TimestampError| VaultError::Timestamp {
            authority: name.to_string(),
            source,
        };
        let certs = match certs {
            Some(c) => c,
            None => {
                let probe = format!("casefile authority probe {}", self.origin());
                let token = timestamp::fetch(&url, proxy, probe.as_bytes()).map_err(failed)?;
                let carried = timestamp::token::carried_certificates(&token).map_err(failed)?;
                let first = carried.into_iter().next().ok_or_else(|| {
                    failed(TimestampError::Reply(
                        "its token carries no certificate to pin; give --ca".into(),
                    ))
                })?;
                // The token must verify against what is about to be pinned.
                timestamp::verify(&token, probe.as_bytes(), std::slice::from_ref(&first))
                    .map_err(failed)?;
                vec![first]
            }
        };
        let pem = timestamp::to_pem(&certs);
        let pinned = describe(&certs);
        let event =
            NewEvent::vault(Action::AuthorityAdded, self.actor()).with_details(serde_json::json!({
                "name": name.as_str(),
                "url": url,
                "certificates": pinned,
            }));
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO authorities (name, url, proxy, certs, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![name.as_str(), url, proxy, pem, crate::custody::log::now_utc()],
            )?;
            Ok(((), vec![event]))
        })?;
        self.authorities()?
            .into_iter()
            .find(|a| a.name == *name)
            .ok_or_else(|| VaultError::Invalid("the authority was not stored".into()))
    }

    /// Forgets an authority (its tokens stay: they remain evidence).
    pub fn remove_authority(&mut self, name: &str) -> Result<Authority, VaultError> {
        let found = self
            .authorities()?
            .into_iter()
            .find(|a| a.name.as_str() == name.trim())
            .ok_or_else(|| VaultError::Invalid(format!("no authority named {name:?}")))?;
        let event = NewEvent::vault(Action::AuthorityRemoved, self.actor())
            .with_details(serde_json::json!({ "name": found.name.as_str() }));
        self.transact(|tx| {
            tx.execute(
                "DELETE FROM authorities WHERE name = ?1",
                [found.name.as_str()],
            )?;
            Ok(((), vec![event]))
        })?;
        Ok(found)
    }

    /// The size of the newest checkpoint `authority` stamped, if any.
    fn last_stamped(&self, authority: &str) -> Result<Option<u64>, VaultError> {
        Ok(self.conn.query_row(
            "SELECT MAX(size) FROM timestamps WHERE authority = ?1 AND target = 'checkpoint'",
            [authority],
            |r| r.get::<_, Option<u64>>(0),
        )?)
    }

    /// The checkpoint `authority` should stamp, if any: the newest, unless
    /// nothing but unlocks and `timestamped` events came after the last it
    /// stamped.
    fn checkpoint_to_stamp(&self, authority: &str) -> Result<Option<(u64, String)>, VaultError> {
        let Some((size, note)) = crate::custody::log::latest_checkpoint(&self.conn)? else {
            return Ok(None);
        };
        if let Some(last) = self.last_stamped(authority)? {
            let other: u64 = self.conn.query_row(
                "SELECT COUNT(*) FROM events WHERE seq > ?1 AND seq <= ?2 \
                 AND json_extract(body, '$.action') NOT IN ('timestamped', 'vault_opened')",
                params![last, size],
                |r| r.get(0),
            )?;
            if other == 0 {
                return Ok(None);
            }
        }
        Ok(Some((size, note)))
    }

    /// What `timestamp` has to ask for: one request per pinned authority
    /// whose newest checkpoint is not stamped, and the outcome for those that
    /// are up to date. Quick; the requests themselves need no vault, so a
    /// caller can make them without holding it ([`StampRequest::fetch`]).
    pub fn stamp_requests(&mut self) -> Result<(Vec<StampRequest>, Vec<StampOutcome>), VaultError> {
        // A long session (the desktop app) signs checkpoints only now and
        // then: sign one over every event so far, so the token covers them.
        self.checkpoint()?;
        let mut requests = Vec::new();
        let mut done = Vec::new();
        for a in self.authorities()? {
            let name = a.name.to_string();
            match self.checkpoint_to_stamp(&name)? {
                Some((size, note)) => requests.push(StampRequest {
                    authority: a,
                    size,
                    note,
                }),
                None => {
                    let size = self.last_stamped(&name)?.unwrap_or(0);
                    done.push(StampOutcome::UpToDate {
                        authority: name,
                        size,
                    });
                }
            }
        }
        Ok((requests, done))
    }

    /// Keeps what a request brought back (a token, checked against the
    /// authority's pinned certificates, or its failure) and says what happened.
    pub fn keep_stamp(&mut self, fetched: FetchedStamp) -> Result<StampOutcome, VaultError> {
        let FetchedStamp { request, result } = fetched;
        let name = request.authority.name.to_string();
        let size = request.size;
        let (token, stamp) = match result {
            Ok(found) => found,
            Err(e) => {
                return Ok(StampOutcome::Failed {
                    authority: name,
                    error: e.to_string(),
                });
            }
        };
        let event =
            NewEvent::vault(Action::Timestamped, self.actor()).with_details(serde_json::json!({
                "authority": name,
                "target": "checkpoint",
                "size": size,
                "time": stamp.time,
                "token_sha256": crate::crypto::hash::sha256_hex(&token),
            }));
        let time = stamp.time.clone();
        self.transact(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO timestamps (authority, target, size, subject, token, time) \
                 VALUES (?1, 'checkpoint', ?2, '', ?3, ?4)",
                params![name, size, token, time],
            )?;
            Ok(((), vec![event]))
        })?;
        Ok(StampOutcome::Stamped {
            authority: name,
            size,
            time: stamp.time,
        })
    }

    /// Asks every pinned authority for a token over the newest checkpoint
    /// not yet stamped by it. One failing never stops the others; what failed
    /// stays queued for the next run.
    pub fn stamp_checkpoints(&mut self) -> Result<Vec<StampOutcome>, VaultError> {
        let (requests, mut out) = self.stamp_requests()?;
        for r in requests {
            let fetched = r.fetch();
            out.push(self.keep_stamp(fetched)?);
        }
        Ok(out)
    }

    /// Tokens over `data` (a bundle's seal) from every pinned authority that
    /// answers, each kept and recorded; failures are returned beside them.
    pub fn stamp_seal(&mut self, data: &[u8], bundle: &str) -> Result<SealStamps, VaultError> {
        let subject = crate::crypto::hash::sha256_hex(data);
        let mut got = Vec::new();
        let mut failed = Vec::new();
        for a in self.authorities()? {
            match obtain(&a, data) {
                Ok((token, stamp)) => {
                    let event = NewEvent::vault(Action::Timestamped, self.actor()).with_details(
                        serde_json::json!({
                            "authority": a.name.as_str(),
                            "target": "seal",
                            "bundle": bundle,
                            "seal_sha256": subject,
                            "time": stamp.time,
                            "token_sha256": crate::crypto::hash::sha256_hex(&token),
                        }),
                    );
                    let (name, time) = (a.name.to_string(), stamp.time.clone());
                    self.transact(|tx| {
                        tx.execute(
                            "INSERT OR REPLACE INTO timestamps (authority, target, size, subject, token, time) \
                             VALUES (?1, 'seal', 0, ?2, ?3, ?4)",
                            params![name, subject, token, time],
                        )?;
                        Ok(((), vec![event]))
                    })?;
                    got.push(StoredToken {
                        authority: a.name.clone(),
                        size: 0,
                        token,
                        time: stamp.time,
                    });
                }
                Err(e) => failed.push((a.name.to_string(), e.to_string())),
            }
        }
        Ok((got, failed))
    }

    /// Checkpoint tokens over checkpoints of at most `upto` events, oldest
    /// first, with each checkpoint's note.
    pub fn checkpoint_tokens(&self, upto: u64) -> Result<Vec<(StoredToken, String)>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT t.authority, t.size, t.token, t.time, c.note FROM timestamps t \
             JOIN checkpoints c ON c.size = t.size \
             WHERE t.target = 'checkpoint' AND t.size <= ?1 ORDER BY t.size, t.authority",
        )?;
        let rows = stmt.query_map([upto], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (authority, size, token, time, note) = row?;
            let authority =
                AuthorityName::parse(&authority).map_err(|why| VaultError::Damaged {
                    id: format!("authority {authority}"),
                    why,
                })?;
            out.push((
                StoredToken {
                    authority,
                    size,
                    token,
                    time,
                },
                note,
            ));
        }
        Ok(out)
    }
}

/// A token to ask one authority for, over one checkpoint.
#[derive(Debug, Clone)]
pub struct StampRequest {
    authority: Authority,
    size: u64,
    note: String,
}

/// What a [`StampRequest`] brought back.
pub struct FetchedStamp {
    request: StampRequest,
    result: Result<(Vec<u8>, timestamp::Stamp), TimestampError>,
}

impl StampRequest {
    /// Which authority it asks.
    pub fn authority(&self) -> &str {
        self.authority.name.as_str()
    }

    /// Asks the authority (network; up to its timeout) and checks the token.
    pub fn fetch(self) -> FetchedStamp {
        let result = obtain(&self.authority, self.note.as_bytes());
        FetchedStamp {
            request: self,
            result,
        }
    }
}

/// One token from `a` over `data`, checked against what `a` has pinned.
fn obtain(a: &Authority, data: &[u8]) -> Result<(Vec<u8>, timestamp::Stamp), TimestampError> {
    let token = timestamp::fetch(&a.url, a.proxy.as_deref(), data)?;
    let stamp = timestamp::verify(&token, data, &a.certs)?;
    Ok((token, stamp))
}
