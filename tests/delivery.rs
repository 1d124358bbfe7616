//! Delivering sealed bundles through real servers on 127.0.0.1 (Apache
//! httpd with mod_dav, s3s-fs): send, inbox, outbox, and what the server
//! can see, a server that stops mid-upload, a full disk, tampered objects,
//! sends killed and resumed, and deliveries of the first format.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::servers::{Dav, S3};
use common::{Env, all_files, run_measured, sha256_file, write_data};

const DAV_PASS: &str = "dav-pass-Kq93z";

/// A sender with the demo case (and its case id), and a recipient who pins
/// the sender and holds an age identity (returned with its recipient).
struct Pair {
    sender: Env,
    case: String,
    recipient: Env,
    identity: PathBuf,
    age_recipient: String,
}

fn pair() -> Pair {
    let sender = Env::init();
    let case = sender.json(&["demo"])["id"].as_str().unwrap().to_string();
    let recipient = Env::init();
    let key = recipient.path("alice.pub");
    std::fs::write(&key, sender.ok(&["key", "show"])).unwrap();
    recipient.ok(&["senders", "add", "alice", key.to_str().unwrap()]);
    let mine = sender.path("office.pub");
    std::fs::write(&mine, recipient.ok(&["key", "show"])).unwrap();
    sender.ok(&["senders", "add", "office", mine.to_str().unwrap()]);
    let (identity, age_recipient) = common::age_identity(&recipient);
    Pair {
        sender,
        case,
        recipient,
        identity,
        age_recipient,
    }
}

