//! The Casefile desktop app: a Tauri window over the casefile library.
//! Commands are thin adapters; all logic lives in the library.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod paths;
mod preview;
mod sleep;
mod state;
mod window;

/// The app's commands and state on a builder (the real runtime, or the mock
/// one in tests, which makes its own window).
fn app<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    state: state::AppState,
    with_window: bool,
) -> tauri::Builder<R> {
    builder
        .manage(state)
        .register_asynchronous_uri_scheme_protocol("casefile", preview::handle)
        .setup(move |app| {
            if with_window {
                window::open(app.handle())?;
            }
            sleep::watch(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::vault::status,
            commands::vault::passphrase_strength,
            commands::vault::check_vault,
            commands::dialogs::choose_files,
            commands::dialogs::choose_destination,
            commands::bundles::list_senders,
            commands::bundles::trust_sender,
            commands::vault::create_vault,
            commands::vault::recovery_group_matches,
            commands::vault::unlock,
            commands::vault::lock,
            commands::vault::wipe_vault,
            commands::vault::guard,
            commands::vault::set_wipe_after,
            commands::vault::list_items,
            commands::vault::item_detail,
            commands::vault::redact,
            commands::vault::add_files,
            commands::vault::cancel,
            commands::vault::search,
            commands::vault::verify_log,
            commands::cases::vocabulary,
            commands::cases::list_cases,
            commands::cases::case_sheet,
            commands::cases::new_case,
            commands::cases::save_case,
            commands::cases::corroboration,
            commands::cases::demo,
            commands::cases::record_testimony,
            commands::bundles::export_bundle,
            commands::trust::list_authorities,
            commands::trust::add_authority,
            commands::trust::remove_authority,
            commands::trust::timestamp_now,
            commands::trust::device_certificate,
            commands::bundles::verify_bundle,
            commands::bundles::import_bundle,
            commands::delivery::list_remotes,
            commands::delivery::add_remote,
            commands::delivery::remove_remote,
            commands::delivery::test_remote,
            commands::delivery::send_bundle,
            commands::delivery::pending_sends,
            commands::delivery::resume_send,
            commands::delivery::abandon_send,
            commands::delivery::inbox,
            commands::delivery::inbox_import,
            commands::delivery::outbox,
        ])
}

fn main() {
    // A HEIF picture is decoded by this program started again (see
    // casefile::media::HEIF_CHILD_ARG): that run decodes and exits here.
    casefile::media::serve_heif_decoder_if_asked();
    if let Err(e) = casefile::harden::harden_process() {
        eprintln!("warning: cannot keep this process out of core dumps and debuggers: {e}");
    }
    app(
        tauri::Builder::default().plugin(tauri_plugin_dialog::init()),
        state::AppState::new(),
        true,
    )
    .run(tauri::generate_context!())
    .unwrap_or_else(|e| {
        eprintln!("error: cannot start the window: {e}");
        std::process::exit(1);
    });
}

#[cfg(test)]
mod tests;
