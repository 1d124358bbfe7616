//! Remotes against real servers on 127.0.0.1: Apache httpd with mod_dav and
//! basic authentication, s3s-fs for S3, microsocks as a SOCKS5 proxy.

mod common;

use common::servers::{Dav, S3, Socks};
use common::{Env, all_files};

const DAV_PASS: &str = "dav-pass-Kq93z";

fn secret(s: &str) -> [(&str, &str); 1] {
    [("CASEFILE_REMOTE_SECRET", s)]
}

/// Asserts that no file under `dir` contains `needle`.
fn nowhere_in(dir: &std::path::Path, needle: &str) {
    for f in all_files(dir) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle:?} found in {}",
            f.display()
        );
    }
}

#[test]
fn a_webdav_remote_is_kept_secretly_and_tested_for_real() {
    let env = Env::init();
    let dav = Dav::start(env.tmp.path(), "alice", DAV_PASS);
    let out = env.run_env(
        &[
            "remote", "add", "office", "--webdav", &dav.url, "--user", "alice",
        ],
        &secret(DAV_PASS),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = env.ok(&["remote", "test", "office"]);
    assert!(said.contains("remote office works"), "{said}");
    // The probe was deleted: the server keeps nothing of it.
    let left: Vec<_> = all_files(&dav.root);
    assert!(left.is_empty(), "left on the server: {left:?}");

    let list = env.json(&["remote", "list"]);
    assert_eq!(list[0]["name"], "office");
    assert_eq!(list[0]["endpoint"]["kind"], "webdav");
    assert_eq!(list[0]["endpoint"]["user"], "alice");
    let shown = format!("{list}{}{}", env.ok(&["remote", "list"]), env.ok(&["log"]));
    assert!(!shown.contains(DAV_PASS), "the secret was shown: {shown}");
    // At rest the secret is only inside the encrypted database.
    nowhere_in(&env.vault, DAV_PASS);
    let kept: String = common::raw_db(&env.vault)
        .query_row(
            "SELECT secret FROM remotes WHERE name = 'office'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, DAV_PASS);
    let log = env.json(&["log"]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "remote_added"),
        "{log}"
    );

    env.ok(&["remote", "remove", "office"]);
    let err = env.fails(&["remote", "test", "office"], 2);
    assert!(err.contains("no remote named"), "{err}");
}

#[test]
fn a_wrong_password_is_named_and_nothing_is_written() {
    let env = Env::init();
    let dav = Dav::start(env.tmp.path(), "alice", DAV_PASS);
    let out = env.run_env(
        &[
            "remote", "add", "office", "--webdav", &dav.url, "--user", "alice",
        ],
        &secret("not-the-password"),
    );
    assert!(out.status.success());
    let err = env.fails(&["remote", "test", "office"], 2);
    assert!(err.contains("refused the user name or secret"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    assert!(all_files(&dav.root).is_empty());
}

#[test]
fn an_s3_remote_is_tested_against_a_real_s3_server() {
    let env = Env::init();
    let s3 = S3::start(env.tmp.path(), "evidence");
    let out = env.run_env(
        &[
            "remote",
            "add",
            "bucket",
            "--s3",
            &s3.url,
            "--bucket",
            "evidence",
            "--access-key",
            &s3.access_key,
        ],
        &secret(&s3.secret_key),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = env.ok(&["remote", "test", "bucket"]);
    assert!(said.contains("remote bucket works"), "{said}");
    nowhere_in(&env.vault, &s3.secret_key);

    // A wrong secret key: refused by the server's signature check.
    env.ok(&["remote", "remove", "bucket"]);
    let out = env.run_env(
        &[
            "remote",
            "add",
            "bucket",
            "--s3",
            &s3.url,
            "--bucket",
            "evidence",
            "--access-key",
            &s3.access_key,
        ],
        &secret("wrong-secret-key"),
    );
    assert!(out.status.success());
    let err = env.fails(&["remote", "test", "bucket"], 2);
    assert!(err.contains("refused") || err.contains("bucket:"), "{err}");
    assert!(!err.contains("wrong-secret-key"), "{err}");
}

#[test]
fn a_proxy_carries_every_request_and_its_absence_is_named() {
    let env = Env::init();
    let dav = Dav::start(env.tmp.path(), "alice", DAV_PASS);
    let mut socks = Socks::start();
    let out = env.run_env(
        &[
            "remote", "add", "tor", "--webdav", &dav.url, "--user", "alice", "--proxy", &socks.url,
        ],
        &secret(DAV_PASS),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.ok(&["remote", "test", "tor"]);
    // With the proxy gone the server is still up, but nothing reaches it:
    // every request went through the proxy. Exit 4: try again later.
    socks.stop();
    let err = env.fails(&["remote", "test", "tor"], 4);
    assert!(err.contains("cannot reach tor"), "{err}");
}

#[test]
fn addresses_that_would_expose_the_secret_are_refused() {
    let env = Env::init();
    for (args, says) in [
        (
            vec!["--webdav", "http://cloud.example.org/dav", "--user", "a"],
            "plain http://",
        ),
        (
            vec![
                "--webdav",
                "https://a:b@cloud.example.org/dav",
                "--user",
                "a",
            ],
            "user name or password",
        ),
        (
            vec![
                "--webdav",
                "https://cloud.example.org/dav",
                "--user",
                "a",
                "--proxy",
                "socks4://127.0.0.1:1",
            ],
            "is not a proxy",
        ),
    ] {
        let mut all = vec!["remote", "add", "x"];
        all.extend(args);
        let out = env.run_env(&all, &secret("s"));
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{all:?}: {err}");
    }
    assert_eq!(env.json(&["remote", "list"]), serde_json::json!([]));
    let err = env.fails(
        &[
            "remote",
            "add",
            "Bad Name",
            "--webdav",
            "https://a.example/",
            "--user",
            "u",
        ],
        2,
    );
    assert!(err.contains("is not a name"), "{err}");
}
