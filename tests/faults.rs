//! Faults: a full disk during ingest and export, a damaged database page, a
//! damaged blob, and a file that changes while it is added. Each gives one
//! clear sentence, leaves nothing half-written, and loses nothing committed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Env, sha256_file, write_data};

/// A small tmpfs mounted at `dir`, unmounted on drop. None where this process
/// may not mount (then the full-disk tests say so and stop).
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(dir.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn id_of(env: &Env, path: &Path) -> String {
    env.json(&["add", path.to_str().unwrap()])[0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_full_disk_during_ingest_and_export_leaves_nothing_half_written() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&tmp.path().join("small"), "24m") else {
        eprintln!("SKIPPED: mounting a small tmpfs needs CAP_SYS_ADMIN (CI runs as root)");
        return;
    };
    let mut env = Env::new();
    env.vault = disk.0.join("vault");
    env.ok(&["init"]);
    let small = env.path("small.bin");
    write_data(&small, 2 << 20, 1);
    let kept = id_of(&env, &small);
    let big = env.path("big.bin");
    write_data(&big, 40 << 20, 2);

    let err = env.fails(&["add", big.to_str().unwrap()], 2);
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    let items = env.json(&["list"]);
    assert_eq!(items.as_array().unwrap().len(), 1, "no half item");
    let blobs = std::fs::read_dir(env.vault.join("blobs")).unwrap().count();
    assert_eq!(blobs, 1, "the partial blob is gone");
    let out = env.path("small.out");
    env.ok(&["extract", &kept, "--out", out.to_str().unwrap()]);
    assert_eq!(sha256_file(&out), sha256_file(&small));
    env.ok(&["log", "verify"]);

    // Export onto a disk too small for the bundle.
    let Some(dest) = SmallDisk::mount(&tmp.path().join("dest"), "1m") else {
        return;
    };
    let case = env.json(&[
        "case",
        "new",
        "--title",
        "Full disk",
        "--type",
        "gross-violation",
        "--regime",
        "icc",
    ]);
    let case_id = case["id"].as_str().unwrap();
    env.ok(&["case", "link", case_id, "--item", &kept]);
    let bundle = dest.0.join("bundle");
    let err = env.fails(
        &[
            "export",
            "--case",
            case_id,
            "--out",
            bundle.to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("No space left on device"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&dest.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "nothing half-written: {left:?}");
    env.ok(&["log", "verify"]);
}

#[test]
fn a_damaged_blob_is_named_and_everything_else_still_reads() {
    let env = Env::init();
    let a = env.path("a.bin");
    let b = env.path("b.bin");
    write_data(&a, 300_000, 3);
    write_data(&b, 300_000, 4);
    let ida = id_of(&env, &a);
    let idb = id_of(&env, &b);
    // Flip one byte in the middle of one of the two blobs.
    let blobs: Vec<_> = common::all_files(&env.vault.join("blobs"));
    let victim = &blobs[0];
    let mut bytes = std::fs::read(victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(victim, bytes).unwrap();

    let mut damaged = Vec::new();
    for (id, original) in [(&ida, &a), (&idb, &b)] {
        let out = env.path(&format!("{id}.out"));
        let run = env.run(&["extract", id, "--out", out.to_str().unwrap()]);
        if run.status.success() {
            assert_eq!(sha256_file(&out), sha256_file(original));
        } else {
            assert_eq!(run.status.code(), Some(1), "integrity failures exit 1");
            let err = String::from_utf8_lossy(&run.stderr);
            assert!(err.contains(&format!("item {id} is damaged")), "{err}");
            assert!(!out.exists(), "no partial output is left");
            damaged.push(id.clone());
        }
    }
    assert_eq!(damaged.len(), 1, "exactly the damaged item fails");
    env.ok(&["list"]);
    env.ok(&["log", "verify"]);
}

#[test]
fn a_damaged_database_page_gives_a_clear_error() {
    let env = Env::init();
    for i in 0..40 {
        let p = env.path(&format!("n{i}.txt"));
        std::fs::write(&p, format!("note {i}")).unwrap();
        env.ok(&["add", p.to_str().unwrap(), "--notes", &"x".repeat(2000)]);
    }
    // Make sure everything is in vault.db itself, not only in its WAL.
    let conn = common::raw_db(&env.vault);
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(conn);
    let db = env.vault.join("vault.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page);
    let at = bytes.len() / page / 2 * page + 100;
    for b in &mut bytes[at..at + 64] {
        *b ^= 0xA5;
    }
    std::fs::write(&db, bytes).unwrap();
    let out = env.run(&["list"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let out2 = env.run(&["log", "verify"]);
    let err2 = String::from_utf8_lossy(&out2.stderr).to_string();
    assert!(
        !out.status.success() || !out2.status.success(),
        "a damaged page must not pass unnoticed"
    );
    for e in [&err, &err2].into_iter().filter(|e| !e.is_empty()) {
        assert!(e.contains("vault.db") && e.contains("damaged"), "{e}");
        assert_eq!(e.trim().lines().count(), 1, "one sentence: {e}");
    }
}

/// Starts `casefile add` on a new 64 MiB file; returns the file and the process.
fn start_adding(env: &Env, name: &str, seed: u64) -> (PathBuf, std::process::Child) {
    let p = env.path(name);
    write_data(&p, 64 << 20, seed);
    let child = env
        .cmd(&["add", p.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    (p, child)
}

/// Waits for the add, then checks it refused the file and left nothing.
fn assert_refused_and_nothing_stored(env: &Env, child: std::process::Child) {
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("changed while it was being added; nothing was stored"),
        "{err}"
    );
    assert_eq!(env.json(&["list"]).as_array().unwrap().len(), 0);
    assert_eq!(all_blobs(env), 0, "no partial blob is left");
    env.ok(&["log", "verify"]);
}

#[test]
fn a_file_that_grows_while_it_is_added_is_refused() {
    let env = Env::init();
    let (p, mut child) = start_adding(&env, "growing.bin", 5);
    // Keep appending until the add ends: reading 64 MiB takes far longer
    // than the millisecond between two appends, so some land mid-read.
    while child.try_wait().unwrap().is_none() {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(&[7u8; 4096]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_refused_and_nothing_stored(&env, child);
}

#[test]
fn a_file_that_vanishes_while_it_is_added_stores_nothing() {
    let env = Env::init();
    let (p, child) = start_adding(&env, "vanishing.bin", 6);
    // Delete the file once the add has it open (seen in /proc), mid-read.
    let fds = format!("/proc/{}/fd", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let open = std::fs::read_dir(&fds)
            .map(|d| {
                d.flatten()
                    .any(|e| std::fs::read_link(e.path()).is_ok_and(|t| t == p))
            })
            .unwrap_or(false);
        if open {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the add never opened the file"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    std::fs::remove_file(&p).unwrap();
    assert_refused_and_nothing_stored(&env, child);
}

fn all_blobs(env: &Env) -> usize {
    std::fs::read_dir(env.vault.join("blobs")).unwrap().count()
}
