//! Errors cross to the UI as `{code, message}`; the UI decides on `code`.

use casefile::VaultError;
use casefile::bundle::BundleError;
use casefile::case::CaseError;
use serde::Serialize;

/// An error as the UI receives it.
#[derive(Debug, Serialize)]
pub struct ApiError {
    /// Stable machine-readable code.
    pub code: &'static str,
    /// One sentence for a person.
    pub message: String,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        let code = match &e {
            VaultError::NoVault(_) => "no_vault",
            VaultError::Exists(_) => "vault_exists",
            VaultError::WrongPassphrase => "wrong_passphrase",
            VaultError::WrongRecoveryCode => "wrong_recovery_code",
            VaultError::WipedAfterFailures(_) => "wiped",
            VaultError::WeakPassphrase(_) => "weak_passphrase",
            VaultError::NoItem(_) | VaultError::Ambiguous(_) => "no_item",
            VaultError::Read { .. } | VaultError::NotAFile(_) => "unreadable_file",
            VaultError::FileChanged(_) => "file_changed",
            VaultError::DestinationExists(_) => "destination_exists",
            VaultError::Cancelled => "cancelled",
            VaultError::Invalid(_) => "invalid",
            VaultError::Media(_) => "picture",
            e if e.is_integrity() => "damaged",
            _ => "internal",
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Vault(v) => v.into(),
            CaseError::NoCase(_) => ApiError::new("no_case", e.to_string()),
            other => ApiError::new("invalid_sheet", other.to_string()),
        }
    }
}

impl From<BundleError> for ApiError {
    fn from(e: BundleError) -> Self {
        match e {
            BundleError::Vault(v) => v.into(),
            BundleError::Case(c) => c.into(),
            BundleError::Cancelled => ApiError::new("cancelled", e.to_string()),
            BundleError::NeedsIdentity(_) | BundleError::Decrypt(_) => {
                ApiError::new("needs_identity", e.to_string())
            }
            BundleError::Unpinned { .. } => ApiError::new("unpinned", e.to_string()),
            ref other if other.is_integrity() => ApiError::new("integrity", e.to_string()),
            other => ApiError::new("invalid", other.to_string()),
        }
    }
}

/// What every command returns.
pub type ApiResult<T> = Result<T, ApiError>;
