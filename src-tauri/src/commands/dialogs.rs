//! The app's own file dialogs, opened from Rust: what the user chooses in
//! them is remembered as granted (see paths.rs), so the page never gets to
//! name an arbitrary path on its own.

use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

async fn blocking<R: Runtime, T: Send + 'static>(
    app: AppHandle<R>,
    f: impl FnOnce(&AppHandle<R>) -> T + Send + 'static,
) -> ApiResult<T> {
    tauri::async_runtime::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the dialog failed: {e}")))
}

fn keep<R: Runtime>(app: &AppHandle<R>, paths: Vec<PathBuf>) -> Vec<String> {
    app.state::<AppState>().grant(&paths);
    paths
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

/// Files (or one folder) to read: evidence to add, a bundle, an identity file.
#[tauri::command]
pub async fn choose_files<R: Runtime>(
    app: AppHandle<R>,
    folder: bool,
    many: bool,
) -> ApiResult<Vec<String>> {
    blocking(app, move |app| {
        let dialog = app.dialog().file();
        let chosen: Vec<PathBuf> = if folder {
            dialog
                .blocking_pick_folder()
                .and_then(|p| p.into_path().ok())
                .into_iter()
                .collect()
        } else if many {
            dialog
                .blocking_pick_files()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.into_path().ok())
                .collect()
        } else {
            dialog
                .blocking_pick_file()
                .and_then(|p| p.into_path().ok())
                .into_iter()
                .collect()
        };
        keep(app, chosen)
    })
    .await
}

/// Where to write a bundle.
#[tauri::command]
pub async fn choose_destination<R: Runtime>(
    app: AppHandle<R>,
    name: String,
) -> ApiResult<Option<String>> {
    blocking(app, move |app| {
        let chosen = app
            .dialog()
            .file()
            .set_file_name(name)
            .blocking_save_file()
            .and_then(|p| p.into_path().ok());
        keep(app, chosen.into_iter().collect()).pop()
    })
    .await
}