fn add_dav(env: &Env, dav: &Dav) {
    let out = env.run_env(
        &[
            "remote", "add", "office", "--webdav", &dav.url, "--user", "alice",
        ],
        &[("CASEFILE_REMOTE_SECRET", DAV_PASS)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn add_s3(env: &Env, s3: &S3) {
    let out = env.run_env(
        &[
            "remote",
            "add",
            "office",
            "--s3",
            &s3.url,
            "--bucket",
            "evidence",
            "--access-key",
            &s3.access_key,
        ],
        &[("CASEFILE_REMOTE_SECRET", &s3.secret_key)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn send(p: &Pair) -> serde_json::Value {
    p.sender.json(&[
        "send",
        "--case",
        &p.case,
        "--remote",
        "office",
        "--to",
        &p.age_recipient,
    ])
}

/// Every file the server keeps, relative to its root.
fn on_server(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = all_files(root)
        .iter()
        .map(|f| f.strip_prefix(root).unwrap().to_string_lossy().into_owned())
        // s3s-fs keeps its own metadata beside (names: base64 of ours).
        .filter(|n| !n.starts_with(".bucket-"))
        .collect();
    names.sort();
    names
}

/// What the server must never see: titles, names, texts and hashes of the
/// plaintext, the case id.
fn markers(p: &Pair) -> Vec<String> {
    let mut m = vec![p.case.clone()];
    for it in p.sender.json(&["list"]).as_array().unwrap() {
        m.push(it["sha256"].as_str().unwrap().to_string());
        m.push(it["id"].as_str().unwrap().to_string());
        if let Some(t) = it["title"].as_str().filter(|t| t.len() > 6) {
            m.push(t.to_string());
        }
    }
    let sheet = p.sender.json(&["case", "show", &p.case]);
    m.push(sheet["title"].as_str().unwrap().to_string());
    m.push(p.sender.json(&["key", "show"]).to_string());
    m.push("Test Collector".into());
    m
}

fn round_trip(p: &Pair, root: &Path) {
    let sent = send(p);
    let delivery = sent["delivery"].as_str().unwrap().to_string();
    assert_eq!(delivery.len(), 32);
    let names = on_server(root);
    assert!(
        names
            .iter()
            .all(|n| n.starts_with(&format!("casefile/{delivery}/"))
                || n.starts_with(&format!("evidence/casefile/{delivery}/"))),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.ends_with("/index.json")),
        "{names:?}"
    );
    // Nothing the server keeps names or contains the plaintext's markers.
    for f in all_files(root) {
        let bytes = std::fs::read(&f).unwrap();
        for m in markers(p) {
            assert!(
                !bytes.windows(m.len()).any(|w| w == m.as_bytes()),
                "{m:?} readable on the server in {}",
                f.display()
            );
        }
    }
    // The log records the delivery with the encrypted bundle's hash.
    let log = p.sender.json(&["log"]);
    let ev = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "delivered")
        .expect("a delivered event");
    assert_eq!(ev["details"]["sha256"], sent["sha256"]);

    opened_by_hand(p, root, &delivery);

    let waiting = p.recipient.json(&["inbox", "--remote", "office"]);
    assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");
    assert_eq!(waiting[0]["delivery"], delivery.as_str());
    assert_eq!(waiting[0]["sha256"], sent["sha256"]);
    let got = p.recipient.json(&[
        "inbox",
        "--remote",
        "office",
        "--import",
        "--identity",
        p.identity.to_str().unwrap(),
    ]);
    assert_eq!(got[0]["delivery"], delivery.as_str());
    assert_eq!(
        got[0]["imported"]["items"].as_array().unwrap().len(),
        sent["export"]["items"].as_u64().unwrap() as usize
    );
    // The items arrived byte for byte.
    let theirs: Vec<String> = p
        .sender
        .json(&["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sha256"].as_str().unwrap().to_string())
        .collect();
    let ours: Vec<String> = p
        .recipient
        .json(&["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sha256"].as_str().unwrap().to_string())
        .collect();
    for h in &ours {
        assert!(theirs.contains(h));
    }
    // Processed: no longer waiting. The sender sees the signed receipt.
    assert_eq!(
        p.recipient.json(&["inbox", "--remote", "office"]),
        serde_json::json!([])
    );
    let outbox = p.sender.json(&["outbox", "--remote", "office"]);
    assert_eq!(outbox[0]["delivery"], delivery.as_str());
    assert_eq!(outbox[0]["received_by"], "office", "{outbox}");
    assert_eq!(outbox[0]["receipt"]["verified"], true);
    assert!(
        p.sender
            .ok(&["outbox", "--remote", "office"])
            .contains("verified")
    );
    p.sender.ok(&["log", "verify"]);
    p.recipient.ok(&["log", "verify"]);
}

/// A recipient without Casefile opens a delivery with age and tar, as its
/// index's format says: each part an age file, in order, one tar stream;
/// then checks the bag's payload with sha256sum.
fn opened_by_hand(p: &Pair, root: &Path, delivery: &str) {
    common::require_tool("age");
    let dir = on_server(root)
        .iter()
        .find(|n| n.ends_with(&format!("{delivery}/index.json")))
        .map(|n| root.join(n).parent().unwrap().to_path_buf())
        .expect("the index");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["format"], "casefile-delivery/2");
    let out = p.recipient.path(&format!("by-hand-{delivery}"));
    std::fs::create_dir_all(&out).unwrap();
    let script = format!(
        "set -e; for f in {}/part-*; do age -d -i {} \"$f\"; done | tar -x -C {}",
        dir.display(),
        p.identity.display(),
        out.display()
    );
    let ok = Command::new("sh").args(["-c", &script]).status().unwrap();
    assert!(ok.success(), "age and tar could not open the delivery");
    let bag = out.join(format!("{delivery}.tar"));
    let bag = if bag.exists() {
        bag
    } else {
        out.join(delivery)
    };
    let check = Command::new("sha256sum")
        .args(["--quiet", "-c", "manifest-sha256.txt"])
        .current_dir(&bag)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn a_bundle_travels_through_webdav_and_the_server_reads_nothing() {
    let p = pair();
    let dav = Dav::start(p.sender.tmp.path(), "alice", DAV_PASS);
    add_dav(&p.sender, &dav);
    add_dav(&p.recipient, &dav);
    round_trip(&p, &dav.root);
}

#[test]
fn a_bundle_travels_through_s3_and_the_server_reads_nothing() {
    let p = pair();
    let s3 = S3::start(p.sender.tmp.path(), "evidence");
    add_s3(&p.sender, &s3);
    add_s3(&p.recipient, &s3);
    round_trip(&p, &s3.root);
}

#[test]
fn a_tampered_or_truncated_object_is_refused_by_name_and_left_in_place() {
    let p = pair();
    let dav = Dav::start(p.sender.tmp.path(), "alice", DAV_PASS);
    add_dav(&p.sender, &dav);
    add_dav(&p.recipient, &dav);
    let sent = send(&p);
    let delivery = sent["delivery"].as_str().unwrap();
    let part = dav.root.join(format!("casefile/{delivery}/part-000001"));
    let original = std::fs::read(&part).unwrap();
    let before = p.recipient.json(&["list"]).as_array().unwrap().len();
    let import = [
        "inbox",
        "--remote",
        "office",
        "--import",
        "--identity",
        p.identity.to_str().unwrap(),
    ];
    for (what, bytes) in [
        ("tampered", {
            let mut b = original.clone();
            let mid = b.len() / 2;
            b[mid] ^= 1;
            b
        }),
        ("truncated", original[..original.len() - 100].to_vec()),
    ] {
        std::fs::write(&part, &bytes).unwrap();
        let err = p.recipient.fails(&import, 1);
        assert!(err.contains("part-000001"), "{what}: {err}");
        assert!(err.contains("left"), "{what}: {err}");
        assert!(part.exists());
        assert!(
            !dav.root
                .join(format!("casefile/{delivery}/receipt.json"))
                .exists()
        );
        assert_eq!(
            p.recipient.json(&["list"]).as_array().unwrap().len(),
            before
        );
        // Still waiting: nothing was marked processed.
        assert_eq!(
            p.recipient
                .json(&["inbox", "--remote", "office"])
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    // No plaintext was left behind in the recipient's vault folder.
    assert!(
        all_files(&p.recipient.vault)
            .iter()
            .all(|f| !f.to_string_lossy().contains(".inbox-")),
        "a download was left behind"
    );
    std::fs::write(&part, &original).unwrap();
    p.recipient.ok(&import);
}

#[test]
fn a_wrong_password_sends_nothing_and_says_so() {
    let p = pair();
    let dav = Dav::start(p.sender.tmp.path(), "alice", DAV_PASS);
    let out = p.sender.run_env(
        &[
            "remote", "add", "office", "--webdav", &dav.url, "--user", "alice",
        ],
        &[("CASEFILE_REMOTE_SECRET", "wrong")],
    );
    assert!(out.status.success());
    let err = p.sender.fails(
        &[
            "send",
            "--case",
            &p.case,
            "--remote",
            "office",
            "--to",
            &p.age_recipient,
        ],
        2,
    );
    assert!(err.contains("refused the user name or secret"), "{err}");
    assert!(on_server(&dav.root).is_empty());
    let log = p.sender.ok(&["--json", "log"]);
    assert!(!log.contains("\"delivered\""));
}

/// A case with one large random file, for the resume and full-disk tests.
fn with_big_item(p: &Pair, mib: u64) -> String {
    let big = p.sender.path("big.bin");
    write_data(&big, mib << 20, 7);
    p.sender
        .ok(&["add", big.to_str().unwrap(), "--case", &p.case]);
    sha256_file(&big)
}

#[test]
fn a_server_stopped_mid_upload_and_restarted_gets_the_whole_bundle() {
    let p = pair();
    let dav = Dav::start(p.sender.tmp.path(), "alice", DAV_PASS);
    add_dav(&p.sender, &dav);
    add_dav(&p.recipient, &dav);
    let hash = with_big_item(&p, 256);
    // Some parts, then the server stopped under the upload.
    let child = sending(&p, &dav, 3);
    dav.stop();
    let parts_when_stopped = on_server(&dav.root).len();
    std::thread::sleep(std::time::Duration::from_secs(4));
    dav.restart();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(on_server(&dav.root).len() > parts_when_stopped);
    p.recipient.ok(&[
        "inbox",
        "--remote",
        "office",
        "--import",
        "--identity",
        p.identity.to_str().unwrap(),
    ]);
    let got = p.recipient.json(&["list"]);
    assert!(
        got.as_array()
            .unwrap()
            .iter()
            .any(|i| i["sha256"] == hash.as_str()),
        "the large item did not arrive whole"
    );
}

#[test]
fn a_send_keeps_memory_flat() {
    let p = pair();
    let dav = Dav::start(p.sender.tmp.path(), "alice", DAV_PASS);
    add_dav(&p.sender, &dav);
    with_big_item(&p, 256);
    let (code, peak_kib, said) = run_measured(p.sender.cmd(&[
        "send",
        "--case",
        &p.case,
        "--remote",
        "office",
        "--to",
        &p.age_recipient,
    ]));
    assert_eq!(code, 0, "{said}");
    // Argon2id's 64 MiB at unlock, one 8 MiB part and its copy in flight.
    assert!(
        peak_kib < 160 * 1024,
        "peak {peak_kib} KiB for a 256 MiB send"
    );
}

#[test]
fn a_full_disk_on_the_server_is_named_and_the_send_resumes_once_there_is_room() {
    let p = pair();
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        .starts_with(b"0\n");
    assert!(
        is_root,
        "this test mounts a small tmpfs as the server's disk: run it as root"
    );
    let disk = p.sender.path("small-disk");
    std::fs::create_dir_all(&disk).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=24m", "tmpfs"])
        .arg(&disk)
        .status()
        .unwrap();
    assert!(ok.success(), "mount tmpfs");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(disk.clone());
    let dav = Dav::start_on(
        p.sender.tmp.path(),
        "alice",
        DAV_PASS,
        common::servers::free_port(),
        Some(&disk),
    );
    add_dav(&p.sender, &dav);
    let hash = with_big_item(&p, 64);
    let err = p.sender.fails(
        &[
            "send",
            "--case",
            &p.case,
            "--remote",
            "office",
            "--to",
            &p.age_recipient,
        ],
        2,
    );
    assert!(err.contains("no room left"), "{err}");
    assert!(err.contains("send --resume"), "{err}");
    let left = on_server(&dav.root);
    assert!(left.iter().all(|n| !n.ends_with("index.json")), "{left:?}");
    let kept = left.iter().filter(|n| n.contains("part-")).count();
    assert!(kept > 0, "the parts the server took are kept: {left:?}");
    // Room is made on the server; the send resumes where it stopped.
    let ok = Command::new("mount")
        .args(["-o", "remount,size=256m"])
        .arg(&disk)
        .status()
        .unwrap();
    assert!(ok.success(), "remount");
    let resumed = p.sender.json(&["send", "--resume"]);
    assert_eq!(resumed.as_array().unwrap().len(), 1, "{resumed}");
    assert_eq!(resumed[0]["kept"], kept, "{resumed}");
    p.recipient_imports(&dav, &hash);
    assert_eq!(p.sender.json(&["send", "--resume"]), serde_json::json!([]));
}

impl Pair {
    /// The recipient takes the deliveries waiting on `dav` and holds the
    /// item whose SHA-256 is `hash`, whole.
    fn recipient_imports(&self, dav: &Dav, hash: &str) {
        add_dav(&self.recipient, dav);
        self.recipient.ok(&[
            "inbox",
            "--remote",
            "office",
            "--import",
            "--identity",
            self.identity.to_str().unwrap(),
        ]);
        let got = self.recipient.json(&["list"]);
        assert!(
            got.as_array().unwrap().iter().any(|i| i["sha256"] == hash),
            "the large item did not arrive whole"
        );
    }
}

/// A send of the pair's case, running; returned once the
/// server holds at least `parts` parts.
fn sending(p: &Pair, dav: &Dav, parts: usize) -> std::process::Child {
    let child = p
        .sender
        .cmd(&[
            "send",
            "--case",
            &p.case,
            "--remote",
            "office",
            "--to",
            &p.age_recipient,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while on_server(&dav.root)
        .iter()
        .filter(|n| n.contains("part-"))
        .count()
        < parts
    {
        assert!(start.elapsed().as_secs() < 300, "no parts arrived");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

#[test]
fn a_send_killed_outright_resumes_sending_only_the_missing_parts() {
    let p = pair();
    let dav = Dav::start(p.sender.tmp.path(), "alice", DAV_PASS);
    add_dav(&p.sender, &dav);
    let hash = with_big_item(&p, 1024);
    let mut child = sending(&p, &dav, 20);
    // As a power cut would: no chance to clean up or note anything more.
    child.kill().unwrap();
    child.wait().unwrap();
    let before: Vec<(String, std::time::SystemTime)> = on_server(&dav.root)
        .into_iter()
        .filter(|n| n.contains("part-"))
        .map(|n| {
            let t = std::fs::metadata(dav.root.join(&n))
                .unwrap()
                .modified()
                .unwrap();
            (n, t)
        })
        .collect();
    assert!(
        on_server(&dav.root)
            .iter()
            .all(|n| !n.ends_with("index.json"))
    );
    // One part damaged on the server meanwhile: it is sent again.
    let (damaged, _) = &before[2];
    let mut bytes = std::fs::read(dav.root.join(damaged)).unwrap();
    bytes[100] ^= 1;
    std::fs::write(dav.root.join(damaged), &bytes).unwrap();
    let resumed = p.sender.json(&["send", "--resume"]);
    let kept = resumed[0]["kept"].as_u64().unwrap() as usize;
    assert!(kept >= 10, "only {kept} parts kept of {}", before.len());
    for (name, t) in &before {
        let now = std::fs::metadata(dav.root.join(name))
            .unwrap()
            .modified()
            .unwrap();
        if name == damaged {
            assert_ne!(now, *t, "the damaged {name} was not sent again");
        }
    }
    let unchanged = before
        .iter()
        .filter(|(n, t)| {
            std::fs::metadata(dav.root.join(n))
                .unwrap()
                .modified()
                .unwrap()
                == *t
        })
        .count();
    assert_eq!(unchanged, kept, "parts kept are not sent again");
    p.recipient_imports(&dav, &hash);
}

#[test]
fn a_send_is_not_resumed_once_consent_was_withdrawn() {
    let p = pair();
    let dav = Dav::start(p.sender.tmp.path(), "alice", DAV_PASS);
    add_dav(&p.sender, &dav);
    with_big_item(&p, 128);
    let mut child = sending(&p, &dav, 2);
    child.kill().unwrap();
    child.wait().unwrap();
    // Every person of the demo case withdraws every use.
    let sheet = p.sender.json(&["case", "show", &p.case]);
    let mut sheet = sheet.clone();
    for person in sheet["persons"].as_array_mut().unwrap() {
        person["consent"]["given"] = false.into();
        person["consent"]["uses"] = serde_json::json!([]);
        person["consent"]["recipients"] = serde_json::json!([]);
    }
    let file = p.sender.path("withdrawn.json");
    std::fs::write(&file, sheet.to_string()).unwrap();
    p.sender
        .ok(&["case", "edit", &p.case, "--file", file.to_str().unwrap()]);
    let err = p.sender.fails(&["send", "--resume"], 2);
    assert!(!err.contains("sends the rest"), "{err}");
    assert!(err.contains("cannot be resumed"), "{err}");
    assert!(err.contains("--abandon"), "{err}");
    assert!(
        on_server(&dav.root)
            .iter()
            .all(|n| !n.ends_with("index.json"))
    );
    let out = p.sender.ok(&["send", "--abandon"]);
    assert!(out.contains("abandoned"), "{out}");
    assert!(
        on_server(&dav.root).iter().all(|n| !n.contains("part-")),
        "{:?}",
        on_server(&dav.root)
    );
    assert_eq!(p.sender.json(&["send", "--resume"]), serde_json::json!([]));
}

#[test]
fn a_delivery_of_the_first_format_is_still_received() {
    // Sent by release 50ea6da (tests/fixtures/make-delivery.sh): its parts
    // are slices of one age stream.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/r5-50ea6da-delivery");
    let recipient = Env::init();
    recipient.ok(&[
        "senders",
        "add",
        "alice",
        fixture.join("sender.pub").to_str().unwrap(),
    ]);
    let dav = Dav::start(recipient.tmp.path(), "alice", DAV_PASS);
    let ok = Command::new("cp")
        .arg("-r")
        .arg(fixture.join("server/casefile"))
        .arg(&dav.root)
        .status()
        .unwrap();
    assert!(ok.success());
    let _ = Command::new("chown")
        .args(["-R", "--reference"])
        .arg(&dav.root)
        .arg(dav.root.join("casefile"))
        .status();
    add_dav(&recipient, &dav);
    let waiting = recipient.json(&["inbox", "--remote", "office"]);
    assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");
    recipient.ok(&[
        "inbox",
        "--remote",
        "office",
        "--import",
        "--identity",
        fixture.join("identity.txt").to_str().unwrap(),
    ]);
    let sent: Vec<String> = std::fs::read_to_string(fixture.join("items.sha256"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let got = recipient.json(&["list"]);
    let got: Vec<&str> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sha256"].as_str().unwrap())
        .collect();
    assert!(!got.is_empty());
    for h in &got {
        assert!(sent.iter().any(|s| s == h), "{h} was not sent");
    }
    assert_eq!(
        recipient.json(&["inbox", "--remote", "office"]),
        serde_json::json!([])
    );
}

#[test]
fn a_bundle_altered_on_the_server_gets_a_receipt_that_says_it_did_not_verify() {
    // Anyone with the recipient's public key can make parts that decrypt:
    // a server that replaces one (and rewrites the index to match) passes
    // every part's hash, but the bag does not hold. The sender is told.
    let p = pair();
    let dav = Dav::start(p.sender.tmp.path(), "alice", DAV_PASS);
    add_dav(&p.sender, &dav);
    add_dav(&p.recipient, &dav);
    let sent = send(&p);
    let delivery = sent["delivery"].as_str().unwrap();
    let dir = dav.root.join(format!("casefile/{delivery}"));
    let part = dir.join("part-000001");
    let recipient_key = String::from_utf8(
        Command::new("age-keygen")
            .arg("-y")
            .arg(&p.identity)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let altered = Command::new("sh")
        .args([
            "-c",
            &format!(
                "age -d -i {id} {part} | sed 's/Test Collector/Test Kollector/' | age -r {key} > {part}.new && mv {part}.new {part}",
                id = p.identity.display(),
                part = part.display(),
                key = recipient_key.trim()
            ),
        ])
        .status()
        .unwrap();
    assert!(altered.success());
    common::rewrite_index(&dir);
    let _ = Command::new("chown")
        .args(["-R", "--reference"])
        .arg(&dav.root)
        .arg(&dir)
        .status();
    let before = p.recipient.json(&["list"]).as_array().unwrap().len();
    let err = p.recipient.fails(
        &[
            "inbox",
            "--remote",
            "office",
            "--import",
            "--identity",
            p.identity.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains(delivery), "{err}");
    assert_eq!(
        p.recipient.json(&["list"]).as_array().unwrap().len(),
        before
    );
    let outbox = p.sender.ok(&["outbox", "--remote", "office"]);
    assert!(outbox.contains("did NOT verify"), "{outbox}");
    let json = p.sender.json(&["outbox", "--remote", "office"]);
    assert_eq!(json[0]["receipt"]["verified"], false, "{json}");
    // Processed: not offered again.
    assert_eq!(
        p.recipient.json(&["inbox", "--remote", "office"]),
        serde_json::json!([])
    );
}

#[test]
fn a_delivery_for_another_identity_gets_no_receipt_and_stays_waiting() {
    // A remote is shared: what does not decrypt with this identity is for
    // someone else, not damage, and must not be marked taken.
    let p = pair();
    let dav = Dav::start(p.sender.tmp.path(), "alice", DAV_PASS);
    add_dav(&p.sender, &dav);
    add_dav(&p.recipient, &dav);
    let sent = send(&p);
    let delivery = sent["delivery"].as_str().unwrap();
    let other = p.recipient.path("other-identity.txt");
    assert!(
        Command::new("age-keygen")
            .arg("-o")
            .arg(&other)
            .output()
            .unwrap()
            .status
            .success()
    );
    let out = p.recipient.run_env(
        &[
            "inbox",
            "--remote",
            "office",
            "--import",
            "--identity",
            other.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        !dav.root
            .join(format!("casefile/{delivery}/receipt.json"))
            .exists()
    );
    assert_eq!(
        p.recipient
            .json(&["inbox", "--remote", "office"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
