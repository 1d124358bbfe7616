//! Declares every command the app has, so each gets its own permission
//! (`allow-<command>`), and the window may call only those its capability
//! (capabilities/main.json) lists.

/// Every command of the app; main.rs registers the same.
const COMMANDS: &[&str] = &[
    "status",
    "passphrase_strength",
    "check_vault",
    "choose_files",
    "choose_destination",
    "list_senders",
    "trust_sender",
    "create_vault",
    "recovery_group_matches",
    "unlock",
    "lock",
    "wipe_vault",
    "guard",
    "set_wipe_after",
    "list_items",
    "item_detail",
    "redact",
    "add_files",
    "cancel",
    "search",
    "verify_log",
    "vocabulary",
    "list_cases",
    "case_sheet",
    "new_case",
    "save_case",
    "corroboration",
    "demo",
    "record_testimony",
    "export_bundle",
    "verify_bundle",
    "import_bundle",
    "list_authorities",
    "add_authority",
    "remove_authority",
    "timestamp_now",
    "device_certificate",
    "list_remotes",
    "add_remote",
    "remove_remote",
    "test_remote",
    "send_bundle",
    "pending_sends",
    "resume_send",
    "abandon_send",
    "inbox",
    "inbox_import",
    "outbox",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build: {e:#}");
    }
}
