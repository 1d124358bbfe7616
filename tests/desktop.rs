//! The desktop app end to end, in a real window under Xvfb, driven over
//! WebDriver (tauri-driver + WebKitWebDriver) by tests/e2e/desktop.py. Then the
//! bundle it exported is checked with the command line, as a recipient would.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Env, require_tool};

const MARKER: &str = "CASEFILE-E2E-PLAINTEXT-MARKER-5d1c9e";

/// Files under `dir` changed since `since` whose bytes contain the marker.
/// Tolerant of files that vanish or cannot be read while it walks.
fn holding_marker(dir: &Path, since: std::time::SystemTime) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            found.extend(holding_marker(&path, since));
        } else if meta.is_file()
            && meta.len() < 256 << 20
            && meta.modified().is_ok_and(|m| m >= since)
            && std::fs::read(&path)
                .is_ok_and(|b| b.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()))
        {
            found.push(path);
        }
    }
    found
}

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
    let started = std::time::SystemTime::now() - std::time::Duration::from_secs(2);
    // The photo carries a marker in a JPEG comment: viewing it must leave no
    // copy of it anywhere on disk, and its redacted copy must not carry it.
    let photo = env.path("facility.jpg");
    let jpeg =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/facility-photo.jpg"))
            .unwrap();
    let comment = [
        &[0xFF, 0xFE, 0, (MARKER.len() + 2) as u8][..],
        MARKER.as_bytes(),
    ]
    .concat();
    std::fs::write(&photo, [&jpeg[..2], &comment[..], &jpeg[2..]].concat()).unwrap();
    let app_home = env.path("app-home");
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
            "--home",
            app_home.to_str().unwrap(),
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
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 3, "two files and a redacted copy");
    let copy = items
        .iter()
        .find(|i| i["derivation"]["operation"] == "redaction")
        .expect("the redacted copy");
    assert_eq!(
        copy["derivation"]["boxes"][0],
        serde_json::json!({"x": 40, "y": 60, "w": 300, "h": 200})
    );
    assert_eq!(copy["derivation"]["blurs"][0]["x"], 500);
    let out = env.path("redacted.jpg");
    run(&[
        "extract",
        copy["id"].as_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let redacted = std::fs::read(&out).unwrap();
    assert!(
        !redacted
            .windows(MARKER.len())
            .any(|w| w == MARKER.as_bytes()),
        "the comment is stripped"
    );
    std::fs::remove_file(&out).unwrap();

    // Viewing and previewing left no plaintext: not in the vault, not in the
    // app's cache, data, config or temp folders, not in the system temp folder.
    for dir in [env.vault.clone(), app_home.clone(), std::env::temp_dir()] {
        let found: Vec<_> = holding_marker(&dir, started)
            .into_iter()
            .filter(|f| !f.starts_with(env.path("bundle")) && *f != photo)
            .collect();
        assert!(
            found.is_empty(),
            "plaintext of the photo found on disk: {found:?}"
        );
    }
    let cases: serde_json::Value = serde_json::from_str(&run(&["--json", "case", "list"])).unwrap();
    assert_eq!(cases[0]["perpetrators"], 1);
    assert_eq!(cases[0]["incidents"], 1);
    assert_eq!(cases[0]["evidence"], 2);
    assert!(run(&["log", "verify"]).contains("custody log verified"));
}
