//! Case sheets: list, read, create, save, corroboration, demo.

use std::collections::HashMap;

use casefile::case::matrix::{Allegation, corroboration as matrix};
use casefile::case::sheet::{CaseType, Regime};
use casefile::case::{self, CaseSheet, CaseSummary};
use tauri::State;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// The closed lists of values the forms offer, from the library.
#[tauri::command]
pub fn vocabulary() -> case::Vocabulary {
    case::vocabulary()
}

/// Every case.
#[tauri::command]
pub async fn list_cases(state: State<'_, AppState>) -> ApiResult<Vec<CaseSummary>> {
    state.with(|v| Ok(case::list(v)?))
}

/// One case sheet.
#[tauri::command]
pub async fn case_sheet(state: State<'_, AppState>, id: String) -> ApiResult<CaseSheet> {
    state.with(|v| Ok(case::load(v, &id)?))
}

/// Creates a case.
#[tauri::command]
pub async fn new_case(
    state: State<'_, AppState>,
    title: String,
    case_type: String,
    regimes: Vec<String>,
) -> ApiResult<CaseSheet> {
    let case_type: CaseType = case_type
        .parse()
        .map_err(|e: String| ApiError::new(ErrorCode::Invalid, e))?;
    let regimes = regimes
        .iter()
        .map(|r| {
            r.parse::<Regime>()
                .map_err(|e| ApiError::new(ErrorCode::Invalid, e))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    state.with(|v| Ok(case::create(v, &title, case_type, regimes)?))
}

/// Saves an edited sheet (validated; the changes are logged).
#[tauri::command]
pub async fn save_case(
    state: State<'_, AppState>,
    sheet: serde_json::Value,
) -> ApiResult<Vec<String>> {
    let sheet = case::parse_sheet(&sheet.to_string())?;
    state.with(|v| Ok(case::save(v, &sheet)?))
}

/// The corroboration matrix of a case.
#[tauri::command]
pub async fn corroboration(state: State<'_, AppState>, id: String) -> ApiResult<Vec<Allegation>> {
    state.with(|v| {
        let sheet = case::load(v, &id)?;
        let items: HashMap<_, _> = v.list()?.into_iter().map(|i| (i.id.clone(), i)).collect();
        Ok(matrix(&sheet, &items))
    })
}

/// Fills the vault with the fictional demo case.
#[tauri::command]
pub async fn demo(state: State<'_, AppState>) -> ApiResult<CaseSheet> {
    state.with(|v| Ok(casefile::demo::fill(v)?))
}

/// Records a testimony typed into the form.
#[tauri::command]
pub async fn record_testimony(
    state: State<'_, AppState>,
    interview: casefile::case::testimony::Interview,
    statement: String,
) -> ApiResult<casefile::case::testimony::Recorded> {
    state.with(|v| {
        Ok(casefile::case::testimony::record(
            v,
            &interview,
            &statement,
            None,
            &casefile::Task::none(),
        )?)
    })
}
