//! `tsa` and `timestamp`: pinned time-stamping authorities and their tokens.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use casefile::Vault;
use casefile::timestamp::AuthorityName;
use casefile::vault::StampOutcome;
use clap::Subcommand;

use crate::output;

/// Exit code when an authority could not give a token (the request stays queued).
pub const QUEUED: u8 = 4;

/// Reads a certificate file (PEM or DER, at most 1 MiB) given by the user.
pub fn read_certificates(path: &std::path::Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= 1 << 20,
        "{} is not a certificate file (it is larger than 1 MiB)",
        path.display()
    );
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    casefile::timestamp::certificates_from_file(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `tsa` subcommands.
#[derive(Subcommand)]
pub enum TsaAction {
    /// Pin an RFC 3161 time-stamping authority. Without --ca, it is asked for
    /// a token now and the certificate that signed it is pinned (compare the
    /// fingerprint shown with the one the authority publishes).
    Add {
        /// A name: 1 to 32 lowercase letters, digits or hyphens (used in file names).
        name: String,
        /// Its address (http:// or https://).
        url: String,
        /// The authority's CA certificate(s), PEM or DER: tokens must chain to one.
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// Send its requests through this proxy (for Tor: socks5h://127.0.0.1:9050).
        #[arg(long, value_name = "URL")]
        proxy: Option<String>,
    },
    /// The pinned authorities and their certificates.
    List,
    /// Forget an authority (tokens it gave stay in the vault).
    Remove {
        /// The authority's name.
        name: String,
    },
}

/// `tsa`.
pub fn tsa(vault: &mut Vault, action: TsaAction, json: bool) -> anyhow::Result<ExitCode> {
    match action {
        TsaAction::Add {
            name,
            url,
            ca,
            proxy,
        } => {
            let name = AuthorityName::parse(&name).map_err(anyhow::Error::msg)?;
            let certs = match &ca {
                Some(path) => Some(read_certificates(path)?),
                None => None,
            };
            let a = vault.add_authority(&name, &url, proxy.as_deref(), certs)?;
            if json {
                output::json(&a)?;
            } else {
                say!("pinned authority {} at {}", a.name, a.url);
                for p in &a.pinned {
                    say!("  trusts {p}");
                }
            }
        }
        TsaAction::List => {
            let all = vault.authorities()?;
            if json {
                output::json(&all)?;
            } else if all.is_empty() {
                say!(
                    "no authorities pinned yet; add one with `casefile tsa add NAME URL --ca FILE`"
                );
            } else {
                for a in &all {
                    say!("{}  {}  added {}", a.name, a.url, a.added_at);
                    for p in &a.pinned {
                        say!("  trusts {p}");
                    }
                }
            }
        }
        TsaAction::Remove { name } => {
            let a = vault.remove_authority(&name)?;
            if json {
                output::json(&serde_json::json!({"id": a.name, "removed": true}))?;
            } else {
                say!("forgot authority {}", a.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `timestamp`: stamps the newest checkpoint with every authority.
pub fn timestamp(vault: &mut Vault, json: bool) -> anyhow::Result<ExitCode> {
    if vault.authorities()?.is_empty() {
        anyhow::bail!("no authorities pinned; add one with `casefile tsa add NAME URL --ca FILE`");
    }
    let outcomes = vault.stamp_checkpoints()?;
    let failed = outcomes
        .iter()
        .any(|o| matches!(o, StampOutcome::Failed { .. }));
    if json {
        output::json(&outcomes)?;
    } else {
        for o in &outcomes {
            match o {
                StampOutcome::Stamped {
                    authority,
                    size,
                    time,
                } => {
                    say!("{authority}: the log's first {size} events existed no later than {time}")
                }
                StampOutcome::UpToDate { authority, size } => {
                    say!("{authority}: nothing new since the {size} events it stamped")
                }
                StampOutcome::Failed { authority, error } => {
                    say!("{authority}: no token ({error}); run `casefile timestamp` again later")
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::from(QUEUED)
    } else {
        ExitCode::SUCCESS
    })
}
