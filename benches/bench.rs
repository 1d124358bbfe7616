//! Casefile against the standard tools, on data it makes itself, in one run.
//!
//! Every row runs the real release `casefile` binary (or a standard tool) as a
//! child process and reports its wall time and peak memory (RSS). The ratio is
//! the reference tool's time divided by ours: above 1 we are faster.
//!
//! Run with `cargo bench --bench bench` (see the README). Set
//! `CASEFILE_BENCH_DIR` to choose where the data goes (default: a temp dir).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use casefile::Vault;
use casefile::vault::{NewItem, Secret};

const PASS: &str = "benchmark passphrase 1";

struct Run {
    secs: f64,
    peak_mib: f64,
}

/// Runs a command, returning wall time and peak RSS of the child.
#[allow(clippy::zombie_processes)] // wait4 reaps it
fn run(cmd: &mut Command) -> Run {
    let start = Instant::now();
    let child = cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    assert!(
        rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed"
    );
    Run {
        secs,
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
    }
}

fn sh(script: &str) -> Run {
    run(Command::new("sh").args(["-c", script]))
}

fn casefile(vault: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_casefile"));
    c.arg("--vault").arg(vault).env("CASEFILE_PASSPHRASE", PASS);
    c.stdout(std::process::Stdio::null());
    c
}

fn write_random(path: &Path, len: u64, seed: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut s = seed | 1;
    let mut block = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        for c in block.chunks_mut(8) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            c.copy_from_slice(&s.to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
    f.flush().unwrap();
}

struct Table {
    rows: Vec<String>,
}

impl Table {
    fn row(
        &mut self,
        op: &str,
        ours: &Run,
        reference: &str,
        theirs: Option<&Run>,
        bytes: Option<u64>,
    ) {
        let speed = bytes
            .map(|b| format!("{:>7.0} MB/s", b as f64 / ours.secs / 1e6))
            .unwrap_or_else(|| " ".repeat(12));
        let (rt, ratio) = match theirs {
            Some(t) => (
                format!("{:>8.3}", t.secs),
                format!("{:>6.2}x", t.secs / ours.secs),
            ),
            None => ("       -".into(), "      -".into()),
        };
        let line = format!(
            "| {op:<34} | {:>8.3} | {speed} | {reference:<30} | {rt} | {ratio} | {:>8.1} |",
            ours.secs, ours.peak_mib
        );
        println!("{line}");
        self.rows.push(line);
    }
}

/// How much data a run uses: the full benchmark under `cargo bench`, a quick
/// smoke run (same code, small data) under `cargo test`.
struct Scale {
    big: u64,
    files: u64,
    file_size: u64,
    items: usize,
    events: usize,
}

const FULL: Scale = Scale {
    big: 1 << 30,
    files: 1000,
    file_size: 3_000_000,
    items: 10_000,
    events: 100_000,
};
const SMOKE: Scale = Scale {
    big: 8 << 20,
    files: 10,
    file_size: 300_000,
    items: 100,
    events: 1_000,
};

fn scale() -> &'static Scale {
    if std::env::args().any(|a| a == "--bench") {
        &FULL
    } else {
        &SMOKE
    }
}

/// Builds a vault of many small items and custody events.
fn build_small_vault(path: &Path) {
    let sc = scale();
    let (mut v, _) = Vault::create(path, PASS, "bench").unwrap();
    let words = [
        "detention",
        "Иванов",
        "محكمة",
        "王伟",
        "testimony",
        "checkpoint",
        "protest",
        "border",
    ];
    let mut ids = Vec::new();
    for i in 0..sc.items {
        let meta = NewItem {
            title: Some(format!(
                "record {i} {} {}",
                words[i % 8],
                words[(i / 8) % 8]
            )),
            notes: Some(format!("note {i} about {}", words[(i * 7) % 8])),
            ..NewItem::default()
        };
        ids.push(
            v.add_bytes(
                &format!("r{i}.txt"),
                format!("content {i}").as_bytes(),
                &meta,
                None,
            )
            .unwrap()
            .id,
        );
    }
    let mut events = v.log(None).unwrap().len();
    let mut i = 0;
    while events < sc.events {
        v.view(&ids[i % ids.len()]).unwrap();
        events += 1;
        i += 1;
    }
    v.close().unwrap();
}

