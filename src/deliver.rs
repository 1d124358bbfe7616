//! `send`, `inbox` and `outbox`: sealed bundles through a remote.

use std::path::PathBuf;
use std::process::ExitCode;

use casefile::bundle::{self, ExportOptions, Format, Language};
use casefile::case::sheet::Regime;
use casefile::delivery;
use casefile::{Task, Vault};
use clap::Args;

use crate::errors::{IntegrityFailure, Unpinned};
use crate::output;

/// Arguments of `send`.
#[derive(Args)]
pub struct SendArgs {
    /// Case id or unique prefix.
    #[arg(long)]
    case: String,
    /// The remote to deliver to (`casefile remote list`).
    #[arg(long, value_name = "NAME")]
    remote: String,
    /// Encrypt to this age recipient (age1...); repeatable, at least one.
    #[arg(long = "to", value_name = "AGE_RECIPIENT", required = true)]
    to: Vec<String>,
    /// Only these items (comma-separated ids), originals or derivatives.
    #[arg(long, value_delimiter = ',')]
    items: Option<Vec<String>>,
    /// Send each item's latest redacted copy instead of the item.
    #[arg(long)]
    redacted: bool,
    /// The regime or mechanism it is for (default: the case's first).
    #[arg(long = "for", value_name = "REGIME")]
    prepared_for: Option<Regime>,
    /// Also write the verification instructions in this language.
    #[arg(long = "lang", value_name = "LANG")]
    language: Option<Language>,
}

