//! `send`, `inbox` and `outbox`: sealed bundles through a remote.

use std::path::PathBuf;
use std::process::ExitCode;

use casefile::bundle::{self, ExportOptions, Format, Language};
use casefile::case::sheet::Regime;
use casefile::delivery;
use casefile::vault::PendingSend;
use casefile::{Task, Vault};
use clap::Args;

use crate::errors::{IntegrityFailure, Unpinned};
use crate::output;

/// Arguments of `send`.
#[derive(Args)]
pub struct SendArgs {
    /// Case id or unique prefix.
    #[arg(long, required_unless_present_any = ["resume", "abandon"])]
    case: Option<String>,
    /// The remote to deliver to (`casefile remote list`); with --resume or
    /// --abandon, only the sends to it.
    #[arg(long, value_name = "NAME", required_unless_present_any = ["resume", "abandon"])]
    remote: Option<String>,
    /// Encrypt to this age recipient (age1...); repeatable, at least one.
    #[arg(long = "to", value_name = "AGE_RECIPIENT", required_unless_present_any = ["resume", "abandon"])]
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
    /// Finish the sends that were interrupted (a network gone, a full disk,
    /// the machine switched off), sending only the parts the remote lacks.
    #[arg(long, conflicts_with_all = ["case", "to", "items", "redacted", "prepared_for", "language", "abandon"])]
    resume: bool,
    /// Abandon the interrupted sends: delete what they wrote on the remote.
    #[arg(long, conflicts_with_all = ["case", "to", "items", "redacted", "prepared_for", "language"])]
    abandon: bool,
    /// With --resume or --abandon, only this interrupted send (its delivery id).
    #[arg(long, value_name = "ID")]
    delivery: Option<String>,
}

