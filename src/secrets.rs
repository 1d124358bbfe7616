//! Where the passphrase comes from: a file, the environment, or a prompt. Never argv.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use zeroize::Zeroizing;

/// Reads the passphrase; with `confirm`, a prompt asks twice.
pub fn passphrase(file: Option<&Path>, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    secret(
        file,
        "--passphrase-file",
        "CASEFILE_PASSPHRASE",
        "Passphrase: ",
        confirm,
    )
}

/// Reads a new passphrase (file, CASEFILE_NEW_PASSPHRASE, or asked twice).
pub fn new_passphrase(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    secret(
        file,
        "--new-passphrase-file",
        "CASEFILE_NEW_PASSPHRASE",
        "New passphrase: ",
        true,
    )
}

/// Reads a secret from a file, dropping one trailing newline.
pub fn read_secret_file(path: &Path) -> anyhow::Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_string(&mut text))
        .with_context(|| format!("cannot read the secret file {}", path.display()))?;
    let trimmed = text.strip_suffix('\n').unwrap_or(&text);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(Zeroizing::new(trimmed.to_string()))
}

/// Reads a secret from a file, else an environment variable, else a prompt
/// (asked twice when `confirm`).
pub fn secret(
    file: Option<&Path>,
    option: &str,
    env: &str,
    label: &str,
    confirm: bool,
) -> anyhow::Result<Zeroizing<String>> {
    if let Some(path) = file {
        return read_secret_file(path);
    }
    if let Ok(v) = std::env::var(env) {
        return Ok(Zeroizing::new(v));
    }
    let ask = |l: &str| {
        rpassword::prompt_password(l)
            .map(Zeroizing::new)
            .map_err(|_| {
                anyhow::anyhow!(
                    "no {}: set {env}, use {option}, or run in a terminal to be asked",
                    label.trim_end_matches(": ").to_lowercase()
                )
            })
    };
    let first = ask(label)?;
    if confirm && *first != *ask(&format!("Repeat {}", label.to_lowercase()))? {
        bail!("the two entries differ; nothing was changed");
    }
    Ok(first)
}
