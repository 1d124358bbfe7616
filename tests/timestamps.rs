//! Trusted time: two real RFC 3161 authorities on 127.0.0.1 (`openssl ts
//! -reply` behind a small HTTP server), the real `casefile` binary, and
//! `openssl ts -verify` checking every token a bundle carries, as a
//! recipient would.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;

use common::Env;
use common::tsa::{Authority, Usage};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `openssl ts -verify -data DATA -in TOKEN -CAfile CA`, returning its output.
fn openssl_verify(data: &Path, token: &Path, ca: &Path) -> (bool, String) {
    let out = Command::new("openssl")
        .args([
            "ts",
            "-verify",
            "-data",
            s(data),
            "-in",
            s(token),
            "-CAfile",
            s(ca),
        ])
        .output()
        .expect("openssl ts -verify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success() && text.contains("Verification: OK"),
        text,
    )
}

fn files_under(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| p.to_string_lossy().ends_with(suffix));
    out.sort();
    out
}

/// A vault with the demo case and two pinned authorities.
fn stamped_vault() -> (Env, String, Authority, Authority) {
    let env = Env::init();
    let one = Authority::start(&env.path("tsa-one"), "one", Usage::TimeStamping);
    let two = Authority::start(&env.path("tsa-two"), "two", Usage::TimeStamping);
    let sheet = env.json(&["demo"]);
    let case = sheet["id"].as_str().expect("case id").to_string();
    env.ok(&["tsa", "add", "one", &one.url, "--ca", s(&one.ca())]);
    env.ok(&["tsa", "add", "two", &two.url, "--ca", s(&two.ca())]);
    (env, case, one, two)
}

#[test]
fn both_authorities_stamp_and_a_recipient_checks_every_token_with_openssl() {
    let (env, case, one, two) = stamped_vault();
    let out = env.ok(&["timestamp"]);
    assert!(out.contains("one: the log's first"), "{out}");
    assert!(out.contains("two: the log's first"), "{out}");
    // Nothing new: nothing asked.
    let again = env.ok(&["timestamp"]);
    assert!(again.contains("one: nothing new"), "{again}");
    assert!(again.contains("two: nothing new"), "{again}");
    // Each token is a custody event.
    let log = env.ok(&["log"]);
    assert_eq!(log.matches("timestamped").count(), 2, "{log}");

    let bundle = env.path("bundle");
    let exported = env.ok(&["export", "--case", &case, "--out", s(&bundle)]);
    assert!(exported.contains("seal time-stamped by one"), "{exported}");
    assert!(exported.contains("seal time-stamped by two"), "{exported}");

    // Every token, checked by the recipient's own tool.
    let stamps = bundle.join("data/timestamps");
    let notes = files_under(&stamps, ".txt");
    assert_eq!(notes.len(), 1, "one stamped checkpoint: {notes:?}");
    let mut checked = 0;
    for (name, a) in [("one", &one), ("two", &two)] {
        let token = PathBuf::from(format!("{}.{name}.tsr", notes[0].display()));
        let (ok, text) = openssl_verify(&notes[0], &token, &a.ca());
        assert!(ok, "{}: {text}", token.display());
        // The CA file the bundle carries works the same.
        let (ok, text) = openssl_verify(&notes[0], &token, &stamps.join(format!("{name}.pem")));
        assert!(ok, "{text}");
        let seal = bundle.join("tagmanifest-sha256.txt.minisig");
        let seal_token = bundle.join(format!("tagmanifest-sha256.txt.minisig.{name}.tsr"));
        let (ok, text) = openssl_verify(&seal, &seal_token, &a.ca());
        assert!(ok, "{}: {text}", seal_token.display());
        checked += 2;
    }
    assert_eq!(checked, 4);
    let verify_txt = std::fs::read_to_string(bundle.join("data/VERIFY.txt")).unwrap();
    assert!(verify_txt.contains("openssl ts -verify"), "{verify_txt}");

    // A recipient with no vault, pinning the sender's key and both authorities.
    let recipient = Env::new();
    let key = env.path("sender.pub");
    std::fs::write(&key, env.ok(&["key", "show"])).unwrap();
    let out = recipient.ok(&[
        "verify",
        s(&bundle),
        "--key",
        s(&key),
        "--tsa-ca",
        &format!("one={}", s(&one.ca())),
        "--tsa-ca",
        &format!("two={}", s(&two.ca())),
    ]);
    assert!(out.contains("PASS timestamps"), "{out}");
    assert!(out.contains("sealed no later than"), "{out}");
    let items = env.json(&["list"]);
    let n = items.as_array().map_or(0, Vec::len);
    assert!(n > 0);
    assert_eq!(
        out.matches("existed no later than").count(),
        n,
        "every item of the case is proven by the stamped checkpoint: {out}"
    );

    // The same bundle without the authorities pinned: the seal still holds,
    // each token is named as unpinned, and no time is claimed from it.
    let out = recipient.ok(&["verify", s(&bundle), "--key", s(&key)]);
    assert!(out.contains("PASS timestamps"), "{out}");
    assert!(out.contains("warning: tagmanifest-sha256.txt.minisig.one.tsr: signed by CN=Test TSA one, an authority this verification has not pinned"), "{out}");
    assert!(!out.contains("no later than"), "{out}");
    // A token that does not hold fails, pinned or not.
    let other = env.path("tampered");
    common::copy_dir(&bundle, &other);
    std::fs::write(
        other.join("tagmanifest-sha256.txt.minisig.one.tsr"),
        b"\x30\x03\x02\x01\x00",
    )
    .unwrap();
    let out = recipient.run(&["verify", s(&other), "--key", s(&key)]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL timestamps"), "{text}");
    assert!(
        text.contains("tagmanifest-sha256.txt.minisig.one.tsr: "),
        "{text}"
    );
}

#[test]
fn an_authority_that_is_down_leaves_the_checkpoint_queued_and_never_blocks_the_other() {
    let (env, _case, _one, two) = stamped_vault();
    two.up.store(false, Ordering::SeqCst);
    let out = env.run(&["timestamp"]);
    assert_eq!(out.status.code(), Some(4), "exit 4: queued");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("one: the log's first"), "{text}");
    assert!(text.contains("two: no token"), "{text}");
    two.up.store(true, Ordering::SeqCst);
    let text = env.ok(&["timestamp"]);
    assert!(text.contains("two: the log's first"), "{text}");
    assert!(text.contains("one: nothing new"), "{text}");
}

