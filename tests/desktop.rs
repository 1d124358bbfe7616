//! The desktop app end to end, in a real window under Xvfb, driven over
//! WebDriver (tauri-driver + WebKitWebDriver) by tests/e2e/desktop.py. Then the
//! bundle it exported is checked with the command line, as a recipient would.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Env, require_tool};

#[test]
fn desktop_app_end_to_end() {
    for tool in ["Xvfb", "tauri-driver", "WebKitWebDriver", "python3"] {
        require_tool(tool);
    }
    let cli = Path::new(env!("CARGO_BIN_EXE_casefile"));
    let app = cli.with_file_name("casefile-desktop");
    assert!(
        app.is_file(),
        "{} is missing: ./scripts/test builds it before the tests",
        app.display()
    );
    let env = Env::new();
    let photo = env.path("facility.jpg");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/facility-photo.jpg"),
        &photo,
    )
    .unwrap();
    let note = env.path("interview-notes.txt");
    std::fs::write(&note, "Notes of the interview with L-1.").unwrap();
    let bundle = env.path("bundle");
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
    let status = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/desktop.py"))
        .args([
            "--app",
            app.to_str().unwrap(),
            "--vault",
            env.vault.to_str().unwrap(),
        ])
        .args(["--files", photo.to_str().unwrap(), note.to_str().unwrap()])
        .args([
            "--bundle",
            bundle.to_str().unwrap(),
            "--shots",
            shots.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the desktop walk-through failed; screenshots in {}",
        shots.display()
    );

    // What the app did is real: the CLI sees it with the same passphrase.
    let run = |args: &[&str]| {
        let out = env
            .cmd(args)
            .env("CASEFILE_PASSPHRASE", "e2e passphrase for the desktop")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let out = Command::new(cli)
        .arg("verify")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "casefile verify: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let items: serde_json::Value = serde_json::from_str(&run(&["--json", "list"])).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 2);
    let cases: serde_json::Value = serde_json::from_str(&run(&["--json", "case", "list"])).unwrap();
    assert_eq!(cases[0]["perpetrators"], 1);
    assert_eq!(cases[0]["incidents"], 1);
    assert_eq!(cases[0]["evidence"], 2);
    assert!(run(&["log", "verify"]).contains("custody log verified"));
}
