//! Case sheets: storing, validating and editing them, linking evidence,
//! testimony, and the corroboration matrix.
//!
//! A sheet is one JSON document in the encrypted database. Every change is a
//! custody event that lists the fields it changed.

pub mod consent;
pub(crate) mod date;
pub mod diff;
pub mod edit;
pub mod matrix;
pub mod schema;
pub mod sheet;
pub(crate) mod store;
pub mod template;
pub mod testimony;
pub mod text_scan;
pub mod validate;
pub mod vocabulary;

pub use sheet::CaseSheet;
pub use store::{
    CaseSummary, create, link, list, load, parse_sheet, parse_written_sheet, real_identity, save,
    set_real_identity,
};
pub use validate::FieldError;
pub use vocabulary::{Vocabulary, vocabulary};

use crate::VaultError;

/// Errors about case sheets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    /// No case has that id.
    #[error("no case {0}")]
    NoCase(String),
    /// The sheet is not valid JSON of the schema; names the field.
    #[error("case sheet field `{field}`: {message}")]
    Parse {
        /// JSON path of the field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The sheet parsed but breaks rules; the first problem is named, all are listed.
    #[error("case sheet field `{}`: {}{}", .0[0].field, .0[0].message, more(.0.len()))]
    Invalid(Vec<FieldError>),
    /// A named person or perpetrator is not in the sheet.
    #[error("no {what} {id} in case {case}")]
    NoParty {
        /// Which case.
        case: String,
        /// What was looked for.
        what: &'static str,
        /// The id given.
        id: String,
    },
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

fn more(n: usize) -> String {
    match n {
        1 => String::new(),
        2 => " (and 1 more problem)".into(),
        n => format!(" (and {} more problems)", n - 1),
    }
}

impl From<rusqlite::Error> for CaseError {
    fn from(e: rusqlite::Error) -> Self {
        CaseError::Vault(e.into())
    }
}
