//! Errors cross to the UI as `{code, message}`; the UI decides on `code`.

use casefile::VaultError;
use casefile::bundle::BundleError;
use casefile::case::CaseError;
use casefile::delivery::DeliveryError;
use casefile::remote::RemoteError;
use serde::Serialize;

/// The stable codes the UI decides on; serialised in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No vault at the path.
    NoVault,
    /// A vault is already there.
    VaultExists,
    /// The passphrase did not open the vault.
    WrongPassphrase,
    /// The recovery code did not open the vault.
    WrongRecoveryCode,
    /// The vault was wiped after too many failed guesses.
    Wiped,
    /// A new passphrase is too easy to guess.
    WeakPassphrase,
    /// No such item (or an id too short or ambiguous).
    NoItem,
    /// A file could not be read.
    UnreadableFile,
    /// A file changed while it was read.
    FileChanged,
    /// The destination is already there.
    DestinationExists,
    /// The user cancelled the work.
    Cancelled,
    /// Input that does not fit its grammar.
    Invalid,
    /// A picture that cannot be decoded safely.
    Picture,
    /// Damaged or tampered data in the vault.
    Damaged,
    /// Anything else; a bug or the system.
    Internal,
    /// No such case.
    NoCase,
    /// A case sheet that does not validate.
    InvalidSheet,
    /// An encrypted bundle needs an identity that opens it.
    NeedsIdentity,
    /// A bundle signed by a key nobody pinned.
    Unpinned,
    /// A bag with no seal, imported only when asked.
    Unsigned,
    /// A bundle that fails its checks.
    Integrity,
    /// The vault is locked.
    Locked,
    /// A path the app will not use.
    PathRefused,
    /// A server that could not be reached: try again later.
    Unreachable,
    /// A server that refused the user name or secret.
    Denied,
    /// A server that answered with a failure (no room, an error of its own).
    Server,
    /// A delivery on a remote that is damaged or not what it claims.
    Refused,
}

/// An error as the UI receives it.
#[derive(Debug, Serialize)]
pub struct ApiError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// One sentence for a person.
    pub message: String,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        let code = match &e {
            VaultError::NoVault(_) => ErrorCode::NoVault,
            VaultError::Exists(_) => ErrorCode::VaultExists,
            VaultError::WrongPassphrase => ErrorCode::WrongPassphrase,
            VaultError::WrongRecoveryCode => ErrorCode::WrongRecoveryCode,
            VaultError::WipedAfterFailures(_) => ErrorCode::Wiped,
            VaultError::WeakPassphrase(_) => ErrorCode::WeakPassphrase,
            VaultError::NoItem(_) | VaultError::Ambiguous(_) | VaultError::ShortPrefix(_) => {
                ErrorCode::NoItem
            }
            VaultError::Read { .. } | VaultError::NotAFile(_) => ErrorCode::UnreadableFile,
            VaultError::FileChanged(_) => ErrorCode::FileChanged,
            VaultError::DestinationExists(_) => ErrorCode::DestinationExists,
            VaultError::Cancelled => ErrorCode::Cancelled,
            VaultError::Invalid(_) => ErrorCode::Invalid,
            VaultError::Media(_) => ErrorCode::Picture,
            VaultError::Remote(r) => return ApiError::from_remote(r, e.to_string()),
            e if e.is_integrity() => ErrorCode::Damaged,
            _ => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Vault(v) => v.into(),
            CaseError::NoCase(_) => ApiError::new(ErrorCode::NoCase, e.to_string()),
            other => ApiError::new(ErrorCode::InvalidSheet, other.to_string()),
        }
    }
}

impl From<BundleError> for ApiError {
    fn from(e: BundleError) -> Self {
        match e {
            BundleError::Vault(v) => v.into(),
            BundleError::Case(c) => c.into(),
            BundleError::Cancelled => ApiError::new(ErrorCode::Cancelled, e.to_string()),
            BundleError::NeedsIdentity(_) | BundleError::Decrypt(_) => {
                ApiError::new(ErrorCode::NeedsIdentity, e.to_string())
            }
            BundleError::Unpinned { .. } => ApiError::new(ErrorCode::Unpinned, e.to_string()),
            BundleError::Unsigned => ApiError::new(ErrorCode::Unsigned, e.to_string()),
            ref other if other.is_integrity() => ApiError::new(ErrorCode::Integrity, e.to_string()),
            other => ApiError::new(ErrorCode::Invalid, other.to_string()),
        }
    }
}

impl ApiError {
    fn from_remote(e: &RemoteError, message: String) -> Self {
        let code = match e {
            RemoteError::Unreachable { .. } => ErrorCode::Unreachable,
            RemoteError::Denied { .. } => ErrorCode::Denied,
            RemoteError::Invalid(_) => ErrorCode::Invalid,
            _ => ErrorCode::Server,
        };
        ApiError::new(code, message)
    }
}

impl From<RemoteError> for ApiError {
    fn from(e: RemoteError) -> Self {
        let message = e.to_string();
        ApiError::from_remote(&e, message)
    }
}

impl From<DeliveryError> for ApiError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Bundle(b) => b.into(),
            DeliveryError::Vault(v) => v.into(),
            DeliveryError::Remote(r) => r.into(),
            refused @ DeliveryError::Refused { .. } => {
                ApiError::new(ErrorCode::Refused, refused.to_string())
            }
            stale @ DeliveryError::Stale { .. } => {
                ApiError::new(ErrorCode::Invalid, stale.to_string())
            }
        }
    }
}

/// What every command returns.
pub type ApiResult<T> = Result<T, ApiError>;
