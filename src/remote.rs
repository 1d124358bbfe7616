//! `remote`: the organisation's storage (WebDAV, S3) that bundles travel through.

use std::path::PathBuf;
use std::process::ExitCode;

use casefile::Vault;
use casefile::remote::{Endpoint, RemoteName};
use clap::Subcommand;

use crate::output;

/// `remote` subcommands.
#[derive(Subcommand)]
pub enum RemoteAction {
    /// Add a remote: a WebDAV folder (Nextcloud, ownCloud, Apache mod_dav) or
    /// an S3-compatible bucket. Its secret (password, app password or S3
    /// secret key) comes from CASEFILE_REMOTE_SECRET, --secret-file or a
    /// prompt, and is kept only inside the encrypted vault. Nothing is sent:
    /// `casefile remote test NAME` checks it.
    #[command(group(clap::ArgGroup::new("kind").required(true).args(["webdav", "s3"])))]
    Add {
        /// A name: 1 to 32 lowercase letters, digits or hyphens.
        name: String,
        /// A WebDAV folder's address (https://, or http:// to this machine or an onion service).
        #[arg(long, value_name = "URL", requires = "user", conflicts_with_all = ["bucket", "access_key"])]
        webdav: Option<String>,
        /// The WebDAV user name.
        #[arg(long, value_name = "USER", requires = "webdav")]
        user: Option<String>,
        /// An S3-compatible server's address (path-style requests).
        #[arg(long, value_name = "URL", requires_all = ["bucket", "access_key"], conflicts_with = "user")]
        s3: Option<String>,
        /// The S3 bucket.
        #[arg(long, value_name = "BUCKET", requires = "s3")]
        bucket: Option<String>,
        /// The S3 region the signature names.
        #[arg(
            long,
            value_name = "REGION",
            default_value = "us-east-1",
            requires = "s3"
        )]
        region: String,
        /// The S3 access key id.
        #[arg(long, value_name = "ID", requires = "s3")]
        access_key: Option<String>,
        /// Read the secret from this file (otherwise CASEFILE_REMOTE_SECRET or a prompt).
        #[arg(long, value_name = "FILE")]
        secret_file: Option<PathBuf>,
        /// Send every request through this proxy (for Tor: socks5h://127.0.0.1:9050).
        #[arg(long, value_name = "URL")]
        proxy: Option<String>,
    },
    /// The remotes (never their secrets).
    List,
    /// Forget a remote and its secret.
    Remove {
        /// The remote's name.
        name: String,
    },
    /// Write a small random object to the remote, read it back and delete it.
    Test {
        /// The remote's name.
        name: String,
    },
}

/// `remote`.
pub fn remote(vault: &mut Vault, action: RemoteAction, json: bool) -> anyhow::Result<ExitCode> {
    match action {
        RemoteAction::Add {
            name,
            webdav,
            user,
            s3,
            bucket,
            region,
            access_key,
            secret_file,
            proxy,
        } => {
            let name = RemoteName::parse(&name)?;
            let endpoint = match (webdav, s3) {
                (Some(url), None) => Endpoint::webdav(&url, user.as_deref().unwrap_or_default())?,
                (None, Some(url)) => Endpoint::s3(
                    &url,
                    bucket.as_deref().unwrap_or_default(),
                    &region,
                    access_key.as_deref().unwrap_or_default(),
                )?,
                _ => anyhow::bail!(
                    "give either --webdav URL --user USER or --s3 URL --bucket B --access-key ID"
                ),
            };
            let secret = crate::secrets::secret(
                secret_file.as_deref(),
                "--secret-file",
                "CASEFILE_REMOTE_SECRET",
                "Remote's secret: ",
                false,
            )?;
            let r = vault.add_remote(&name, &endpoint, proxy.as_deref(), &secret)?;
            if json {
                output::json(&r)?;
            } else {
                say!(
                    "added remote {} ({} at {}); check it with `casefile remote test {}`",
                    r.name,
                    r.endpoint.kind(),
                    r.endpoint.url(),
                    r.name
                );
            }
        }
        RemoteAction::List => {
            let all = vault.remotes()?;
            if json {
                output::json(&all)?;
            } else if all.is_empty() {
                say!(
                    "no remotes yet; add one with `casefile remote add NAME --webdav URL --user USER`"
                );
            } else {
                for r in &all {
                    let via = r
                        .proxy
                        .as_deref()
                        .map(|p| format!("  via {p}"))
                        .unwrap_or_default();
                    say!(
                        "{}  {}  {}{}  added {}",
                        r.name,
                        r.endpoint.kind(),
                        r.endpoint.url(),
                        via,
                        r.added_at
                    );
                }
            }
        }
        RemoteAction::Remove { name } => {
            let r = vault.remove_remote(&name)?;
            if json {
                output::json(&serde_json::json!({"id": r.name, "removed": true}))?;
            } else {
                say!("forgot remote {} and its secret", r.name);
            }
        }
        RemoteAction::Test { name } => {
            let storage = vault.connect_remote(&name)?;
            let probe = storage.probe()?;
            if json {
                output::json(&probe)?;
            } else {
                say!(
                    "remote {} works: {} bytes written, read back and deleted in {} ms",
                    probe.remote,
                    probe.bytes,
                    probe.millis
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
