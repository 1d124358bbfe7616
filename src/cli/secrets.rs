//! Where the passphrase comes from: a file, the environment, or a prompt. Never argv.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use zeroize::Zeroizing;

const ENV: &str = "CASEFILE_PASSPHRASE";

/// Reads the passphrase; with `confirm`, a prompt asks twice.
pub fn passphrase(file: Option<&Path>, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    if let Some(path) = file {
        return read_secret_file(path);
    }
    if let Ok(p) = std::env::var(ENV) {
        return Ok(Zeroizing::new(p));
    }
    let first = prompt("Passphrase: ")?;
    if confirm {
        let again = prompt("Repeat passphrase: ")?;
        if *first != *again {
            bail!("the two passphrases differ; nothing was created");
        }
    }
    Ok(first)
}

fn prompt(label: &str) -> anyhow::Result<Zeroizing<String>> {
    rpassword::prompt_password(label)
        .map(Zeroizing::new)
        .map_err(|_| {
            anyhow::anyhow!(
                "no passphrase: set {ENV}, use --passphrase-file, or run in a terminal to be asked"
            )
        })
}

/// Reads a secret from a file, dropping one trailing newline.
pub fn read_secret_file(path: &Path) -> anyhow::Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_string(&mut text))
        .with_context(|| format!("cannot read the passphrase file {}", path.display()))?;
    let trimmed = text.strip_suffix('\n').unwrap_or(&text);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(Zeroizing::new(trimmed.to_string()))
}