fn main() {
    if let Some(path) = std::env::var_os("CASEFILE_BENCH_BUILD") {
        build_small_vault(Path::new(&path));
        return;
    }
    let sc = scale();
    let base = std::env::var_os("CASEFILE_BENCH_DIR").map(PathBuf::from);
    let tmp = match &base {
        Some(b) => tempfile::tempdir_in(b).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let dir = tmp.path();
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if std::ptr::eq(sc, &FULL) {
        println!("full benchmark");
    } else {
        println!("smoke run on small data; the full benchmark: cargo bench --bench bench");
    }
    println!(
        "Casefile benchmarks in {} ({} cores)",
        dir.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "| {:<34} | {:>8} | {:>12} | {:<30} | {:>8} | {:>7} | {:>8} |",
        "operation", "ours s", "throughput", "reference", "ref s", "ratio", "peak MiB"
    );
    println!(
        "|{:-<36}|{:-<10}|{:-<14}|{:-<32}|{:-<10}|{:-<9}|{:-<10}|",
        "", "", "", "", "", "", ""
    );
    let mut t = Table { rows: Vec::new() };

    // Data.
    let big = dir.join("big.bin");
    let gib = sc.big;
    let big_label = if gib >= 1 << 30 {
        format!("{} GiB", gib >> 30)
    } else {
        format!("{} MiB", gib >> 20)
    };
    write_random(&big, gib, 1);
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for i in 0..sc.files {
        write_random(
            &photos.join(format!("IMG_{i:04}.jpg")),
            sc.file_size,
            i + 10,
        );
    }
    let vault = dir.join("vault");
    run(casefile(&vault).arg("init"));

    // Unlock: Argon2id (64 MiB, t=3) plus opening the database.
    let unlock = run(casefile(&vault).args(["key", "show"]));
    t.row("unlock (open vault, key show)", &unlock, "", None, None);

    // Hash ceilings on this machine: one core, data in the page cache,
    // streamed in 1 MiB reads (the bench process stays small, so the peak
    // memory of the children it starts is their own).
    for (name, alg) in [("SHA-256", 0), ("SHA-512", 1)] {
        use sha2::Digest;
        use std::io::Read;
        let mut f = std::fs::File::open(&big).unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let (mut h256, mut h512) = (sha2::Sha256::new(), sha2::Sha512::new());
        let start = Instant::now();
        loop {
            let n = f.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            if alg == 0 {
                h256.update(&buf[..n])
            } else {
                h512.update(&buf[..n])
            }
        }
        let r = Run {
            secs: start.elapsed().as_secs_f64(),
            peak_mib: 0.0,
        };
        std::hint::black_box((h256.finalize(), h512.finalize()));
        t.row(
            &format!("{name} of {big_label}, page cache (sha2)"),
            &r,
            "",
            None,
            Some(gib),
        );
    }

    // Ingest 1 GiB vs cp + sync.
    let cp = sh(&format!(
        "cp '{}' '{}/copy.bin' && sync",
        big.display(),
        dir.display()
    ));
    std::fs::remove_file(dir.join("copy.bin")).unwrap();
    let ingest = run(casefile(&vault).arg("add").arg(&big));
    t.row(
        &format!("ingest {big_label}"),
        &ingest,
        "cp FILE X && sync",
        Some(&cp),
        Some(gib),
    );

    // Ingest 1,000 photos of 3 MB vs cp -r + sync.
    let cpr = sh(&format!(
        "cp -r '{}' '{}/photos-copy' && sync",
        photos.display(),
        dir.display()
    ));
    std::fs::remove_dir_all(dir.join("photos-copy")).unwrap();
    let many = run(casefile(&vault).arg("add").arg(&photos));
    t.row(
        &format!(
            "ingest {} files of {} MB",
            sc.files,
            sc.file_size / 1_000_000
        ),
        &many,
        "cp -r DIR X && sync",
        Some(&cpr),
        Some(sc.files * sc.file_size),
    );

    // Extract 1 GiB vs cp.
    let v = Vault::open(&vault, Secret::Passphrase(PASS)).unwrap();
    let big_id = v
        .list()
        .unwrap()
        .into_iter()
        .find(|i| i.size == gib)
        .unwrap()
        .id;
    drop(v);
    let cp_plain = sh(&format!(
        "cp '{}' '{}/copy2.bin'",
        big.display(),
        dir.display()
    ));
    std::fs::remove_file(dir.join("copy2.bin")).unwrap();
    let out = dir.join("extracted.bin");
    let extract = run(casefile(&vault)
        .args(["extract", &big_id, "--out"])
        .arg(&out));
    t.row(
        &format!("extract {big_label}"),
        &extract,
        "cp FILE X",
        Some(&cp_plain),
        Some(gib),
    );
    std::fs::remove_file(&out).unwrap();

    // Export a 1 GiB case as a bag vs bagit.py making a bag of the same file.
    let case_json = Command::new(env!("CARGO_BIN_EXE_casefile"))
        .arg("--vault")
        .arg(&vault)
        .env("CASEFILE_PASSPHRASE", PASS)
        .args([
            "--json",
            "case",
            "new",
            "--title",
            "bench",
            "--type",
            "corruption",
            "--regime",
            "other",
        ])
        .output()
        .unwrap();
    let case: serde_json::Value = serde_json::from_slice(&case_json.stdout).unwrap();
    let case = case["id"].as_str().unwrap().to_string();
    run(casefile(&vault).args(["case", "link", &case, "--item", &big_id]));
    let bag = dir.join("bag");
    let export = run(casefile(&vault)
        .args(["export", "--case", &case, "--out"])
        .arg(&bag));
    let bagit = if have("bagit.py") {
        let src = dir.join("bagit-src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::copy(&big, src.join("big.bin")).unwrap();
        let r = run(Command::new("bagit.py")
            .args(["--quiet", "--sha256", "--sha512"])
            .arg(&src));
        Some((r, src))
    } else {
        None
    };
    t.row(
        &format!("export {big_label} case as a sealed bag"),
        &export,
        "bagit.py (sha256+sha512)",
        bagit.as_ref().map(|b| &b.0),
        Some(gib),
    );

    // Verify vs sha256sum -c and bagit.py --validate.
    let verify = run(casefile(&vault).arg("verify").arg(&bag));
    let sums = sh(&format!(
        "cd '{}' && sha256sum -c --quiet manifest-sha256.txt",
        bag.display()
    ));
    t.row(
        "verify the bag (both manifests)",
        &verify,
        "sha256sum -c manifest-sha256",
        Some(&sums),
        Some(gib),
    );
    if let Some((_, src)) = &bagit {
        let val = run(Command::new("bagit.py")
            .args(["--quiet", "--validate"])
            .arg(src));
        t.row(
            "verify the bag (both manifests)",
            &verify,
            "bagit.py --validate",
            Some(&val),
            Some(gib),
        );
    }

    // A vault of many items and custody events (10,000 and 100,000 in full), on tmpfs where
    // available: these rows measure the log and the index, not the disk.
    let shm = Path::new("/dev/shm");
    let small_tmp = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir_in(dir).unwrap()
    };
    let small = small_tmp.path().join("vault");
    let me = std::env::current_exe().unwrap();
    let mut build = Command::new(me);
    if std::ptr::eq(sc, &FULL) {
        build.arg("--bench");
    }
    run(build.env("CASEFILE_BENCH_BUILD", &small));
    let logv = run(casefile(&small).args(["log", "verify"]));
    t.row(
        &format!("log verify, {} events", sc.events),
        &logv,
        "",
        None,
        None,
    );
    let search = run(casefile(&small).args(["search", "Иванов", "protest"]));
    t.row(
        &format!("search, {} items (whole command)", sc.items),
        &search,
        "",
        None,
        None,
    );
    let v = Vault::open(&small, Secret::Passphrase(PASS)).unwrap();
    let start = Instant::now();
    let hits = casefile::search::search(&v, "王伟 border").unwrap();
    let q = Run {
        secs: start.elapsed().as_secs_f64(),
        peak_mib: 0.0,
    };
    assert!(!hits.is_empty());
    t.row("search query alone (in process)", &q, "", None, None);
    drop(v);
    println!(
        "\n(unlock and the whole-command rows include process start and one to four Argon2id derivations, one per key slot tried)"
    );
}
