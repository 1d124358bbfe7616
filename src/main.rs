//! The `casefile` command line: parses arguments, calls the library, prints.

#[macro_use]
mod output;
mod bundle;
mod case;
mod commands;
mod deliver;
mod errors;
mod interrupt;
mod media;
mod org;
mod remote;
mod secrets;
mod timestamp;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Casefile: an encrypted evidence vault with a signed chain of custody.
#[derive(Parser)]
#[command(name = "casefile", version, about, long_about = None)]
pub struct Cli {
    /// Vault folder (default: the user's data folder, casefile/vault).
    #[arg(long, global = true, env = "CASEFILE_VAULT", value_name = "DIR")]
    vault: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Read the passphrase from this file (otherwise CASEFILE_PASSPHRASE or a prompt).
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Create a vault; prints the recovery code once.
    Init {
        /// Name recorded as the collector by default.
        #[arg(long, default_value = casefile::vault::UNNAMED_COLLECTOR)]
        collector: String,
    },
    /// Add files (folders are added recursively) as evidence items.
    Add {
        /// Files or folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also link the new items to this case.
        #[arg(long, value_name = "ID")]
        case: Option<String>,
        #[command(flatten)]
        meta: commands::MetaArgs,
    },
    /// List all items.
    List,
    /// Show one item's details (recorded in the custody log).
    Show {
        /// Item id or a unique prefix of it.
        id: String,
    },
    /// Write an item's original bytes to a new file.
    Extract {
        /// Item id or a unique prefix of it.
        id: String,
        /// Destination file (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Change an item's descriptive fields (never its bytes).
    Edit {
        /// Item id or a unique prefix of it.
        id: String,
        #[command(flatten)]
        meta: commands::MetaArgs,
        /// Access restriction.
        #[arg(long)]
        restriction: Option<String>,
    },
    /// Print the chain-of-custody log, or verify it.
    Log {
        /// Only events of this item.
        #[arg(long)]
        item: Option<String>,
        #[command(subcommand)]
        action: Option<LogAction>,
    },
    /// Check the vault at rest: the database, the log, that every item's
    /// encrypted file is there with the right size; --deep also decrypts and
    /// hashes every one. Exit 1 on any damage.
    Check {
        /// Decrypt and hash every item against its SHA-256 and SHA-512.
        #[arg(long)]
        deep: bool,
    },
    /// The device's signing key.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Case sheets: perpetrators, victims and witnesses, incidents, evidence links.
    #[command(after_long_help = case::vocabularies())]
    Case {
        #[command(subcommand)]
        action: case::CaseAction,
    },
    /// Record a testimony (statement from --text FILE or standard input).
    Testimony(case::TestimonyArgs),
    /// Make a linked derivative of an item: a translation, correction or transcript.
    Derive(case::DeriveArgs),
    /// Make a redacted copy of a photo: metadata stripped, regions blacked out or blurred.
    Redact(media::RedactArgs),
    /// Full-text search over titles, notes, names, narratives and testimony, any script.
    Search {
        /// Words to find (all must match; each also matches as a prefix).
        #[arg(required = true)]
        query: Vec<String>,
    },
    /// Fill the vault with a fictional demo case.
    Demo,
    /// Export a case as a sealed BagIt bundle (folder, zip, or encrypted to age recipients).
    Export(bundle::ExportArgs),
    /// Verify a bundle: exit 0 when everything holds and the signer is pinned,
    /// 3 when it holds but the signer is not pinned, 1 when it does not hold.
    Verify(bundle::VerifyArgs),
    /// Verify a bundle, then add its items with their custody history.
    Import(bundle::ImportArgs),
    /// Known senders: the keys whose seals this vault trusts.
    Senders {
        #[command(subcommand)]
        action: bundle::SendersAction,
    },
    /// Organisation keys: certify members' devices, revoke them (no vault needed).
    Org {
        #[command(subcommand)]
        action: org::OrgAction,
        /// Read the organisation key's passphrase from this file (otherwise CASEFILE_ORG_PASSPHRASE or a prompt).
        #[arg(long, value_name = "FILE")]
        org_passphrase_file: Option<PathBuf>,
    },
    /// Time-stamping authorities (RFC 3161) whose tokens prove when the log's events existed.
    Tsa {
        #[command(subcommand)]
        action: timestamp::TsaAction,
    },
    /// Remotes: the organisation's storage (WebDAV, S3) that bundles travel through.
    Remote {
        #[command(subcommand)]
        action: remote::RemoteAction,
    },
    /// Export a case as a sealed bundle encrypted to its recipients and deliver
    /// it to a remote: in parts as it is made, nothing on disk, the index last.
    Send(deliver::SendArgs),
    /// Deliveries waiting on a remote; with --import, download, verify (known
    /// senders only), import and write back a signed receipt.
    Inbox(deliver::InboxArgs),
    /// What this vault delivered to a remote, and the receipts its recipients wrote.
    Outbox {
        /// The remote.
        #[arg(long, value_name = "NAME")]
        remote: String,
    },
    /// Ask every pinned authority for a token over the custody log's newest
    /// signed checkpoint (exit 4 when one could not answer: run it again later).
    Timestamp,
    /// Change the passphrase (rewraps one key slot; no data is re-encrypted).
    Passwd {
        /// Read the new passphrase from this file (otherwise CASEFILE_NEW_PASSPHRASE or a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Raise Argon2id's memory for the new passphrase, MiB (at least 64).
        #[arg(long, value_name = "MIB")]
        kdf_memory: Option<u32>,
        /// Raise Argon2id's passes for the new passphrase (at least 3).
        #[arg(long, value_name = "N")]
        kdf_passes: Option<u32>,
    },
    /// Unlock with the recovery code and set a new passphrase.
    Recovery {
        /// Read the recovery code from this file (otherwise CASEFILE_RECOVERY_CODE or a prompt).
        #[arg(long, value_name = "FILE")]
        recovery_file: Option<PathBuf>,
        /// Read the new passphrase from this file (otherwise CASEFILE_NEW_PASSPHRASE or a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Make a second vault in this folder, opened by its own passphrase (a decoy to reveal under duress).
    Decoy {
        /// Read the second vault's passphrase from this file (otherwise CASEFILE_NEW_PASSPHRASE or a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Collector name recorded in the second vault.
        #[arg(long, default_value = "")]
        collector: String,
    },
    /// Show wrong-passphrase failures in a row; set or clear the wipe-after-N limit.
    Guard {
        /// Destroy the keys after this many wrong passphrases or recovery codes in a row.
        #[arg(long, value_name = "N", conflicts_with = "no_wipe")]
        wipe_after: Option<u32>,
        /// Never wipe after failures (the default).
        #[arg(long)]
        no_wipe: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into a
    /// folder (casefile.1, casefile-export.1, ...), as the Debian package installs them.
    #[command(hide = true)]
    Manpage {
        /// The folder to write every page into.
        dir: Option<std::path::PathBuf>,
    },
    /// Destroy every key slot at once (crypto-erase), then remove the vault's files.
    Wipe {
        /// Do not ask for confirmation (for scripts).
        #[arg(long)]
        yes: bool,
    },
}

/// `log` subcommands.
#[derive(Subcommand)]
pub enum LogAction {
    /// Recompute the hash chain and Merkle tree and check every signed checkpoint.
    Verify,
}

/// `key` subcommands.
#[derive(Subcommand)]
pub enum KeyAction {
    /// Print the public key in minisign format, and its fingerprint.
    Show,
    /// Keep this device's certificate from its organisation (`casefile org
    /// certify` writes FILE and FILE.minisig); its bundles then carry it.
    Certificate {
        /// The certificate file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    // A HEIF picture is decoded by this program started again (see
    // casefile::media::HEIF_CHILD_ARG): that run decodes and exits here.
    casefile::media::serve_heif_decoder_if_asked();
    if let Err(e) = casefile::harden::harden_process() {
        eprintln!("warning: cannot keep this process out of core dumps and debuggers: {e}");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version are not errors; a usage error with --json is
        // JSON like every other.
        Err(e) if e.use_stderr() && std::env::args().any(|a| a == "--json") => {
            // clap's message up to its usage block, on one line.
            let message = e.to_string();
            let said: Vec<&str> = message
                .lines()
                .take_while(|l| !l.trim().is_empty() && !l.starts_with("Usage:"))
                .map(|l| l.trim().trim_start_matches("error: "))
                .collect();
            eprintln!("{}", errors::json("usage", errors::USAGE, &said.join(" ")));
            return ExitCode::from(errors::USAGE);
        }
        Err(e) => e.exit(),
    };
    let json = cli.json;
    // Generated from the definition above, so they never fall behind it.
    let generated = match cli.command {
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "casefile", &mut out);
            Some(Ok(out))
        }
        Command::Manpage { ref dir } => {
            let mut out = Vec::new();
            let cmd = <Cli as clap::CommandFactory>::command();
            Some(match dir {
                Some(dir) => clap_mangen::generate_to(cmd, dir).map(|()| out),
                None => clap_mangen::Man::new(cmd).render(&mut out).map(|()| out),
            })
        }
        _ => None,
    };
    if let Some(result) = generated {
        use std::io::Write;
        let written = result.and_then(|out| std::io::stdout().lock().write_all(&out));
        return match written {
            Ok(()) => ExitCode::SUCCESS,
            // A reader that stopped early (`| head`) is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write the output: {e}");
                ExitCode::from(errors::USAGE)
            }
        };
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            let code = errors::exit_code(&e);
            if json {
                eprintln!(
                    "{}",
                    errors::json(errors::code_name(&e, code), code, &errors::sentence(&e))
                );
            } else {
                eprintln!("error: {}", output::terminal(&errors::sentence(&e)));
            }
            ExitCode::from(code)
        }
    }
}
