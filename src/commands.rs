//! One function per command; each opens the vault, calls the library, prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use casefile::vault::{ItemEdit, NewItem, Secret, collect_files, default_dir, keys};
use casefile::{ItemKind, Task, Vault};
use clap::Args;

use crate::errors::IntegrityFailure;
use crate::output;
use crate::secrets::{new_passphrase, passphrase, secret};
use crate::{Cli, Command, KeyAction, LogAction};

/// Descriptive fields shared by `add` and `edit`.
#[derive(Args, Default)]
pub struct MetaArgs {
    /// Title (default for add: the file name).
    #[arg(long)]
    title: Option<String>,
    /// photo, video, audio, document, detention-record, testimony, open-source, other.
    #[arg(long)]
    kind: Option<ItemKind>,
    /// Where it came from.
    #[arg(long)]
    source: Option<String>,
    /// Who collected it.
    #[arg(long)]
    collector: Option<String>,
    /// How it was acquired.
    #[arg(long)]
    method: Option<String>,
    /// Language of its content.
    #[arg(long)]
    language: Option<String>,
    /// Free notes.
    #[arg(long)]
    notes: Option<String>,
    /// When it was captured, as stated (for example 2024-05-01T14:00Z).
    #[arg(long)]
    captured_at: Option<String>,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = match &cli.vault {
        Some(d) => d.clone(),
        None => default_dir().context("cannot find the user's data folder; use --vault DIR")?,
    };
    let pf = cli.passphrase_file.as_deref();
    let json = cli.json;
    match cli.command {
        Command::Init { collector } => init(&dir, pf, &collector, json),
        Command::Add { files, case, meta } => {
            add(&mut open(&dir, pf)?, &files, case.as_deref(), meta, json)
        }
        Command::List => {
            let vault = open(&dir, pf)?;
            let items = vault.list()?;
            if json {
                output::json(&items)?
            } else {
                output::item_table(&items)
            }
            vault.close()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id } => {
            let mut vault = open(&dir, pf)?;
            let item = vault.view(&id)?;
            let media = vault.media(&item.id)?;
            if json {
                let mut value = serde_json::to_value(&item)?;
                value["media"] = serde_json::to_value(&media)?;
                output::json(&value)?
            } else {
                output::item_detail(&item);
                if let Some(info) = &media {
                    crate::media::detail(info);
                }
            }
            vault.close()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { id, out } => extract(&mut open(&dir, pf)?, &id, &out, json),
        Command::Edit {
            id,
            meta,
            restriction,
        } => {
            let mut vault = open(&dir, pf)?;
            let edit = ItemEdit {
                title: meta.title,
                kind: meta.kind,
                captured_at: meta.captured_at,
                collector: meta.collector,
                source: meta.source,
                method: meta.method,
                language: meta.language,
                notes: meta.notes,
                restriction,
            };
            let item = vault.edit(&id, &edit)?;
            if json {
                output::json(&item)?
            } else {
                output::item_detail(&item)
            }
            vault.close()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Log { item, action: None } => {
            let vault = open(&dir, pf)?;
            let events = vault.log(item.as_deref())?;
            let received = match &item {
                Some(i) => vault.received_history(i)?,
                None => Vec::new(),
            };
            if json {
                output::json(&events.iter().map(output::event_json).collect::<Vec<_>>())?;
            } else {
                if let Some((bundle, origin, _)) = received.first() {
                    say!("history recorded by the sender (log {origin}, received in {bundle}):");
                    received.iter().for_each(|(_, _, e)| output::event_line(e));
                    say!("history in this vault:");
                }
                events.iter().for_each(output::event_line);
            }
            vault.close()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Log {
            action: Some(LogAction::Verify),
            ..
        } => log_verify(&mut open(&dir, pf)?, json),
        Command::Check { deep } => check(&mut open(&dir, pf)?, deep, json),
        Command::Case {
            action:
                crate::case::CaseAction::Template {
                    id: None,
                    case_type,
                },
        } => {
            // Writing a sheet needs no vault: a new user reads it before having one.
            say!("{}", crate::case::template_for(None, case_type).trim_end());
            Ok(ExitCode::SUCCESS)
        }
        Command::Case {
            action: crate::case::CaseAction::Schema,
        } => {
            print!("{}", casefile::case::schema::schema_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Case { action } => crate::case::run(&mut open(&dir, pf)?, action, json),
        Command::Testimony(args) => crate::case::testimony(&mut open(&dir, pf)?, args, json),
        Command::Derive(args) => crate::case::derive(&mut open(&dir, pf)?, args, json),
        Command::Redact(args) => crate::media::redact(&mut open(&dir, pf)?, args, json),
        Command::Search { query } => {
            crate::case::search(&mut open(&dir, pf)?, &query.join(" "), json)
        }
        Command::Demo => crate::case::demo(&mut open(&dir, pf)?, json),
        Command::Export(args) => crate::bundle::export(&mut open(&dir, pf)?, args, json),
        Command::Verify(args) => crate::bundle::verify(args, &dir, pf, json),
        Command::Senders { action } => crate::bundle::senders(&mut open(&dir, pf)?, action, json),
        Command::Org {
            action,
            org_passphrase_file,
        } => crate::org::run(action, org_passphrase_file.as_deref(), json),
        Command::Key {
            action: KeyAction::Certificate { file },
        } => crate::org::install(&mut open(&dir, pf)?, &file, json),
        Command::Tsa { action } => crate::timestamp::tsa(&mut open(&dir, pf)?, action, json),
        Command::Timestamp => crate::timestamp::timestamp(&mut open(&dir, pf)?, json),
        Command::Send(args) => crate::deliver::send(&mut open(&dir, pf)?, args, json),
        Command::Inbox(args) => crate::deliver::inbox(&mut open(&dir, pf)?, args, json),
        Command::Outbox { remote } => crate::deliver::outbox(&mut open(&dir, pf)?, &remote, json),
        Command::Remote { action } => crate::remote::remote(&mut open(&dir, pf)?, action, json),
        Command::Import(args) => crate::bundle::import(&mut open(&dir, pf)?, args, json),
        Command::Passwd {
            new_passphrase_file,
            kdf_memory,
            kdf_passes,
        } => {
            let cost = (kdf_memory.is_some() || kdf_passes.is_some()).then(|| {
                let floor = casefile::crypto::kdf::KdfParams::MINIMUM;
                casefile::crypto::kdf::KdfParams {
                    memory_kib: kdf_memory.map_or(floor.memory_kib, |m| m.saturating_mul(1024)),
                    iterations: kdf_passes.unwrap_or(floor.iterations),
                    parallelism: floor.parallelism,
                }
            });
            let old = passphrase(pf, false)?;
            let new = new_passphrase(new_passphrase_file.as_deref())?;
            let vault = keys::change_passphrase(&dir, Secret::Passphrase(&old), &new, cost)?;
            vault.close()?;
            say!("passphrase changed; the recovery code still works");
            Ok(ExitCode::SUCCESS)
        }
        Command::Recovery {
            recovery_file,
            new_passphrase_file,
        } => {
            if !dir.join(casefile::vault::KEYSLOTS_FILE).is_file() {
                return Err(casefile::VaultError::NoVault(dir).into());
            }
            let code = secret(
                recovery_file.as_deref(),
                "--recovery-file",
                "CASEFILE_RECOVERY_CODE",
                "Recovery code: ",
                false,
            )?;
            let new = new_passphrase(new_passphrase_file.as_deref())?;
            let vault = keys::change_passphrase(&dir, Secret::RecoveryCode(&code), &new, None)?;
            vault.close()?;
            say!("vault recovered; it now opens with the new passphrase");
            Ok(ExitCode::SUCCESS)
        }
        Command::Wipe { yes } => wipe(&dir, yes, json),
        Command::Completions { .. } | Command::Manpage { .. } => Ok(ExitCode::SUCCESS),
        Command::Decoy {
            new_passphrase_file,
            collector,
        } => {
            let mut vault = open(&dir, pf)?;
            let new = new_passphrase(new_passphrase_file.as_deref())?;
            vault.create_second(&new, &collector)?;
            vault.close()?;
            say!("a second vault now opens with the new passphrase; the folder looks as it did");
            Ok(ExitCode::SUCCESS)
        }
        Command::Guard {
            wipe_after,
            no_wipe,
        } => {
            // Unlocking first proves the right to change the limit.
            let vault = open(&dir, pf)?;
            let guard = if wipe_after.is_some() || no_wipe {
                casefile::vault::guard::set_wipe_after(&dir, wipe_after)?
            } else {
                casefile::vault::guard::Guard::load(&dir)
            };
            vault.close()?;
            if json {
                output::json(&guard)?;
            } else {
                match guard.wipe_after {
                    Some(n) => {
                        say!("the keys are destroyed after {n} wrong passphrases in a row")
                    }
                    None => say!("no wipe after wrong passphrases"),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Key {
            action: KeyAction::Show,
        } => {
            let vault = open(&dir, pf)?;
            let key = vault.device_key();
            if json {
                output::json(&serde_json::json!({
                    "key_id": key.key_id_hex(),
                    "fingerprint": key.fingerprint(),
                    "minisign": key.to_minisign(),
                }))?;
            } else {
                print!("{}", key.to_minisign());
                eprintln!("fingerprint: {}", key.fingerprint());
            }
            vault.close()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn open(dir: &Path, pf: Option<&Path>) -> anyhow::Result<Vault> {
    if !dir.join(casefile::vault::KEYSLOTS_FILE).is_file() {
        return Err(casefile::VaultError::NoVault(dir.to_path_buf()).into());
    }
    let pass = passphrase(pf, false)?;
    open_with(dir, &pass)
}

/// Opens the vault at `dir` with a passphrase already read.
pub fn open_with(dir: &Path, pass: &str) -> anyhow::Result<Vault> {
    let vault = Vault::open(dir, Secret::Passphrase(pass))?;
    // Said at every opening until someone looks: these may be evidence.
    if let Ok(kept) = vault.quarantined()
        && !kept.is_empty()
    {
        warn!(
            "note: {} file(s) in {} were found in the vault without an item and kept there; \
             `casefile check` lists them",
            kept.len(),
            dir.join(casefile::vault::QUARANTINE_DIR).display()
        );
    }
    Ok(vault)
}

fn init(dir: &Path, pf: Option<&Path>, collector: &str, json: bool) -> anyhow::Result<ExitCode> {
    if dir.join(casefile::vault::KEYSLOTS_FILE).exists() {
        return Err(casefile::VaultError::Exists(dir.to_path_buf()).into());
    }
    // A person at a terminal is told the rules first, asked again after a
    // weak passphrase, and types part of the recovery code back.
    let person = pf.is_none()
        && std::env::var_os("CASEFILE_PASSPHRASE").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stdin());
    let pass = if person {
        new_vault_passphrase(collector)?
    } else {
        passphrase(pf, true)?
    };
    let (vault, code) = Vault::create(dir, &pass, collector)?;
    let key = vault.device_key();
    if json {
        output::json(&serde_json::json!({
            "vault": dir,
            "device_key_id": key.key_id_hex(),
            "device_fingerprint": key.fingerprint(),
            "recovery_code": code.as_str(),
        }))?;
    } else {
        say!("Created a vault at {}", dir.display());
        say!("Device key fingerprint: {}", key.fingerprint());
        say!("  (recipients compare it with the key that sealed your bundles; give it to");
        say!("  them by another channel, or the key itself: `casefile key show`)");
        say!();
        say!("Recovery code (shown only now; write it down and keep it apart from this computer):");
        say!();
        say!("    {}", code.as_str());
        say!();
        if person {
            type_back(&code)?;
        }
    }
    vault.close()?;
    Ok(ExitCode::SUCCESS)
}

/// Asks for a new vault's passphrase at a terminal, the rules said first;
/// a weak one is refused with the reason and asked for again.
fn new_vault_passphrase(collector: &str) -> anyhow::Result<zeroize::Zeroizing<String>> {
    use casefile::vault::passphrase;
    warn!("{}", passphrase::RULES);
    for _ in 0..3 {
        let pass = secret(
            None,
            "--passphrase-file",
            "CASEFILE_PASSPHRASE",
            "New passphrase: ",
            false,
        )?;
        if let Err(e) = passphrase::check_new(&pass, &[collector]) {
            warn!("{e}");
            continue;
        }
        let again = secret(
            None,
            "--passphrase-file",
            "CASEFILE_PASSPHRASE",
            "Repeat the passphrase: ",
            false,
        )?;
        if *again != *pass {
            warn!("the two entries differ; choose it again");
            continue;
        }
        return Ok(pass);
    }
    anyhow::bail!("no passphrase was chosen; nothing was created")
}

/// Has the person type one group of the recovery code, picked at random,
/// until it is right: the code is shown only once.
fn type_back(code: &str) -> anyhow::Result<()> {
    use casefile::store::keyslots::{RECOVERY_GROUPS, is_recovery_group, pick_recovery_group};
    use std::io::{BufRead, Write};
    let group = pick_recovery_group();
    loop {
        eprint!(
            "To show it is written down, type group {group} of {RECOVERY_GROUPS} (four characters): "
        );
        let _ = std::io::stderr().flush();
        let mut line = zeroize::Zeroizing::new(String::new());
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            anyhow::bail!(
                "the recovery code was not typed back; the vault is created, and the code above is the only copy"
            );
        }
        if is_recovery_group(code, group, &line) {
            say!("Right. Keep the written code apart from this computer.");
            return Ok(());
        }
        warn!("That is not group {group}. Check what you wrote against the code above.");
    }
}

fn add(
    vault: &mut Vault,
    paths: &[PathBuf],
    case: Option<&str>,
    meta: MetaArgs,
    json: bool,
) -> anyhow::Result<ExitCode> {
    // Check the case before any work, so a typo costs nothing.
    let case = case.map(|c| casefile::case::load(vault, c)).transpose()?;
    let (files, skipped) = collect_files(paths, &Task::none())?;
    for s in &skipped {
        warn!("skipped (not a regular file): {}", s.display());
    }
    let total = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = output::progress(total, "adding");
    let advance = |n: u64| bar.inc(n);
    let task = Task::none()
        .with_progress(&advance)
        .with_cancel(crate::interrupt::catch());
    let new = NewItem {
        title: meta.title,
        kind: meta.kind,
        source: meta.source,
        collector: meta.collector,
        method: meta.method,
        language: meta.language,
        notes: meta.notes,
        captured_at: meta.captured_at,
    };
    let mut print = |item: &casefile::Item| {
        if !json {
            bar.suspend(|| say!("added {}  {}  {}", item.id, item.sha256, item.original_name));
        }
    };
    let done = vault.add_files(&files, &new, &task, &mut print)?;
    let added = done.items;
    if let Some(case) = &case {
        for item in &added {
            let link = casefile::case::sheet::EvidenceLink {
                item: item.id.clone(),
                incident: None,
                party: None,
                supports: String::new(),
            };
            casefile::case::link(vault, &case.id, link)?;
        }
    }
    bar.finish_and_clear();
    if json {
        output::json(&added)?;
    }
    for (i, item) in added.iter().enumerate() {
        // Only what was there before it: a file added twice in one run is
        // reported once, on the second copy.
        let later: Vec<&str> = added[i + 1..].iter().map(|a| a.id.as_str()).collect();
        let earlier = vault.same_content(item)?;
        if let Some(first) = earlier.iter().find(|e| !later.contains(&e.id.as_str())) {
            warn!(
                "warning: {} has the same SHA-256 as item {} ({}), already in the vault; both are kept",
                item.original_name, first.id, first.title
            );
        }
    }
    for f in &done.failed {
        warn!("not added: {}", f.reason);
    }
    if !done.failed.is_empty() {
        anyhow::bail!(
            "{} of {} files could not be added (each is named above); the other {} were added",
            done.failed.len(),
            files.len(),
            added.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn extract(vault: &mut Vault, id: &str, out: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let size = vault.item(id)?.size;
    let bar = output::progress(size, "extracting");
    let advance = |n: u64| bar.inc(n);
    let item = vault.extract(
        id,
        out,
        &Task::none()
            .with_progress(&advance)
            .with_cancel(crate::interrupt::catch()),
    )?;
    bar.finish_and_clear();
    if json {
        output::json(&item)?;
    } else {
        say!(
            "extracted {} to {} (sha256 {} checked)",
            item.id,
            out.display(),
            item.sha256
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check(vault: &mut Vault, deep: bool, json: bool) -> anyhow::Result<ExitCode> {
    let total = if deep {
        vault.list()?.iter().map(|i| i.size).sum()
    } else {
        0
    };
    let bar = output::progress(total, "checking");
    let advance = |n: u64| bar.inc(n);
    let report = vault.check(deep, &Task::none().with_progress(&advance))?;
    bar.finish_and_clear();
    if json {
        output::json(&report)?;
    } else {
        let what = if deep {
            format!(
                "{} items decrypted and hashed ({})",
                report.items,
                output::size(report.bytes)
            )
        } else {
            format!(
                "{} items present with the right size (run with --deep to decrypt and hash them)",
                report.items
            )
        };
        say!(
            "{} database and custody log: {} events",
            if report.log.ok() { "PASS" } else { "FAIL" },
            report.log.events
        );
        for p in &report.log.problems {
            say!("       {}", p.message);
        }
        say!(
            "{} evidence: {what}",
            if report.damaged.is_empty() {
                "PASS"
            } else {
                "FAIL"
            }
        );
        for d in &report.damaged {
            say!(
                "       item {} ({}): {}",
                d.item,
                output::one_line(&d.title),
                d.why
            );
        }
        if !report.quarantined.is_empty() {
            say!(
                "FAIL quarantine: {} complete encrypted files that no item references were moved to quarantine/ \
                 (left by a database put back to an earlier copy, or damage); keep them until you know why",
                report.quarantined.len()
            );
        }
    }
    if report.ok() {
        if !json {
            say!("the vault is intact");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let n = report.damaged.len();
    Err(IntegrityFailure(format!(
        "the vault is damaged: {n} item{} and {} quarantined file{}{}",
        if n == 1 { "" } else { "s" },
        report.quarantined.len(),
        if report.quarantined.len() == 1 {
            ""
        } else {
            "s"
        },
        if report.log.ok() {
            ""
        } else {
            ", and its log does not verify"
        }
    ))
    .into())
}

fn log_verify(vault: &mut Vault, json: bool) -> anyhow::Result<ExitCode> {
    let report = vault.verify_log()?;
    if json {
        output::json(&report)?;
    }
    if let Some(first) = report.problems.first() {
        if !json {
            for p in &report.problems {
                warn!("{}", p.message);
            }
        }
        return Err(IntegrityFailure(format!(
            "the custody log does not verify: {}",
            first.message
        ))
        .into());
    }
    if !json {
        say!(
            "custody log verified: {} events, {} signed checkpoints, root {}",
            report.events,
            report.checkpoints,
            report.root
        );
        say!(
            "signed by the device key with fingerprint {}",
            vault.device_key().fingerprint()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn wipe(dir: &Path, yes: bool, json: bool) -> anyhow::Result<ExitCode> {
    use std::io::{BufRead, IsTerminal, Write};
    if !dir.join(casefile::vault::KEYSLOTS_FILE).is_file() {
        return Err(casefile::VaultError::NoVault(dir.to_path_buf()).into());
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "refusing to wipe without confirmation: run in a terminal, or pass --yes"
            );
        }
        eprint!(
            "This destroys the vault at {} for good: nothing in it can be recovered, not even with the recovery code.\nType WIPE to confirm: ",
            dir.display()
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "WIPE" {
            anyhow::bail!("not confirmed; nothing was wiped");
        }
    }
    let done = keys::wipe(dir)?;
    if json {
        output::json(&serde_json::json!({
            "keys_destroyed_ms": done.keys_destroyed_in.as_secs_f64() * 1000.0,
            "files_removed": done.files_removed,
        }))?;
    } else {
        say!(
            "key slots destroyed in {:.0} ms: the vault can no longer be decrypted",
            done.keys_destroyed_in.as_secs_f64() * 1000.0
        );
        if !done.files_removed {
            say!("some files could not be removed; they are unreadable without the destroyed keys");
        }
    }
    Ok(ExitCode::SUCCESS)
}