/// `send`.
pub fn send(vault: &mut Vault, a: SendArgs, json: bool) -> anyhow::Result<ExitCode> {
    let recipients = bundle::parse_recipients(&a.to)?;
    let bar = output::progress(0, "sending");
    let advance = |n: u64| bar.inc(n);
    let total = |n: u64| bar.set_length(n);
    let opts = ExportOptions {
        case: a.case,
        out: PathBuf::new(),
        format: Format::Encrypted,
        items: a.items,
        recipients,
        prepared_for: a.prepared_for,
        prefer_redacted: a.redacted,
        language: a.language,
    };
    let sent = delivery::send(
        vault,
        &a.remote,
        &opts,
        &Task::none()
            .with_progress(&advance)
            .with_total(&total)
            .with_cancel(crate::interrupt::catch()),
    )?;
    bar.finish_and_clear();
    if json {
        output::json(&sent)?;
    } else {
        say!(
            "delivered {} items ({}) to {} as delivery {} ({} objects, index last)",
            sent.export.items,
            output::size(sent.size),
            sent.remote,
            sent.delivery,
            sent.objects.len()
        );
        say!(
            "sealed by the key with fingerprint {}",
            sent.export.fingerprint
        );
        say!("sha256 of the encrypted bundle: {}", sent.sha256);
        if !sent.export.withheld_persons.is_empty() {
            say!(
                "left out for lack of consent: {}",
                sent.export.withheld_persons.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `inbox`.
#[derive(Args)]
pub struct InboxArgs {
    /// The remote to look in.
    #[arg(long, value_name = "NAME")]
    remote: String,
    /// Download, verify and import every waiting delivery, and write back receipts.
    #[arg(long, requires = "identity")]
    import: bool,
    /// The age identity file the deliveries are encrypted to.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
}

/// `inbox`.
pub fn inbox(vault: &mut Vault, a: InboxArgs, json: bool) -> anyhow::Result<ExitCode> {
    let storage = vault.connect_remote(&a.remote)?;
    let (waiting, strange) = delivery::waiting(vault, &storage)?;
    for s in &strange.not_deliveries {
        warn!("note: {s} on {} is not a delivery; left alone", a.remote);
    }
    for (d, why) in &strange.refused {
        warn!(
            "note: delivery {d} on {} is refused and left in place: {why}",
            a.remote
        );
    }
    for d in &strange.unknown_receipts {
        warn!(
            "note: delivery {d} on {} has a receipt signed by a key this vault does not know; \
             it is listed as waiting",
            a.remote
        );
    }
    let Some(identity) = a.identity.filter(|_| a.import) else {
        if json {
            output::json(&waiting)?;
        } else if waiting.is_empty() {
            say!("nothing waiting on {}", a.remote);
        } else {
            for w in &waiting {
                say!(
                    "{}  {}  {} parts  sha256 {}",
                    w.delivery,
                    output::size(w.size),
                    w.parts,
                    w.sha256
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let mut received = Vec::new();
    let mut failed: Vec<(String, u8)> = Vec::new();
    for w in &waiting {
        let bar = output::progress(w.size * 3, "receiving");
        let advance = |n: u64| bar.inc(n);
        let got = delivery::receive(
            vault,
            &storage,
            &w.delivery,
            &identity,
            &Task::none()
                .with_progress(&advance)
                .with_cancel(crate::interrupt::catch()),
        );
        bar.finish_and_clear();
        if crate::interrupt::catch().load(std::sync::atomic::Ordering::Relaxed) {
            got?;
            break;
        }
        match got {
            Ok(r) => {
                if !json {
                    say!(
                        "received delivery {}: {} items, sealed by {}; receipt written",
                        r.delivery,
                        r.imported.items.len(),
                        r.imported.pinned.as_deref().unwrap_or("?")
                    );
                }
                received.push(r);
            }
            Err(casefile::delivery::DeliveryError::Bundle(
                casefile::bundle::BundleError::Unpinned { fingerprint },
            )) => {
                warn!(
                    "{}: sealed by a key this vault does not know (fingerprint {fingerprint}); \
                     compare it with the sender's by another channel, pin it with \
                     `casefile senders add NAME KEYFILE`, then run inbox again",
                    w.delivery
                );
                failed.push((w.delivery.clone(), crate::errors::UNPINNED));
            }
            Err(e) => {
                let e = anyhow::Error::from(e);
                warn!("{}: {}", w.delivery, crate::errors::sentence(&e));
                failed.push((w.delivery.clone(), crate::errors::exit_code(&e)));
            }
        }
    }
    if json {
        output::json(&received)?;
    } else if waiting.is_empty() {
        say!("nothing waiting on {}", a.remote);
    }
    if !failed.is_empty() {
        let why = format!(
            "{} of {} deliveries were not taken in and are left on {} without a receipt",
            failed.len(),
            waiting.len(),
            a.remote
        );
        if failed
            .iter()
            .all(|(_, code)| *code == crate::errors::UNPINNED)
        {
            return Err(Unpinned(why).into());
        }
        return Err(IntegrityFailure(why).into());
    }
    Ok(ExitCode::SUCCESS)
}

/// `outbox`.
pub fn outbox(vault: &mut Vault, remote: &str, json: bool) -> anyhow::Result<ExitCode> {
    let storage = vault.connect_remote(remote)?;
    let all = delivery::outbox(vault, &storage)?;
    if json {
        output::json(&all)?;
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        say!("nothing sent to {remote} yet");
    }
    for o in &all {
        let state = match (&o.receipt, &o.problem, &o.received_by) {
            (Some(r), _, Some(by)) => format!("received and verified by {by} at {}", r.received_at),
            (Some(_), _, None) => format!(
                "a receipt signed by a key this vault does not know (fingerprint {}): not proof \
                 of receipt, the server could have written it; pin the recipient's device key \
                 with `casefile senders add NAME KEYFILE` to check it",
                o.receipt_key.as_deref().unwrap_or("?")
            ),
            (None, Some(p), _) => format!("receipt refused: {p}"),
            (None, None, _) => "not yet received".into(),
        };
        say!("{}  sent {}  {}", o.delivery, o.sent_at, state);
    }
    Ok(ExitCode::SUCCESS)
}
