//! `org`: organisation keys, the certificates they give member devices and
//! their revocations; `key certificate` and `senders revoke` load them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use casefile::Vault;
use casefile::bundle::org::{self, OrgKey, Revocation};
use clap::Subcommand;

use crate::output;

/// `org` subcommands (no vault needed: an organisation key lives apart from any vault).
#[derive(Subcommand)]
pub enum OrgAction {
    /// Make an organisation key: DIR/organisation.key (age, encrypted with
    /// a passphrase from CASEFILE_ORG_PASSPHRASE, --org-passphrase-file or a
    /// prompt) and DIR/organisation.pub, the key recipients pin.
    Init {
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// A folder for the two files (created; must not hold them yet).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Certify a member's device: writes OUT and OUT.minisig.
    Certify {
        /// The organisation key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The device's public key file (`casefile key show` on that device).
        #[arg(long, value_name = "FILE")]
        device: PathBuf,
        /// The member the device belongs to.
        #[arg(long)]
        member: String,
        /// Valid from (RFC 3339; default now).
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// The certificate file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Revoke a device from a time: writes OUT and OUT.minisig, for
    /// recipients to load with `casefile senders revoke OUT`.
    Revoke {
        /// The organisation key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The device's public key file.
        #[arg(long, value_name = "FILE")]
        device: PathBuf,
        /// Revoked from (RFC 3339; default now): bundles it sealed later, or
        /// not provably earlier, are refused.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// The revocation file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

fn org_passphrase(
    file: Option<&Path>,
    confirm: bool,
) -> anyhow::Result<zeroize::Zeroizing<String>> {
    crate::secrets::secret(
        file,
        "--org-passphrase-file",
        "CASEFILE_ORG_PASSPHRASE",
        "Organisation key passphrase: ",
        confirm,
    )
}

fn read_small(path: &Path, max: u64) -> anyhow::Result<Vec<u8>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= max,
        "{} is larger than the {max} bytes it may hold",
        path.display()
    );
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    String::from_utf8(read_small(path, org::MAX_STATEMENT)?)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))
}

fn signature_of(path: &Path) -> anyhow::Result<String> {
    let mut sig = path.as_os_str().to_owned();
    sig.push(".minisig");
    read_text(Path::new(&sig))
}

fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist)", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn write_statement(out: &Path, text: &str, sig: &str) -> anyhow::Result<()> {
    let mut sig_path = out.as_os_str().to_owned();
    sig_path.push(".minisig");
    write_new(out, text.as_bytes())?;
    write_new(Path::new(&sig_path), sig.as_bytes())
}

fn open_key(path: &Path, pf: Option<&Path>) -> anyhow::Result<OrgKey> {
    let bytes = read_small(path, 64 << 10)?;
    let pass = org_passphrase(pf, false)?;
    Ok(OrgKey::from_file(&bytes, &pass)?)
}

fn time_or_now(t: Option<String>) -> anyhow::Result<String> {
    let raw = t.unwrap_or_else(casefile::custody::log::now_utc);
    org::normalise_time(&raw).ok_or_else(|| anyhow::anyhow!("{raw:?} is not an RFC 3339 time"))
}

/// `org`.
pub fn run(action: OrgAction, pf: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    match action {
        OrgAction::Init { name, out } => {
            let key = OrgKey::generate(&name)?;
            let pass = org_passphrase(pf, true)?;
            anyhow::ensure!(
                pass.chars().count() >= 12,
                "the organisation key's passphrase must have at least 12 characters"
            );
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            write_new(&out.join("organisation.key"), &key.to_file(&pass)?)?;
            write_new(
                &out.join("organisation.pub"),
                key.public().to_minisign().as_bytes(),
            )?;
            if json {
                output::json(&serde_json::json!({
                    "name": key.name(), "fingerprint": key.public().fingerprint(),
                    "minisign": key.public().minisign_line(),
                }))?;
            } else {
                say!(
                    "organisation key for {} in {}: fingerprint {}",
                    output::one_line(key.name()),
                    out.display(),
                    key.public().fingerprint()
                );
                say!(
                    "keep organisation.key off the laptops it certifies; give organisation.pub to recipients"
                );
            }
        }
        OrgAction::Certify {
            key,
            device,
            member,
            from,
            out,
        } => {
            let org_key = open_key(&key, pf)?;
            let device = crate::bundle::read_key(&device)?;
            let (text, sig) = org_key.certify(&device, &member, &time_or_now(from)?)?;
            write_statement(&out, &text, &sig)?;
            say!(
                "certified device {} as {} of {}: {}",
                device.fingerprint(),
                output::one_line(&member),
                output::one_line(org_key.name()),
                out.display()
            );
        }
        OrgAction::Revoke {
            key,
            device,
            at,
            out,
        } => {
            let org_key = open_key(&key, pf)?;
            let device = crate::bundle::read_key(&device)?;
            let at = time_or_now(at)?;
            let (text, sig) = org_key.revoke(&device, &at)?;
            write_statement(&out, &text, &sig)?;
            say!(
                "revoked device {} from {at}: {}; recipients load it with `casefile senders revoke`",
                device.fingerprint(),
                out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `key certificate FILE`: keeps this device's certificate.
pub fn install(vault: &mut Vault, file: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let c = org::install_certificate(vault, &read_text(file)?, &signature_of(file)?)?;
    if json {
        output::json(&serde_json::json!({
            "organisation": c.organisation, "member": c.member, "valid_from": c.valid_from,
            "organisation_fingerprint": c.organisation_key.fingerprint(),
        }))?;
    } else {
        say!(
            "this device is certified as {} of {} (organisation fingerprint {}); its bundles carry the certificate",
            output::one_line(&c.member),
            output::one_line(&c.organisation),
            c.organisation_key.fingerprint()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `senders revoke FILE`.
pub fn load_revocation(vault: &mut Vault, file: &Path) -> anyhow::Result<Revocation> {
    Ok(org::load_revocation(
        vault,
        &read_text(file)?,
        &signature_of(file)?,
    )?)
}
