//! Tauri commands, one module per area. Each translates between the UI and
//! the library; long work runs on a blocking thread and reports progress.

pub mod bundles;
pub mod cases;
pub mod delivery;
pub mod dialogs;
pub mod trust;
pub mod vault;

use std::cell::Cell;
use std::time::{Duration, Instant};

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// A progress event for the UI's progress view.
#[derive(Clone, Serialize)]
struct Progress {
    op: &'static str,
    done: u64,
    total: u64,
}

/// Runs long work off the UI thread with progress events and a fresh cancel flag.
pub async fn long_work<R: Runtime, T: Send + 'static>(
    app: AppHandle<R>,
    op: &'static str,
    total: u64,
    work: impl FnOnce(&AppState, &casefile::Task<'_>) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let cancel = state.start_work();
        let done = Cell::new(0u64);
        // Work that learns its size as it goes (an export) says so.
        let total = Cell::new(total);
        let set_total = |n: u64| total.set(n);
        let last = Cell::new(Instant::now());
        let report = |n: u64| {
            done.set(done.get() + n);
            if last.get().elapsed() > Duration::from_millis(100) {
                last.set(Instant::now());
                let _ = app.emit(
                    "progress",
                    Progress {
                        op,
                        done: done.get(),
                        total: total.get(),
                    },
                );
            }
        };
        let task = casefile::Task::none()
            .with_progress(&report)
            .with_total(&set_total)
            .with_cancel(&cancel);
        let result = work(&state, &task);
        state.end_work(&cancel);
        let _ = app.emit(
            "progress",
            Progress {
                op,
                done: total.get(),
                total: total.get(),
            },
        );
        result
    })
    .await
    .map_err(|e| ApiError::new(ErrorCode::Internal, format!("background work failed: {e}")))?
}

/// Asks the user a yes/no question in a native dialog (a script in the page
/// cannot answer it); the labels come translated from the page.
pub async fn confirm<R: Runtime>(
    app: &AppHandle<R>,
    question: &str,
    yes: &str,
    no: &str,
) -> ApiResult<bool> {
    use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
    if !app.state::<AppState>().ask_in_dialog {
        return Ok(true);
    }
    let (app, question, yes, no) = (
        app.clone(),
        question.to_string(),
        yes.to_string(),
        no.to_string(),
    );
    tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .message(question)
            .kind(MessageDialogKind::Warning)
            .buttons(MessageDialogButtons::OkCancelCustom(yes, no))
            .blocking_show()
    })
    .await
    .map_err(|e| {
        ApiError::new(
            ErrorCode::Internal,
            format!("the question could not be asked: {e}"),
        )
    })
}
