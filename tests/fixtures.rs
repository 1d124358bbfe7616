//! Formats are forever: vaults and bundles made by earlier releases (kept in
//! tests/fixtures/, made by tests/fixtures/make.sh with those releases' own
//! binaries) keep opening, verifying, importing and migrating in this one.

mod common;

use std::path::{Path, PathBuf};

use common::{Env, copy_dir};

const PASS: &str = "fixture passphrase one";
const DECOY: &str = "fixture decoy passphrase";

/// Each release's fixtures, with whether it has a decoy vault.
const RELEASES: &[(&str, bool)] = &[
    ("r1-e716433", false),
    ("r2-42a0695", true),
    ("r3-0a3ebae", true),
    ("r4-e6d6cb0", true),
    ("r6-60beca4", true),
];

fn fixture(release: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(release)
}

/// The recovery code a release's README records.
fn recovery_code(release: &str) -> String {
    let readme = std::fs::read_to_string(fixture(release).join("README.md")).unwrap();
    let at = readme.find("recovery code `").unwrap() + "recovery code `".len();
    readme[at..at + 39].to_string()
}

/// A copy of a release's vault, opened with `pass` (the fixture itself is never touched).
fn copied_vault(release: &str, pass: &str) -> Env {
    let env = Env::with_passphrase(pass);
    copy_dir(&fixture(release).join("vault"), &env.vault);
    env
}

#[test]
fn old_vaults_open_migrate_and_verify() {
    for &(release, has_decoy) in RELEASES {
        let env = copied_vault(release, PASS);
        let items = env.json(&["list"]);
        let items = items.as_array().unwrap();
        assert!(items.len() >= 5, "{release}: {} items", items.len());
        let log = env.ok(&["log", "verify"]);
        assert!(log.contains("custody log verified"), "{release}: {log}");
        // Every item's bytes still match the hash fixed by that release.
        for it in items {
            let id = it["id"].as_str().unwrap();
            let out = env.path(&format!("{id}.out"));
            env.ok(&["extract", id, "--out", out.to_str().unwrap()]);
            assert_eq!(common::sha256_file(&out), it["sha256"].as_str().unwrap());
            // Media facts appear for releases that had none (computed now).
            env.ok(&["show", id]);
        }
        // From r4: a remote, its secret kept inside the vault.
        let readme = std::fs::read_to_string(fixture(release).join("README.md")).unwrap();
        let remotes = env.json(&["remote", "list"]);
        if readme.contains("remote \"fixture\"") {
            assert_eq!(remotes[0]["name"], "fixture", "{release}");
            assert_eq!(remotes[0]["endpoint"]["kind"], "webdav", "{release}");
            assert_eq!(remotes[0]["endpoint"]["user"], "fixture", "{release}");
            let secret: String = common::raw_db_with(&env.vault, PASS)
                .query_row("SELECT secret FROM remotes", [], |r| r.get(0))
                .unwrap();
            assert_eq!(secret, "fixture remote secret", "{release}");
        } else {
            assert_eq!(remotes, serde_json::json!([]), "{release}");
        }
        // The migrated vault exports a bundle that verifies.
        let case = env.json(&["case", "list"])[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let bag = env.path("again");
        env.ok(&["export", "--case", &case, "--out", bag.to_str().unwrap()]);
        env.ok(&["verify", bag.to_str().unwrap()]);
        env.ok(&["log", "verify"]);
        // The recovery code of that release still opens it.
        let recovered = env.run_env(
            &["recovery"],
            &[
                ("CASEFILE_RECOVERY_CODE", &recovery_code(release)),
                ("CASEFILE_NEW_PASSPHRASE", "a new passphrase after recovery"),
            ],
        );
        assert!(
            recovered.status.success(),
            "{release}: recovery code refused"
        );
        if has_decoy {
            let decoy = copied_vault(release, DECOY);
            let list = decoy.json(&["list"]);
            assert_eq!(list.as_array().unwrap().len(), 1, "{release} decoy");
            assert_eq!(list[0]["title"], "Decoy note");
            decoy.ok(&["log", "verify"]);
        }
    }
}

#[test]
fn old_bundles_verify_with_the_senders_key_and_import() {
    for &(release, _) in RELEASES {
        let dir = fixture(release);
        let key = dir.join("device.pub");
        let identity = dir.join("identity.txt");
        let env = Env::init();
        // From r3: time-stamps by a local authority, and an organisation
        // certificate for the device.
        let tsa = dir.join("tsa-ca.pem");
        let tsa_pin = format!("fixture={}", tsa.display());
        let organisation = dir.join("organisation/organisation.pub");
        for name in ["bundle", "bundle.zip", "bundle.tar.age"] {
            let bundle = dir.join(name);
            let mut unpinned = vec!["verify", bundle.to_str().unwrap()];
            if name.ends_with(".age") {
                unpinned.extend(["--identity", identity.to_str().unwrap()]);
            }
            if tsa.exists() {
                unpinned.extend(["--tsa-ca", tsa_pin.as_str()]);
            }
            let mut args = unpinned.clone();
            args.extend(["--key", key.to_str().unwrap()]);
            let out = env.ok(&args);
            assert!(out.contains("bundle verified"), "{release}/{name}: {out}");
            if tsa.exists() {
                assert!(out.contains("PASS timestamps"), "{release}/{name}: {out}");
                assert!(
                    out.contains("existed no later than"),
                    "{release}/{name}: {out}"
                );
                assert!(
                    out.contains("sealed no later than"),
                    "{release}/{name}: {out}"
                );
            }
            // Without the key, the signer is not pinned: exit 3, never 0.
            env.fails(&unpinned, 3);
            if organisation.exists() {
                // A recipient who pins the organisation alone trusts its device.
                let office = Env::init();
                office.ok(&[
                    "senders",
                    "add",
                    "fixture-org",
                    organisation.to_str().unwrap(),
                    "--organisation",
                ]);
                let out = office.ok(&unpinned);
                assert!(
                    out.contains(
                        "sealed by device of Fixture Member of organisation Fixture Organisation"
                    ),
                    "{release}/{name}: {out}"
                );
            }
        }
        let bundle = dir.join("bundle.zip");
        let done = env.json(&[
            "import",
            bundle.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ]);
        let n = done["items"].as_array().unwrap().len();
        assert!(n >= 3, "{release}: imported {n}");
        env.ok(&["log", "verify"]);
        // A fixture is only read, never changed.
        assert!(!dir.join("bundle.zip.partial").exists());
    }
}
