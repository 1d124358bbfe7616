//! Turning errors into one sentence and an exit code.

use casefile::VaultError;
use casefile::bundle::BundleError;
use casefile::case::CaseError;
use casefile::delivery::DeliveryError;
use casefile::remote::RemoteError;

/// Exit code for integrity failures (damaged or tampered data).
pub const INTEGRITY: u8 = 1;
/// Exit code for usage and input errors.
pub const USAGE: u8 = 2;
/// Exit code for a bundle intact and validly signed by a key nobody pinned.
pub const UNPINNED: u8 = 3;
/// Exit code for a server that could not be reached: try again later.
pub const RETRY: u8 = 4;
/// Exit code for an operation stopped by Ctrl-C (128 + SIGINT, as shells do).
pub const CANCELLED: u8 = 130;

/// An integrity failure found by a check that itself ran fine.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct IntegrityFailure(pub String);

/// A bundle that holds, signed by a key that is not pinned.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unpinned(pub String);

/// The stable name of an error, for scripts reading `--json` errors: the
/// commonest cases a script acts on by name, else the exit code's name.
pub fn code_name(e: &anyhow::Error, exit: u8) -> &'static str {
    let vault = e
        .downcast_ref::<VaultError>()
        .or_else(|| match e.downcast_ref::<BundleError>() {
            Some(BundleError::Vault(v)) => Some(v),
            _ => None,
        });
    match vault {
        Some(VaultError::NoVault(_)) => return "no_vault",
        Some(VaultError::WrongPassphrase) => return "wrong_passphrase",
        Some(VaultError::NoItem(_)) => return "not_found",
        _ => {}
    }
    if let Some(BundleError::Exists(_)) = e.downcast_ref::<BundleError>() {
        return "exists";
    }
    match exit {
        INTEGRITY => "integrity",
        USAGE => "usage",
        UNPINNED => "unpinned",
        RETRY => "retry",
        CANCELLED => "cancelled",
        _ => "error",
    }
}

/// An error as one line of JSON for standard error under `--json`:
/// `{"code": "usage", "exit": 2, "message": "..."}`.
pub fn json(code: &str, exit: u8, message: &str) -> String {
    serde_json::json!({ "code": code, "exit": exit, "message": message }).to_string()
}

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

/// The exit code of one error in a chain, if it decides one.
fn code_of(e: &(dyn std::error::Error + 'static)) -> Option<u8> {
    if e.is::<IntegrityFailure>() {
        return Some(INTEGRITY);
    }
    if e.is::<Unpinned>() {
        return Some(UNPINNED);
    }
    if let Some(b) = e.downcast_ref::<BundleError>() {
        return match b {
            BundleError::Unpinned { .. } => Some(UNPINNED),
            BundleError::Cancelled => Some(CANCELLED),
            BundleError::Vault(v) => code_of(v),
            b if b.is_integrity() => Some(INTEGRITY),
            _ => None,
        };
    }
    if let Some(d) = e.downcast_ref::<DeliveryError>() {
        return match d {
            DeliveryError::Refused { .. } => Some(INTEGRITY),
            DeliveryError::Stale { .. } => None,
            DeliveryError::Remote(r) => code_of(r),
            DeliveryError::Bundle(b) => code_of(b),
            DeliveryError::Vault(v) => code_of(v),
        };
    }
    if let Some(RemoteError::Unreachable { .. }) = e.downcast_ref::<RemoteError>() {
        return Some(RETRY);
    }
    if let Some(VaultError::Remote(RemoteError::Unreachable { .. })) =
        e.downcast_ref::<VaultError>()
    {
        return Some(RETRY);
    }
    if let Some(VaultError::Cancelled) = e.downcast_ref::<VaultError>() {
        return Some(CANCELLED);
    }
    if let Some(v) = e.downcast_ref::<VaultError>() {
        return v.is_integrity().then_some(INTEGRITY);
    }
    if let Some(CaseError::Vault(v)) = e.downcast_ref::<CaseError>() {
        return v.is_integrity().then_some(INTEGRITY);
    }
    None
}

/// 1 for integrity failures anywhere in the chain of causes, 3 for an
/// unpinned signer, 4 for a server to try again, 130 for Ctrl-C, 2 for
/// everything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    e.chain().find_map(code_of).unwrap_or(USAGE)
}
