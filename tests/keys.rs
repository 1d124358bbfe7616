//! Changing the passphrase, recovering with the recovery code, and wiping.

mod common;

use common::{Env, PASS, sha256_file, write_data};

fn slots(env: &Env) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(env.vault.join("keyslots.json")).unwrap())
        .unwrap()
}

/// Positions of the slots that differ between two key-slot files.
fn changed(before: &serde_json::Value, after: &serde_json::Value) -> Vec<usize> {
    let (b, a) = (
        before["slots"].as_array().unwrap(),
        after["slots"].as_array().unwrap(),
    );
    assert_eq!(b.len(), a.len());
    (0..b.len()).filter(|&i| b[i] != a[i]).collect()
}

#[test]
fn passwd_rewraps_one_slot_and_keeps_the_data() {
    let env = Env::init();
    let f = env.path("a.bin");
    write_data(&f, 300_000, 3);
    let id = env.json(&["add", f.to_str().unwrap()])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = slots(&env);
    let out = env.run_env(
        &["passwd"],
        &[("CASEFILE_NEW_PASSPHRASE", "a brand new passphrase")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = slots(&env);
    assert_eq!(
        changed(&before, &after).len(),
        1,
        "only the passphrase slot changes; the recovery slot and the others stay byte-identical"
    );
    // The old passphrase no longer opens it; the new one does, and the data is intact.
    let err = env.fails(&["list"], 2);
    assert!(err.contains("wrong passphrase"), "{err}");
    env.set_passphrase("a brand new passphrase");
    let new = |args: &[&str]| env.run(args);
    let out_file = env.path("a.out");
    assert!(
        new(&["extract", &id, "--out", out_file.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(sha256_file(&out_file), sha256_file(&f));
    let log: serde_json::Value = serde_json::from_slice(&new(&["--json", "log"]).stdout).unwrap();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "key_changed")
    );
    assert!(new(&["log", "verify"]).status.success());
    // A weak new passphrase is refused and changes nothing.
    let snapshot = slots(&env);
    let out = env.run_env(&["passwd"], &[("CASEFILE_NEW_PASSPHRASE", "short")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(slots(&env), snapshot);
}

#[test]
fn recovery_code_sets_a_new_passphrase() {
    let env = Env::new();
    let code = env.json(&["init"])["recovery_code"]
        .as_str()
        .unwrap()
        .to_string();
    let out = env.run_env(
        &["recovery"],
        &[
            (
                "CASEFILE_RECOVERY_CODE",
                "0000-0000-0000-0000-0000-0000-0000-0000",
            ),
            ("CASEFILE_NEW_PASSPHRASE", "after the border"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong recovery code"));
    let out = env.run_env(
        &["recovery"],
        &[
            ("CASEFILE_RECOVERY_CODE", &code.to_lowercase()),
            ("CASEFILE_NEW_PASSPHRASE", "after the border"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        env.run_env(&["list"], &[("CASEFILE_PASSPHRASE", "after the border")])
            .status
            .success()
    );
    env.fails(&["list"], 2);
}

#[test]
fn wipe_destroys_the_keys_of_a_large_vault_at_once() {
    let env = Env::init();
    let big = env.path("big.bin");
    write_data(&big, 1 << 30, 5);
    env.ok(&["add", big.to_str().unwrap()]);
    std::fs::remove_file(&big).unwrap();
    assert!(env.json(&["key", "show"])["key_id"].is_string());

    // Not on a terminal and without --yes: refused, nothing touched.
    let out = env
        .cmd(&["wipe"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(env.vault.join("keyslots.json").is_file());

    let done = env.json(&["wipe", "--yes"]);
    let ms = done["keys_destroyed_ms"].as_f64().unwrap();
    println!("key slots of a 1 GiB vault destroyed in {ms:.1} ms");
    assert_eq!(done["files_removed"], true);
    assert!(!env.vault.exists(), "the vault folder is still there");
    // Neither the passphrase nor anything else opens it now.
    let err = env.fails(&["list"], 2);
    assert!(err.contains("no vault"), "{err}");
    let opened = casefile::Vault::open(&env.vault, casefile::vault::Secret::Passphrase(PASS));
    assert!(opened.is_err());
}

fn failures(env: &Env) -> u64 {
    std::fs::read(env.vault.join("guard.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|g| g["failures"].as_u64())
        .unwrap_or(0)
}

#[test]
fn wrong_passphrases_are_counted_across_restarts_and_slowed() {
    let env = Env::init();
    env.set_passphrase("a wrong guess 123");
    for n in 1..=3 {
        let err = env.fails(&["list"], 2);
        assert!(err.contains("wrong passphrase"), "{err}");
        assert!(
            !err.contains("a wrong guess"),
            "the guess is never echoed: {err}"
        );
        assert_eq!(failures(&env), n, "each failure is recorded on disk");
    }
    // Each command is a new process: the fourth try waits, because the count persisted.
    let started = std::time::Instant::now();
    env.fails(&["list"], 2);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the fourth try waits at least a second"
    );
    assert_eq!(failures(&env), 4);
    env.set_passphrase(PASS);
    env.ok(&["list"]);
    assert_eq!(failures(&env), 0, "the right passphrase resets the count");
}

#[test]
fn an_optional_limit_wipes_the_keys_after_n_failures() {
    let env = Env::init();
    let err = env.fails(&["guard", "--wipe-after", "2"], 2);
    assert!(err.contains("below 3"), "{err}");
    let shown = env.json(&["guard", "--wipe-after", "3"]);
    assert_eq!(shown["wipe_after"], 3);
    // Setting the limit needs the passphrase.
    env.set_passphrase("not the passphrase");
    env.fails(&["guard", "--no-wipe"], 2);
    assert_eq!(failures(&env), 1);
    env.set_passphrase(PASS);
    env.ok(&["list"]);
    env.set_passphrase("not the passphrase");
    env.fails(&["list"], 2);
    env.fails(&["list"], 2);
    assert!(env.vault.join("keyslots.json").exists());
    let err = env.fails(&["list"], 2);
    assert!(err.contains("keys have been destroyed"), "{err}");
    assert!(!env.vault.join("keyslots.json").exists());
    env.set_passphrase(PASS);
    let err = env.fails(&["list"], 2);
    assert!(err.contains("no vault"), "{err}");
}

#[test]
fn secrets_never_reach_arguments_or_messages() {
    let env = Env::init();
    // There is no way to give a secret as an argument.
    for flag in ["--passphrase", "--recovery-code", "--new-passphrase"] {
        let err = env.fails(&[flag, "hunter2hunter2", "list"], 2);
        assert!(!err.contains("hunter2"), "{flag}: {err}");
    }
    // A wrong or too short secret is never repeated back, from any source.
    let file = env.path("pass.txt");
    std::fs::write(&file, "file-secret-xyz\n").unwrap();
    let out = env
        .cmd(&["--passphrase-file", file.to_str().unwrap(), "list"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("wrong passphrase") && !text.contains("file-secret"),
        "{text}"
    );
    let out = env.run_env(&["passwd"], &[("CASEFILE_NEW_PASSPHRASE", "short7!")]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("shorter than 8 characters") && !text.contains("short7!"),
        "{text}"
    );
    // Neither the passphrase nor the vault key is in the custody log, in any
    // output, or anywhere in the vault folder.
    let key = casefile::store::keyslots::KeySlots::load(&env.vault.join("keyslots.json"))
        .unwrap()
        .unlock(
            casefile::store::keyslots::SlotKind::Passphrase,
            PASS.as_bytes(),
        )
        .unwrap()
        .key;
    let key_hex = hex::encode(&key[..]);
    let log = env.ok(&["--json", "log"]);
    let shown = env.ok(&["--json", "key", "show"]) + &env.ok(&["log", "verify"]);
    for text in [&log, &shown] {
        assert!(!text.contains(PASS) && !text.to_lowercase().contains(&key_hex));
    }
    for f in common::all_files(&env.vault) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(32).any(|w| w == &key[..]),
            "raw vault key in {}",
            f.display()
        );
    }
    for f in common::all_files(&env.vault) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(PASS.len()).any(|w| w == PASS.as_bytes()),
            "{}",
            f.display()
        );
    }
}

#[test]
fn passwd_can_raise_the_key_derivation_cost() {
    let env = Env::init();
    let out = env.run_env(
        &["passwd", "--kdf-memory", "32"],
        &[("CASEFILE_NEW_PASSPHRASE", "a stronger passphrase")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 65536 KiB"));
    let before = slots(&env);
    let out = env.run_env(
        &["passwd", "--kdf-memory", "128", "--kdf-passes", "4"],
        &[("CASEFILE_NEW_PASSPHRASE", "a stronger passphrase")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = slots(&env);
    let moved = changed(&before, &after);
    assert_eq!(moved.len(), 1, "one slot rewrapped");
    let kdf = &after["slots"][moved[0]]["kdf"];
    assert_eq!(kdf["memory_kib"], 128 * 1024);
    assert_eq!(kdf["iterations"], 4);
    env.set_passphrase("a stronger passphrase");
    let log = env.json(&["log"]);
    let changed = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "key_changed")
        .unwrap();
    assert_eq!(changed["details"]["kdf"]["memory_kib"], 128 * 1024);
}