#[test]
fn a_token_over_other_data_fails_verification_by_name() {
    let (env, case, one, _two) = stamped_vault();
    env.ok(&["timestamp"]);
    let bundle = env.path("bundle");
    env.ok(&["export", "--case", &case, "--out", s(&bundle)]);
    // The checkpoint's token put where the seal's belongs.
    let note = files_under(&bundle.join("data/timestamps"), ".txt").remove(0);
    let swapped = bundle.join("tagmanifest-sha256.txt.minisig.one.tsr");
    std::fs::copy(format!("{}.one.tsr", note.display()), &swapped).unwrap();
    let (ok, _) = openssl_verify(
        &bundle.join("tagmanifest-sha256.txt.minisig"),
        &swapped,
        &one.ca(),
    );
    assert!(!ok, "openssl agrees the token is over other data");
    let out = env.run(&["verify", s(&bundle)]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("tagmanifest-sha256.txt.minisig.one.tsr: the token stamps other data"),
        "{text}"
    );
}

#[test]
fn a_signer_without_the_time_stamping_usage_is_refused_by_name() {
    let env = Env::init();
    let bad = Authority::start(&env.path("tsa-bad"), "bad", Usage::CodeSigning);
    env.ok(&["tsa", "add", "bad", &bad.url, "--ca", s(&bad.ca())]);
    let out = env.run(&["timestamp"]);
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("without the time-stamping usage"), "{text}");
    // Nothing was kept.
    let log = env.ok(&["log"]);
    assert!(!log.contains("timestamped"), "{log}");
}

#[test]
fn without_a_ca_the_signing_certificate_is_pinned_on_first_use() {
    let env = Env::init();
    let one = Authority::start(&env.path("tsa-one"), "one", Usage::TimeStamping);
    let out = env.ok(&["tsa", "add", "one", &one.url]);
    assert!(out.contains("trusts CN=Test TSA one"), "{out}");
    let list = env.json(&["tsa", "list"]);
    assert_eq!(list[0]["name"], "one");
    assert!(env.ok(&["timestamp"]).contains("one: the log's first"));
    // Names that could escape a file name are refused.
    let err = env.fails(&["tsa", "add", "../x", &one.url], 2);
    assert!(err.contains("not an authority name"), "{err}");
}
