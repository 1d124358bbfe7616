//! The JSON Schema of a case sheet, derived from the sheet's own types so
//! that it can never say other than what the library accepts: editors
//! complete and check a sheet with it (docs/case-sheet.schema.json).
//! The rules that span fields (ids unique, references that resolve, dates
//! that exist) are the library's alone; `case edit` names them.

use super::sheet::CaseSheet;

/// The schema (draft 2020-12), pretty-printed, ending with a new line.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(CaseSheet);
    // A schema is plain data; printing it cannot fail.
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