/// `send`.
pub fn send(vault: &mut Vault, a: SendArgs, json: bool) -> anyhow::Result<ExitCode> {
    let waiting: Vec<_> = delivery::pending(vault)?
        .into_iter()
        .filter(|p| a.remote.as_deref().is_none_or(|r| r == p.remote))
        .filter(|p| a.delivery.as_deref().is_none_or(|d| d == p.delivery))
        .collect();
    if a.resume || a.abandon {
        return again(vault, &waiting, a.abandon, json);
    }
    if a.delivery.is_some() {
        anyhow::bail!("--delivery picks an interrupted send for --resume or --abandon");
    }
    for p in &waiting {
        warn!(
            "note: an interrupted send to {} (delivery {}, begun {}) waits: `casefile send --resume` finishes it, `casefile send --abandon` deletes it",
            p.remote, p.delivery, p.started_at
        );
    }
    let (Some(case), Some(remote)) = (a.case, a.remote) else {
        anyhow::bail!("give --case ID --remote NAME --to AGE_RECIPIENT, or --resume");
    };
    let recipients = bundle::parse_recipients(&a.to)?;
    let opts = ExportOptions {
        case,
        out: PathBuf::new(),
        format: Format::Encrypted,
        items: a.items,
        recipients,
        prepared_for: a.prepared_for,
        prefer_redacted: a.redacted,
        language: a.language,
    };
    let before: Vec<String> = waiting.iter().map(|p| p.delivery.clone()).collect();
    let result = with_bar(|task| delivery::send(vault, &remote, &opts, task));
    let sent = match result {
        Ok(s) => s,
        Err(e) => {
            kept_note(vault, &e, |d| !before.iter().any(|b| b == d));
            return Err(e.into());
        }
    };
    said(&sent, json)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `f` with a progress bar that Ctrl-C cancels.
fn with_bar<T>(f: impl FnOnce(&Task<'_>) -> T) -> T {
    let bar = output::progress(0, "sending");
    let advance = |n: u64| bar.inc(n);
    let total = |n: u64| bar.set_length(n);
    let r = f(&Task::none()
        .with_progress(&advance)
        .with_total(&total)
        .with_cancel(crate::interrupt::catch()));
    bar.finish_and_clear();
    r
}

/// After a failed send, says what was kept for a resume of the sends
/// `this` picks (the one that failed).
fn kept_note(vault: &Vault, e: &delivery::DeliveryError, this: impl Fn(&str) -> bool) {
    if let delivery::DeliveryError::Stale { delivery, .. } = e {
        warn!("`casefile send --abandon --delivery {delivery}` abandons it");
        return;
    }
    if matches!(
        e,
        delivery::DeliveryError::Bundle(bundle::BundleError::Cancelled)
            | delivery::DeliveryError::Stale { .. }
    ) {
        return;
    }
    if let Ok(p) = delivery::pending(vault) {
        for p in p.iter().filter(|p| p.parts > 0 && this(&p.delivery)) {
            warn!(
                "the {} parts of delivery {} the remote confirmed are kept (without an index, so nobody takes them for a delivery): `casefile send --resume` sends the rest, `casefile send --abandon` deletes them",
                p.parts, p.delivery
            );
        }
    }
}

/// `send --resume` and `send --abandon`.
fn again(
    vault: &mut Vault,
    waiting: &[PendingSend],
    abandon: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if waiting.is_empty() {
        if json {
            output::json(&Vec::<()>::new())?;
        } else {
            say!(
                "no interrupted send to {}",
                if abandon { "abandon" } else { "resume" }
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut done = Vec::new();
    // One send that cannot be resumed does not hold up the others.
    let mut failed: Option<anyhow::Error> = None;
    for p in waiting {
        if abandon {
            let a = delivery::abandon(vault, &p.delivery)?;
            match &a.problem {
                _ if json => {}
                None => say!(
                    "abandoned delivery {} to {}: {} parts deleted",
                    a.delivery,
                    p.remote,
                    a.deleted
                ),
                Some(why) => warn!(
                    "abandoned delivery {} to {}; its parts could not all be deleted ({why}); without an index nobody takes them for a delivery",
                    a.delivery, p.remote
                ),
            }
            done.push(serde_json::to_value(&a)?);
            continue;
        }
        if !json {
            say!(
                "resuming delivery {} to {} ({} parts confirmed before)",
                p.delivery,
                p.remote,
                p.parts
            );
        }
        let sent = match with_bar(|task| delivery::resume(vault, &p.delivery, task)) {
            Ok(s) => s,
            Err(e) => {
                kept_note(vault, &e, |d| d == p.delivery);
                let cancelled = matches!(
                    e,
                    delivery::DeliveryError::Bundle(bundle::BundleError::Cancelled)
                );
                if let Some(earlier) = failed.replace(e.into()) {
                    warn!("error: {earlier:#}");
                }
                if cancelled {
                    break;
                }
                continue;
            }
        };
        if json {
            done.push(serde_json::to_value(&sent)?);
        } else {
            said(&sent, false)?;
        }
    }
    if json && failed.is_none() {
        output::json(&done)?;
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

fn said(sent: &delivery::Sent, json: bool) -> anyhow::Result<()> {
    if json {
        output::json(sent)?;
        return Ok(());
    }
    let kept = if sent.kept > 0 {
        format!(", {} parts already there", sent.kept)
    } else {
        String::new()
    };
    say!(
        "delivered {} items ({}) to {} as delivery {} ({} objects written{kept}, index last)",
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
    say!(
        "sha256 of the delivery (over its parts' hashes): {}",
        sent.sha256
    );
    if !sent.export.withheld_persons.is_empty() {
        say!(
            "left out for lack of consent: {}",
            sent.export.withheld_persons.join(", ")
        );
    }
    Ok(())
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
            (Some(r), problem, Some(by)) if !r.verified || problem.is_some() => format!(
                "received by {by} at {}, and it did NOT verify there ({}): send it again",
                r.received_at,
                problem
                    .as_deref()
                    .unwrap_or("damaged or altered on the way")
            ),
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
