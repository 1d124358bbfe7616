//! The `export`, `verify`, `import` and `senders` commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use casefile::bundle::{
    self, ExportOptions, Format, ImportOptions, Language, Limits, Pin, Source, Trust, Verdict,
};
use casefile::case::sheet::Regime;
use casefile::crypto::sign::DevicePublicKey;
use casefile::{Task, Vault};
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::errors::{IntegrityFailure, Unpinned};
use crate::output;

/// Arguments of `export`.
#[derive(Args)]
pub struct ExportArgs {
    /// Case id or unique prefix.
    #[arg(long)]
    case: String,
    /// Destination folder or file (must not exist).
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Write one .zip file instead of a folder.
    #[arg(long)]
    zip: bool,
    /// Only these items (comma-separated ids), originals or derivatives.
    #[arg(long, value_delimiter = ',')]
    items: Option<Vec<String>>,
    /// Encrypt to this age recipient (age1...); repeatable. Writes a .tar.age.
    #[arg(long = "to", value_name = "AGE_RECIPIENT")]
    to: Vec<String>,
    /// Send each item's latest redacted copy (made with `redact`) instead of the item.
    #[arg(long)]
    redacted: bool,
    /// The regime or mechanism it is for (default: the case's first);
    /// persons whose consent does not cover it are left out.
    #[arg(long = "for", value_name = "REGIME")]
    prepared_for: Option<Regime>,
    /// Also write the verification instructions in this language
    /// (zh, ar, es, ru) beside the English ones.
    #[arg(long = "lang", value_name = "LANG")]
    language: Option<Language>,
}

/// Arguments of `verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// A bundle folder, .zip, or .tar.age.
    bundle: PathBuf,
    /// age identity file, for an encrypted bundle.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
    /// Check BagIt conformance only (for bags made by other tools).
    #[arg(long)]
    bag_only: bool,
    /// The sender's minisign public key file: the bundle must be signed by
    /// it. Without it, the vault's known senders are the trusted keys.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Trust time-stamps from this authority: its CA certificate file (PEM
    /// or DER) under a name; repeatable. The vault's pinned authorities
    /// (`casefile tsa list`) are trusted too.
    #[arg(long = "tsa-ca", value_name = "NAME=FILE")]
    tsa_ca: Vec<String>,
}

/// Arguments of `import`.
#[derive(Args)]
pub struct ImportArgs {
    /// A bundle folder, .zip, or .tar.age.
    bundle: PathBuf,
    /// age identity file, for an encrypted bundle.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
    /// The sender's minisign public key file: the bundle must be signed by it.
    #[arg(long, value_name = "FILE", conflicts_with = "trust")]
    key: Option<PathBuf>,
    /// Trust the bundle's signer, after comparing its fingerprint with the
    /// sender by another channel, and remember it as a known sender NAME.
    #[arg(long, value_name = "NAME")]
    trust: Option<String>,
    /// Accept a plain BagIt bag that no Casefile device sealed (from another
    /// tool); its items are logged as received unsigned.
    #[arg(long)]
    unsigned: bool,
}

/// `senders` subcommands.
#[derive(Subcommand)]
pub enum SendersAction {
    /// Pin a sender's key (a minisign public key file) under a name.
    Add {
        /// A name for the sender.
        name: String,
        /// Their public key file (`casefile key show` prints one).
        keyfile: PathBuf,
        /// The key is an organisation's (`casefile org init`): bundles sealed
        /// by the devices it certifies are trusted.
        #[arg(long)]
        organisation: bool,
    },
    /// Load an organisation's revocation of a device (`casefile org revoke`
    /// writes one, with FILE.minisig beside it); the organisation must be a
    /// known sender.
    Revoke {
        /// The revocation statement.
        file: PathBuf,
    },
    /// The known senders and their fingerprints.
    List,
    /// Forget a sender.
    Remove {
        /// The sender's name.
        name: String,
    },
}

