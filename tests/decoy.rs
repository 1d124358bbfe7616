//! The second (decoy) vault: each passphrase opens its own vault, neither
//! shows the other, and the folder looks the same with or without one.

mod common;

use std::path::Path;

use common::{Env, PASS, all_files, sha256_file, write_data};

const DECOY: &str = "holiday photos 2024";

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

fn slot_shape(dir: &Path) -> Vec<(usize, serde_json::Value)> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("keyslots.json")).unwrap()).unwrap();
    v["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["wrapped_key"].as_str().unwrap().len(),
                s["kdf"]["memory_kib"].clone(),
            )
        })
        .collect()
}

#[test]
fn each_passphrase_opens_its_own_vault_and_neither_shows_the_other() {
    let plain = Env::init();
    let env = Env::init();
    let real = env.path("real.bin");
    write_data(&real, 200_000, 1);
    let real_id = env.json(&["add", real.to_str().unwrap()])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let size_before = std::fs::metadata(env.vault.join("vault-2.db"))
        .unwrap()
        .len();
    let out = env.run_env(
        &["decoy", "--collector", "A. Tourist"],
        &[("CASEFILE_NEW_PASSPHRASE", DECOY)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Only one second vault, and never with the first vault's passphrase.
    let again = env.run_env(
        &["decoy"],
        &[("CASEFILE_NEW_PASSPHRASE", "another one 123")],
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has a second vault"));
    let size_after = std::fs::metadata(env.vault.join("vault-2.db"))
        .unwrap()
        .len();
    assert!(
        size_after >= size_before && size_after < size_before + size_before / 20,
        "{size_before} -> {size_after}"
    );

    env.set_passphrase(DECOY);
    assert_eq!(
        env.json(&["list"]),
        serde_json::json!([]),
        "the decoy shows nothing of the real vault"
    );
    let holiday = env.path("beach.bin");
    write_data(&holiday, 150_000, 2);
    let decoy_id = env.json(&["add", holiday.to_str().unwrap()])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let log = env.ok(&["--json", "log"]);
    assert!(!log.contains(&real_id) && !log.contains("real.bin"));
    assert_ne!(
        env.ok(&["key", "show"]),
        {
            env.set_passphrase(PASS);
            let k = env.ok(&["key", "show"]);
            env.set_passphrase(DECOY);
            k
        },
        "each vault signs with its own device key"
    );
    env.ok(&["log", "verify"]);

    env.set_passphrase(PASS);
    let items = env.json(&["list"]);
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(items[0]["id"], real_id.as_str());
    // Opening either vault never swept the other's blobs.
    let out = env.path("real.out");
    env.ok(&["extract", &real_id, "--out", out.to_str().unwrap()]);
    assert_eq!(sha256_file(&out), sha256_file(&real));
    env.ok(&["log", "verify"]);
    env.set_passphrase(DECOY);
    let out = env.path("beach.out");
    env.ok(&["extract", &decoy_id, "--out", out.to_str().unwrap()]);
    assert_eq!(sha256_file(&out), sha256_file(&holiday));

    // The folder of a vault with a second vault has the same files and the
    // same key-slot shape as one without.
    assert_eq!(names(&env.vault), names(&plain.vault));
    assert_eq!(slot_shape(&env.vault), slot_shape(&plain.vault));
    let times: Vec<_> = ["vault.db", "vault-2.db"]
        .iter()
        .map(|f| {
            std::fs::metadata(env.vault.join(f))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    assert_eq!(
        times[0], times[1],
        "the database times do not tell which is in use"
    );

    // The second vault took over the random file's size (and grows from there).
    assert!(
        std::fs::metadata(env.vault.join("vault-2.db"))
            .unwrap()
            .len()
            >= size_before
    );

    // Changing one passphrase leaves the other vault alone.
    let out = env.run_env(
        &["passwd"],
        &[("CASEFILE_NEW_PASSPHRASE", "a new decoy phrase")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.set_passphrase("a new decoy phrase");
    assert_eq!(env.json(&["list"])[0]["id"], decoy_id.as_str());
    env.set_passphrase(PASS);
    assert_eq!(env.json(&["list"])[0]["id"], real_id.as_str());

    // A wipe destroys both.
    env.ok(&["wipe", "--yes"]);
    let left: Vec<_> = all_files(env.tmp.path())
        .into_iter()
        .filter(|p| p.starts_with(&env.vault))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_vault_without_a_second_one_has_random_bytes_in_its_place() {
    let env = Env::init();
    let filler = std::fs::read(env.vault.join("vault-2.db")).unwrap();
    let len = filler.len() as u64;
    assert!(
        (1 << 20..=8 << 20).contains(&len) && len.is_multiple_of(4096),
        "{len}: whole pages, 1 to 8 MiB"
    );
    // Random: about 4 bits of entropy per hex digit's worth of bytes, no header.
    let zeros = filler.iter().filter(|&&b| b == 0).count();
    assert!(zeros < filler.len() / 100, "{zeros} zero bytes");
    assert!(!filler.starts_with(b"SQLite format"));
    // Nothing opens it: a wrong passphrase is just wrong.
    env.set_passphrase("no second vault here");
    let err = env.fails(&["list"], 2);
    assert!(err.contains("wrong passphrase"), "{err}");
}
