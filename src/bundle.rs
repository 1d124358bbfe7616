//! The `export`, `verify` and `import` commands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use casefile::bundle::{self, ExportOptions, Format, Limits, Source};
use casefile::case::sheet::Regime;
use casefile::{Task, Vault};
use clap::Args;

use super::errors::IntegrityFailure;
use super::output;

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
    /// The sender's minisign public key file: the bundle must be signed by it.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

/// Arguments of `import`.
#[derive(Args)]
pub struct ImportArgs {
    /// A bundle folder, .zip, or .tar.age.
    bundle: PathBuf,
    /// age identity file, for an encrypted bundle.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
}

fn bundle_size(path: &std::path::Path) -> u64 {
    fn walk(p: &std::path::Path) -> u64 {
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

/// `export`.
pub fn export(vault: &mut Vault, a: ExportArgs, json: bool) -> anyhow::Result<ExitCode> {
    let recipients =
        a.to.iter()
            .map(|r| {
                r.parse::<age::x25519::Recipient>()
                    .map_err(|_| anyhow::anyhow!("{r:?} is not an age recipient (age1...)"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
    let format = if !recipients.is_empty() {
        Format::Encrypted
    } else if a.zip {
        Format::Zip
    } else {
        Format::Folder
    };
    let total: u64 = vault.list()?.iter().map(|i| i.size).sum();
    let bar = output::progress(total, "exporting");
    let advance = |n: u64| bar.inc(n);
    let opts = ExportOptions {
        case: a.case,
        out: a.out,
        format,
        items: a.items,
        recipients,
        prepared_for: a.prepared_for,
        prefer_redacted: a.redacted,
    };
    let done = bundle::export(vault, &opts, &Task::none().with_progress(&advance))?;
    bar.finish_and_clear();
    if json {
        output::json(&done)?;
    } else {
        println!(
            "exported {} items ({}) to {}",
            done.items,
            output::size(done.bytes),
            done.path.display()
        );
        println!("signed by device key {}", done.key_id);
        println!("bundle sha256 {}", done.sha256);
        if !done.withheld_persons.is_empty() {
            println!(
                "left out for lack of consent: {}",
                done.withheld_persons.join(", ")
            );
        }
        if format == Format::Folder {
            println!(
                "how to verify: {}",
                done.path.join("data/VERIFY.txt").display()
            );
        } else {
            println!("how to verify: data/VERIFY.txt inside the bundle");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `verify`.
pub fn verify(a: VerifyArgs, json: bool) -> anyhow::Result<ExitCode> {
    let source = Source::open(&a.bundle, a.identity.as_deref())?;
    let bar = output::progress(bundle_size(&a.bundle), "verifying");
    let advance = |n: u64| bar.inc(n);
    let task = Task::none().with_progress(&advance);
    let limits = Limits::default();
    if a.bag_only {
        let report = bundle::verify_bag_only(&source, &limits, &task)?;
        bar.finish_and_clear();
        if json {
            output::json(&report)?;
        } else {
            report
                .warnings
                .iter()
                .for_each(|w| eprintln!("warning: {w}"));
            report.errors.iter().for_each(|e| eprintln!("{e}"));
            if report.valid() {
                println!(
                    "valid BagIt {} bag: {} files, {} bytes",
                    report.version, report.payload_files, report.payload_bytes
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
    let key = match &a.key {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                bundle::seal::parse_public_key(&text)
                    .with_context(|| format!("{} is not a minisign public key", path.display()))?,
            )
        }
        None => None,
    };
    let verdict = bundle::verify(&source, &limits, key.as_ref(), &task)?;
    bar.finish_and_clear();
    if json {
        output::json(&verdict)?;
    } else {
        for c in &verdict.checks {
            println!("{} {}", if c.ok { "PASS" } else { "FAIL" }, c.name);
            for d in &c.details {
                println!("       {d}");
            }
        }
        verdict
            .warnings
            .iter()
            .for_each(|w| println!("warning: {w}"));
    }
    if verdict.ok {
        if !json {
            println!(
                "bundle verified: sealed by device key {}",
                verdict.key_id.as_deref().unwrap_or("?")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let why = if !verdict.sealed && verdict.bag.valid() {
        "the bag is intact but not sealed: no Casefile signature".to_string()
    } else {
        format!(
            "the bundle does not verify ({} failures)",
            verdict.failures().len()
        )
    };
    Err(IntegrityFailure(why).into())
}

/// `import`.
pub fn import(vault: &mut Vault, a: ImportArgs, json: bool) -> anyhow::Result<ExitCode> {
    let source = Source::open(&a.bundle, a.identity.as_deref())?;
    let bar = output::progress(bundle_size(&a.bundle) * 2, "importing");
    let advance = |n: u64| bar.inc(n);
    let done = bundle::import(
        vault,
        &source,
        &Limits::default(),
        &Task::none().with_progress(&advance),
    )?;
    bar.finish_and_clear();
    if json {
        output::json(&done)?;
    } else {
        let how = match &done.key_id {
            Some(k) => format!("sealed by device key {k}"),
            None => "UNSIGNED bag (manifests verified)".to_string(),
        };
        println!(
            "imported {} items from {} ({how})",
            done.items.len(),
            done.bundle
        );
        for it in &done.items {
            println!("  {}  {}  {}", it.id, it.sha256, it.title);
        }
        if let Some(c) = &done.case {
            println!("added case {c}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
