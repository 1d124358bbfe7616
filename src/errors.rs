//! Turning errors into one sentence and an exit code.

use casefile::VaultError;

/// Exit code for integrity failures (damaged or tampered data).
pub const INTEGRITY: u8 = 1;
/// Exit code for usage and input errors.
pub const USAGE: u8 = 2;

/// An integrity failure found by a check that itself ran fine.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct IntegrityFailure(pub String);

/// The error as one line, with a hint where the user can act on it.
pub fn sentence(e: &anyhow::Error) -> String {
    match e.downcast_ref::<VaultError>() {
        Some(VaultError::NoVault(dir)) => format!(
            "no vault at {}; create one with `casefile init` or point --vault at it",
            dir.display()
        ),
        Some(VaultError::WrongPassphrase) => "wrong passphrase; nothing was changed".into(),
        _ => e.to_string(),
    }
}

/// 1 for integrity failures, 2 for everything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<IntegrityFailure>().is_some() {
        return INTEGRITY;
    }
    if let Some(b) = e.downcast_ref::<casefile::bundle::BundleError>() {
        return if b.is_integrity() { INTEGRITY } else { USAGE };
    }
    match e.downcast_ref::<VaultError>() {
        Some(v) if v.is_integrity() => INTEGRITY,
        _ => USAGE,
    }
}