fn bundle_size(path: &Path) -> u64 {
    fn walk(p: &Path) -> u64 {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => std::fs::read_dir(p)
                .map(|rd| rd.flatten().map(|e| walk(&e.path())).sum())
                .unwrap_or(0),
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
    walk(path)
}

/// Reads a minisign public key file.
pub fn read_key(path: &Path) -> anyhow::Result<DevicePublicKey> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= 4096,
        "{} is not a minisign public key (it is too large)",
        path.display()
    );
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    bundle::seal::parse_public_key(&text)
        .with_context(|| format!("{} is not a minisign public key", path.display()))
}

fn key_pin(path: &Path) -> anyhow::Result<Pin> {
    Ok(Pin {
        key: read_key(path)?,
        label: format!("the key in {}", path.display()),
    })
}

/// `export`.
pub fn export(vault: &mut Vault, a: ExportArgs, json: bool) -> anyhow::Result<ExitCode> {
    let recipients = bundle::parse_recipients(&a.to)?;
    let format = Format::chosen(&recipients, a.zip)?;
    let out = format.path_for(&a.out)?;
    // The length is set once the export knows what it sends.
    let bar = output::progress(0, "exporting");
    let advance = |n: u64| bar.inc(n);
    let total = |n: u64| bar.set_length(n);
    let opts = ExportOptions {
        case: a.case,
        out,
        format,
        items: a.items,
        recipients,
        prepared_for: a.prepared_for,
        prefer_redacted: a.redacted,
        language: a.language,
    };
    let done = bundle::export(
        vault,
        &opts,
        &Task::none()
            .with_progress(&advance)
            .with_total(&total)
            .with_cancel(crate::interrupt::catch()),
    )?;
    bar.finish_and_clear();
    if json {
        output::json(&done)?;
    } else {
        say!(
            "exported {} items ({}) to {}",
            done.items,
            output::size(done.bytes),
            done.path.display()
        );
        say!("sealed by the key with fingerprint {}", done.fingerprint);
        say!("sha256 of the {}: {}", done.sha256_of, done.sha256);
        for (authority, time) in &done.sealed_no_later_than {
            say!("seal time-stamped by {authority}: sealed no later than {time}");
        }
        for (authority, why) in &done.stamp_failures {
            warn!("warning: {authority} gave no time-stamp for the seal: {why}");
        }
        if done.sealed_no_later_than.is_empty() && !done.stamp_failures.is_empty() {
            warn!("warning: no authority answered: the seal carries no trusted time");
        }
        if !done.unredacted.is_empty() {
            warn!(
                "warning: no redacted copy exists of {}: sent as they are (make one with `casefile redact`)",
                done.unredacted.join(", ")
            );
        }
        if !done.withheld_persons.is_empty() {
            say!(
                "left out for lack of consent: {}",
                done.withheld_persons.join(", ")
            );
        }
        if let Some(note) = &done.opening_note {
            say!("how to open it (written beside it): {}", note.display());
        }
        if format == Format::Folder {
            say!(
                "how to verify: {}",
                done.path.join("data/VERIFY.txt").display()
            );
        } else {
            say!("how to verify: data/VERIFY.txt inside the bundle");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where `verify` finds what it trusts: the key given, or the vault's known
/// senders and its own key (the vault is opened only when there is one, with
/// its passphrase read before the bundle so a prompt never meets the bar).
enum TrustFrom {
    Given(Box<Trust>),
    Vault(Zeroizing<String>),
}

impl TrustFrom {
    fn ask(vault_dir: &Path, pf: Option<&Path>, key: Option<&Path>) -> anyhow::Result<Self> {
        if let Some(path) = key {
            return Ok(TrustFrom::Given(Box::new(Trust::only(key_pin(path)?))));
        }
        if !vault_dir.join(casefile::vault::KEYSLOTS_FILE).is_file() {
            return Ok(TrustFrom::Given(Box::default()));
        }
        Ok(TrustFrom::Vault(crate::secrets::passphrase(pf, false)?))
    }

    /// The trust, and whether it came from a vault.
    fn resolve(self, vault_dir: &Path, tsa_ca: &[String]) -> anyhow::Result<(Trust, bool)> {
        let (trust, from_vault) = match self {
            TrustFrom::Given(t) => (*t, false),
            TrustFrom::Vault(pass) => {
                let vault = crate::commands::open_with(vault_dir, &pass)?;
                let trust = Trust::of_vault(&vault)?;
                vault.close()?;
                (trust, true)
            }
        };
        Ok((with_authorities(trust, tsa_ca)?, from_vault))
    }
}

/// Adds the authorities given with `--tsa-ca NAME=FILE`.
fn with_authorities(mut trust: Trust, tsa_ca: &[String]) -> anyhow::Result<Trust> {
    for given in tsa_ca {
        let (name, file) = given
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--tsa-ca takes NAME=FILE, not {given:?}"))?;
        let certs = crate::timestamp::read_certificates(Path::new(file))?;
        trust
            .authorities
            .push(casefile::bundle::stamps::PinnedAuthority {
                name: name.to_string(),
                certs,
            });
    }
    Ok(trust)
}

fn print_verdict(verdict: &Verdict) {
    for c in &verdict.checks {
        say!("{} {}", if c.ok { "PASS" } else { "FAIL" }, c.name);
        for d in &c.details {
            say!("       {d}");
        }
    }
    for (authority, time) in &verdict.sealed_no_later_than {
        say!("sealed no later than {time}, by {authority}");
    }
    for e in &verdict.existed {
        say!(
            "item {} existed no later than {}, by {}",
            e.item,
            e.time,
            e.authority
        );
    }
    verdict.warnings.iter().for_each(|w| say!("warning: {w}"));
}

/// `verify`.
pub fn verify(
    a: VerifyArgs,
    vault_dir: &Path,
    pf: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let source = Source::open(&a.bundle, a.identity.as_deref())?;
    let limits = Limits::default();
    if a.bag_only {
        let bar = output::progress(bundle_size(&a.bundle), "verifying");
        let advance = |n: u64| bar.inc(n);
        let task = Task::none().with_progress(&advance);
        let report = bundle::verify_bag_only(&source, &limits, &task)?;
        bar.finish_and_clear();
        if json {
            output::json(&report)?;
        } else {
            report.warnings.iter().for_each(|w| warn!("warning: {w}"));
            report.errors.iter().for_each(|e| warn!("{e}"));
            if report.valid() {
                say!(
                    "valid BagIt {} bag: {} files, {} bytes",
                    report.version,
                    report.payload_files,
                    report.payload_bytes
                );
            }
        }
        return match report.valid() {
            true => Ok(ExitCode::SUCCESS),
            false => Err(IntegrityFailure(format!(
                "the bag is not valid ({} problems)",
                report.errors.len()
            ))
            .into()),
        };
    }
    let from = TrustFrom::ask(vault_dir, pf, a.key.as_deref())?;
    let bar = output::progress(bundle_size(&a.bundle), "verifying");
    let advance = |n: u64| bar.inc(n);
    // A vault that does not open stops the reading at once.
    let stop = AtomicBool::new(false);
    let task = Task::none().with_progress(&advance).with_cancel(&stop);
    let (read, trusted) = std::thread::scope(|s| {
        let trusting = s.spawn(|| {
            let r = from.resolve(vault_dir, &a.tsa_ca);
            if r.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            r
        });
        let read = bundle::read(&source, &limits, &task);
        (read, trusting.join())
    });
    bar.finish_and_clear();
    let (trust, from_vault) =
        trusted.map_err(|_| anyhow::anyhow!("opening the vault stopped unexpectedly"))??;
    let verdict = read?.judge(&trust);
    if json {
        output::json(&verdict)?;
    } else {
        print_verdict(&verdict);
    }
    if verdict.trusted() {
        if !json {
            let s = verdict.signer.as_ref().map(|s| s.fingerprint.as_str());
            say!(
                "bundle verified: sealed by {} (fingerprint {})",
                verdict.pinned.as_deref().unwrap_or("?"),
                s.unwrap_or("?")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if verdict.ok {
        let fingerprint = verdict
            .signer
            .as_ref()
            .map(|s| s.fingerprint.clone())
            .unwrap_or_default();
        let how = if from_vault {
            "pin the sender with `casefile senders add NAME KEYFILE`, or give their key with --key FILE"
        } else {
            "give the sender's public key with --key FILE, or pin it in a vault with `casefile senders add NAME KEYFILE`"
        };
        return Err(Unpinned(format!(
            "the bundle is intact and validly signed, but by a key you have not pinned: \
             fingerprint {fingerprint}. Compare it with the fingerprint the sender gives you by \
             another channel (a call, a meeting); if they match, {how}"
        ))
        .into());
    }
    let why = if !verdict.sealed && verdict.bag.valid() {
        "the bag is intact but not sealed: no Casefile signature".to_string()
    } else {
        let n = verdict.failed_checks();
        format!(
            "the bundle does not verify ({n} failed check{})",
            if n == 1 { "" } else { "s" }
        )
    };
    Err(IntegrityFailure(why).into())
}

/// `import`.
pub fn import(vault: &mut Vault, a: ImportArgs, json: bool) -> anyhow::Result<ExitCode> {
    let source = Source::open(&a.bundle, a.identity.as_deref())?;
    let opts = ImportOptions {
        key: a.key.as_deref().map(key_pin).transpose()?,
        trust_as: a.trust,
        unsigned: a.unsigned,
    };
    let bar = output::progress(bundle_size(&a.bundle) * 2, "importing");
    let advance = |n: u64| bar.inc(n);
    let done = bundle::import(
        vault,
        &source,
        &Limits::default(),
        &opts,
        &Task::none().with_progress(&advance),
    )?;
    bar.finish_and_clear();
    if json {
        output::json(&done)?;
    } else {
        let how = match (&done.fingerprint, &done.pinned) {
            (Some(f), Some(p)) => format!("sealed by {p}, fingerprint {f}"),
            _ => "UNSIGNED bag (manifests verified)".to_string(),
        };
        say!(
            "imported {} items from {} ({how})",
            done.items.len(),
            done.bundle
        );
        for it in &done.items {
            say!(
                "  {}  {}  {}",
                it.id,
                it.sha256,
                output::one_line(&it.title)
            );
        }
        if let Some(c) = &done.case {
            say!("added case {c}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `senders`.
pub fn senders(vault: &mut Vault, action: SendersAction, json: bool) -> anyhow::Result<ExitCode> {
    match action {
        SendersAction::Revoke { file } => {
            let r = crate::org::load_revocation(vault, &file)?;
            if json {
                output::json(&serde_json::json!({
                    "device": r.device_key.fingerprint(),
                    "organisation": r.organisation,
                    "revoked_at": r.revoked_at,
                }))?;
            } else {
                say!(
                    "device {} revoked by {} from {}",
                    r.device_key.fingerprint(),
                    output::one_line(&r.organisation),
                    r.revoked_at
                );
            }
        }
        SendersAction::Add {
            name,
            keyfile,
            organisation,
        } => {
            let key = read_key(&keyfile)?;
            let kind = if organisation {
                casefile::vault::KIND_ORGANISATION
            } else {
                casefile::vault::KIND_DEVICE
            };
            let s = vault.add_sender_of_kind(&name, &key, kind)?;
            if json {
                output::json(&serde_json::json!({
                    "id": s.name, "name": s.name, "fingerprint": s.fingerprint,
                    "key_id": s.key_id, "minisign": s.minisign, "added_at": s.added_at,
                }))?;
            } else {
                say!(
                    "known sender {}: fingerprint {}",
                    output::one_line(&s.name),
                    s.fingerprint
                );
            }
        }
        SendersAction::List => {
            let all = vault.senders()?;
            if json {
                let rows: Vec<serde_json::Value> = all
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "id": s.name, "name": s.name, "kind": s.kind,
                            "fingerprint": s.fingerprint, "key_id": s.key_id,
                            "minisign": s.minisign, "added_at": s.added_at,
                        })
                    })
                    .collect();
                output::json(&rows)?;
            } else if all.is_empty() {
                say!("no known senders yet; pin one with `casefile senders add NAME KEYFILE`");
            } else {
                for s in &all {
                    say!(
                        "{}  {}  added {}",
                        s.fingerprint,
                        output::one_line(&s.name),
                        s.added_at
                    );
                }
            }
        }
        SendersAction::Remove { name } => {
            let s = vault.remove_sender(&name)?;
            if json {
                output::json(&serde_json::json!({"id": s.name, "removed": true}))?;
            } else {
                say!("forgot sender {}", output::one_line(&s.name));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
