//! The commands through Tauri's IPC with the mock runtime: no window needed.
//! The window itself is tested end to end in tests/desktop.rs.

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow};

fn start(dir: &std::path::Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let mut state = crate::state::AppState::at(dir.to_path_buf());
    state.ask_in_dialog = false;
    state.home = dir.parent().and_then(|p| p.canonicalize().ok());
    let app = crate::app(mock_builder(), state, false)
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("window");
    (app, window)
}

fn call(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|b| b.deserialize::<Value>().expect("json"))
}

#[test]
fn commands_speak_code_and_message() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("vault");
    let (_app, w) = start(&dir);

    let status = call(&w, "status", json!({})).expect("status");
    assert_eq!(status["exists"], false);
    assert_eq!(status["unlocked"], false);

    let locked = call(&w, "list_items", json!({})).expect_err("locked");
    assert_eq!(locked["code"], "locked");

    let weak = call(
        &w,
        "create_vault",
        json!({"passphrase": "short", "collector": ""}),
    )
    .expect_err("weak");
    assert_eq!(weak["code"], "weak_passphrase");

    let created = call(
        &w,
        "create_vault",
        json!({"passphrase": "mock runtime passphrase", "collector": "Tester"}),
    )
    .expect("created");
    let code = created["recovery_code"].as_str().expect("code");
    assert_eq!(code.len(), 39);
    let group = created["confirm_group"].as_u64().expect("group");
    assert!((1..=8).contains(&group), "{group}");
    let part = code.split('-').nth(group as usize - 1).expect("part");
    let matches = |typed: &str| {
        call(
            &w,
            "recovery_group_matches",
            json!({"code": code, "group": group, "typed": typed}),
        )
        .expect("matches")
    };
    assert_eq!(matches(&part.to_lowercase()), json!(true));
    assert_eq!(matches(""), json!(false));
    let other = code.split('-').nth(group as usize % 8).expect("other");
    assert_eq!(matches(other), json!(other == part));
    assert_eq!(call(&w, "list_items", json!({})).expect("items"), json!([]));

    let status = call(&w, "status", json!({})).expect("status");
    let token = status["token"].as_str().expect("token").to_string();
    assert_eq!(
        status["fingerprint"].as_str().expect("fingerprint").len(),
        64
    );
    call(&w, "lock", json!({})).expect("lock");
    let status = call(&w, "status", json!({})).expect("status");
    assert!(status["token"].is_null() && status["unlocked"] == false);
    assert!(!token.is_empty());
    let wrong = call(&w, "unlock", json!({"passphrase": "not it"})).expect_err("wrong");
    assert_eq!(wrong["code"], "wrong_passphrase");
    assert!(
        wrong["message"]
            .as_str()
            .expect("message")
            .contains("wrong passphrase")
    );
    call(
        &w,
        "unlock",
        json!({"passphrase": "mock runtime passphrase"}),
    )
    .expect("unlock");

    let sheet = call(
        &w,
        "new_case",
        json!({"title": "Mock case", "caseType": "corruption", "regimes": ["other"]}),
    )
    .expect("case");
    let mut bad = sheet.clone();
    bad["incidents"] = json!([{"id": "I1", "violation": "shouting", "start": "2024"}]);
    let err = call(&w, "save_case", json!({"sheet": bad})).expect_err("invalid");
    assert_eq!(err["code"], "invalid_sheet");
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("incidents[0].violation")
    );
    let missing = call(
        &w,
        "verify_bundle",
        json!({"path": dir.join("nope").to_str().expect("path"), "identity": null}),
    )
    .expect_err("missing");
    assert_eq!(missing["code"], "path_refused");
    // Paths the page makes up are checked: not the system's, not the vault,
    // not a hidden folder for a destination.
    std::fs::create_dir_all(tmp.path().join(".config/autostart")).expect("dir");
    for (cmd, args) in [
        (
            "add_files",
            json!({"paths": ["/proc/self/environ"], "source": ""}),
        ),
        (
            "add_files",
            json!({"paths": [dir.to_str().expect("path")], "source": ""}),
        ),
        (
            "add_files",
            json!({"paths": ["relative/path"], "source": ""}),
        ),
        (
            "export_bundle",
            json!({"case": sheet["id"], "out": dir.join("blobs/out").to_str().expect("path"),
                   "zip": false, "items": [], "recipients": [], "preparedFor": null}),
        ),
        (
            "export_bundle",
            json!({"case": sheet["id"], "out": tmp.path().join(".config/autostart/out").to_str().expect("path"),
                   "zip": false, "items": [], "recipients": [], "preparedFor": null}),
        ),
    ] {
        let refused = call(&w, cmd, args).expect_err(cmd);
        assert_eq!(refused["code"], "path_refused", "{cmd}: {refused}");
    }
    assert!(!tmp.path().join(".config/autostart/out").exists());
}

#[test]
fn guard_limit_and_panic_wipe() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("vault");
    let (_app, w) = start(&dir);
    call(
        &w,
        "create_vault",
        json!({"passphrase": "mock runtime passphrase", "collector": "Tester"}),
    )
    .expect("created");
    let low = call(&w, "set_wipe_after", json!({"limit": 1})).expect_err("too low");
    assert_eq!(low["code"], "invalid");
    let set = call(&w, "set_wipe_after", json!({"limit": 5})).expect("set");
    assert_eq!(set["wipe_after"], 5);
    assert_eq!(
        call(&w, "guard", json!({})).expect("guard")["wipe_after"],
        5
    );

    let wiped = call(
        &w,
        "wipe_vault",
        json!({"question": "Wipe?", "confirm": "Wipe", "cancel": "Cancel"}),
    )
    .expect("wiped");
    assert!(wiped["keys_destroyed_ms"].as_f64().expect("ms") < 1000.0);
    assert_eq!(wiped["files_removed"], true);
    assert!(!dir.join("keyslots.json").exists());
    let status = call(&w, "status", json!({})).expect("status");
    assert_eq!(status["exists"], false);
    assert_eq!(status["unlocked"], false);
    let gone = call(
        &w,
        "unlock",
        json!({"passphrase": "mock runtime passphrase"}),
    )
    .expect_err("nothing to unlock");
    assert_eq!(gone["code"], "no_vault");
}

/// The forms read their lists from the library: every value of every list
/// has its label in each of the five languages, so a value the library adds
/// never shows up as a bare key.
#[test]
fn every_value_the_forms_offer_has_a_label_in_every_language() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (_app, w) = start(&tmp.path().join("vault"));
    let lists = call(&w, "vocabulary", json!({})).expect("vocabulary");
    let prefixes = [
        ("case_types", "type_"),
        ("regimes", "regime_"),
        ("liability", "liability_"),
        ("person_roles", "role_"),
        ("consent_uses", "use_"),
        ("violations", "violation_"),
        ("links", "link_"),
        ("item_kinds", "kind_"),
    ];
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/i18n");
    for lang in ["en", "ar", "es", "ru", "zh"] {
        let text = std::fs::read_to_string(ui.join(format!("{lang}.json"))).expect("i18n file");
        let strings: Value = serde_json::from_str(&text).expect("i18n json");
        for (list, prefix) in prefixes {
            let values = lists[list].as_array().expect("a list");
            assert!(!values.is_empty(), "{list} is empty");
            for v in values {
                let key = format!("{prefix}{}", v.as_str().expect("a value"));
                let label = strings[&key].as_str().unwrap_or("");
                assert!(!label.trim().is_empty(), "{lang}.json has no {key}");
            }
        }
    }
}
