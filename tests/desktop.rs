//! The desktop app end to end, in a real window under Xvfb, driven over
//! WebDriver (tauri-driver + WebKitWebDriver) by tests/e2e/desktop.py. Then the
//! bundle it exported is checked with the command line, as a recipient would.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Env, raw_db_with};

const PASS: &str = "e2e passphrase for the desktop";

/// A plain BagIt bag (no seal) holding one large file, for an import long
/// enough to press the lock in the middle of.
fn big_bag(dir: &Path, size: u64) {
    use sha2::Digest;
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let file = data.join("recording.bin");
    common::write_data(&file, size, 11);
    let bytes = std::fs::read(&file).unwrap();
    let s256 = hex::encode(sha2::Sha256::digest(&bytes));
    let s512 = hex::encode(sha2::Sha512::digest(&bytes));
    drop(bytes);
    std::fs::write(
        dir.join("bagit.txt"),
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("bag-info.txt"),
        format!("Payload-Oxum: {size}.1\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("manifest-sha256.txt"),
        format!("{s256}  data/recording.bin\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("manifest-sha512.txt"),
        format!("{s512}  data/recording.bin\n"),
    )
    .unwrap();
}

/// Runs the script in one phase.
fn script(phase: &str, app: &Path, env: &Env, extra: &[&str], shots: &Path, home: &Path) -> bool {
    Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/desktop.py"))
        .args([
            "--phase",
            phase,
            "--app",
            app.to_str().unwrap(),
            "--vault",
            env.vault.to_str().unwrap(),
        ])
        .args(extra)
        .args([
            "--shots",
            shots.to_str().unwrap(),
            "--home",
            home.to_str().unwrap(),
        ])
        .status()
        .unwrap()
        .success()
}

const DAV_PASS: &str = "e2e-dav-secret-7f3a91";

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
    let app = common::desktop_app(&["age-keygen"]);
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
    let bag = env.path("big-bag");
    big_bag(&bag, 768 << 20);
    let tsa =
        common::tsa::Authority::start(&env.path("tsa"), "e2e", common::tsa::Usage::TimeStamping);
    let tsa_ca = tsa.ca();
    // The organisation's WebDAV server, and a partner organisation with its
    // own vault (the command line) and age identity; the desktop has one too.
    let dav = common::servers::Dav::start(env.tmp.path(), "desk", DAV_PASS);
    let partner = Env::init();
    let (partner_identity, partner_age) = common::age_identity(&partner);
    let (desk_identity, desk_age) = common::age_identity(&env);
    let sent_record = env.path("sent-delivery.txt");
    let ok = script(
        "walk",
        &app,
        &env,
        &[
            "--files",
            photo.to_str().unwrap(),
            note.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
            "--big-bag",
            bag.to_str().unwrap(),
            "--tsa-url",
            &tsa.url,
            "--tsa-ca",
            tsa_ca.to_str().unwrap(),
            "--dav-url",
            &dav.url,
            "--dav-user",
            "desk",
            "--dav-pass",
            DAV_PASS,
            "--send-to",
            &partner_age,
            "--sent-record",
            sent_record.to_str().unwrap(),
        ],
        &shots,
        &app_home,
    );
    assert!(
        ok,
        "the desktop walk-through failed; screenshots in {}",
        shots.display()
    );
    std::fs::remove_dir_all(&bag).unwrap();

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
    let out = env
        .cmd(&["verify", bundle.to_str().unwrap()])
        .env("CASEFILE_PASSPHRASE", PASS)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "casefile verify: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("sealed no later than") && said.contains("existed no later than"),
        "the desktop's authority stamped the log and the seal: {said}"
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

    // An item id as a hostile sender could once give one: the export refuses
    // it by name, even with "send redacted copies" ticked (it once kept the
    // unredacted original checked through a selector built from the id).
    let photo_id = items
        .iter()
        .find(|i| i["derivation"].is_null() && i["kind"] == "photo")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hostile = "q\"],input:not([value=\"q";
    let conn = raw_db_with(&env.vault, PASS);
    conn.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
    for sql in [
        "UPDATE items SET id = ?1 WHERE id = ?2",
        "UPDATE items SET parent = ?1 WHERE parent = ?2",
        "UPDATE media SET item = ?1 WHERE item = ?2",
    ] {
        conn.execute(sql, [hostile, photo_id.as_str()]).unwrap();
    }
    let (case_id, sheet): (String, String) = conn
        .query_row("SELECT id, sheet FROM cases", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let sheet = sheet.replace(&photo_id, &hostile.replace('"', "\\\""));
    conn.execute(
        "UPDATE cases SET sheet = ?1 WHERE id = ?2",
        [&sheet, &case_id],
    )
    .unwrap();
    drop(conn);
    let refused = env.path("hostile-bundle");
    assert!(
        script(
            "hostile",
            &app,
            &env,
            &["--bundle", refused.to_str().unwrap()],
            &shots,
            &app_home,
        ),
        "the hostile-id export was not refused; screenshots in {}",
        shots.display()
    );
    assert!(!refused.exists());

    // What the desktop sent is real: the partner, who pins the desktop's
    // device key, takes it in from the server with the command line. Then
    // the partner sends its own case back, and the desktop pins the
    // partner's key (with the command line, while the app is closed).
    let sent = std::fs::read_to_string(&sent_record).unwrap();
    let out = partner
        .cmd(&[
            "remote", "add", "office", "--webdav", &dav.url, "--user", "desk",
        ])
        .env("CASEFILE_REMOTE_SECRET", DAV_PASS)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let desk_key = env.path("desk.pub");
    std::fs::write(&desk_key, run(&["key", "show"])).unwrap();
    partner.ok(&["senders", "add", "desk", desk_key.to_str().unwrap()]);
    let taken = partner.ok(&[
        "inbox",
        "--remote",
        "office",
        "--import",
        "--identity",
        partner_identity.to_str().unwrap(),
    ]);
    assert!(
        taken.contains(&format!("received delivery {}", sent.trim()))
            && taken.contains("sealed by known sender \"desk\""),
        "the partner took in the desktop's delivery: {taken}"
    );
    let partner_case = partner.json(&["demo"])["id"].as_str().unwrap().to_string();
    partner.ok(&[
        "send",
        "--case",
        &partner_case,
        "--remote",
        "office",
        "--to",
        &desk_age,
    ]);
    let partner_key = env.path("partner.pub");
    std::fs::write(&partner_key, partner.ok(&["key", "show"])).unwrap();
    run(&["senders", "add", "partner", partner_key.to_str().unwrap()]);
    // A send from the desktop's vault dies with the machine (killed outright)
    // after its first parts: the desktop's Inbox page offers to resume it.
    let parts_now = || {
        common::all_files(&dav.root)
            .iter()
            .filter(|f| f.to_string_lossy().contains("part-"))
            .count()
    };
    let big = env.path("interrupted.bin");
    common::write_data(&big, 40 << 20, 11);
    // A case of its own: the hostile phase left the first one unexportable.
    let desk_case: serde_json::Value = serde_json::from_str(&run(&["--json", "demo"])).unwrap();
    let desk_case = desk_case["id"].as_str().unwrap().to_string();
    run(&["add", big.to_str().unwrap(), "--case", &desk_case]);
    let before_parts = parts_now();
    let mut dying = env
        .cmd(&[
            "send",
            "--case",
            &desk_case,
            "--remote",
            "office",
            "--to",
            &partner_age,
        ])
        .env("CASEFILE_PASSPHRASE", "e2e passphrase for the desktop")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while parts_now() < before_parts + 2 {
        assert!(start.elapsed().as_secs() < 120, "the send wrote no parts");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    dying.kill().unwrap();
    dying.wait().unwrap();
    assert!(
        script(
            "inbox",
            &app,
            &env,
            &[
                "--bundle",
                bundle.to_str().unwrap(),
                "--identity",
                desk_identity.to_str().unwrap(),
            ],
            &shots,
            &app_home,
        ),
        "the desktop's inbox failed; screenshots in {}",
        shots.display()
    );
    // The resumed send arrived whole: the partner takes it in.
    let resumed = partner.ok(&[
        "inbox",
        "--remote",
        "office",
        "--import",
        "--identity",
        partner_identity.to_str().unwrap(),
    ]);
    assert!(
        resumed.contains("sealed by known sender \"desk\""),
        "the partner took in the resumed delivery: {resumed}"
    );
    let outbox = partner.ok(&["outbox", "--remote", "office"]);
    assert!(
        outbox.contains("received and verified by desk"),
        "the desktop wrote back a receipt the partner believes: {outbox}"
    );
    // Secrets and plaintext never reached the server; the secret not the vault's files either.
    for f in common::all_files(&dav.root) {
        let bytes = std::fs::read(&f).unwrap();
        for marker in [
            MARKER.as_bytes(),
            partner_case.as_bytes(),
            DAV_PASS.as_bytes(),
        ] {
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker),
                "{} on the server holds plaintext",
                f.display()
            );
        }
    }
    for f in common::all_files(&env.vault) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes
                .windows(DAV_PASS.len())
                .any(|w| w == DAV_PASS.as_bytes()),
            "{} holds the remote's secret in the clear",
            f.display()
        );
    }
}
