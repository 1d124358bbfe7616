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

// The servers the tests start (Apache mod_dav here), for the send row.
#[path = "../tests/common/mod.rs"]
mod common;

const PASS: &str = "benchmark passphrase 1";

#[derive(Clone, Copy)]
struct Run {
    secs: f64,
    /// User plus system CPU seconds of the child.
    cpu: f64,
    peak_mib: f64,
}

/// `rounds` paired runs of ours and a reference, alternating which goes
/// first so that neither always meets a warm or a cold cache; each pair's
/// ratio is theirs / ours. A noisy machine gives a spread, not one number.
struct Paired {
    ours: Run,
    theirs: Run,
    ratio: f64,
    low: f64,
    high: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn paired(rounds: usize, mut ours: impl FnMut() -> Run, mut theirs: impl FnMut() -> Run) -> Paired {
    let mut pairs = Vec::new();
    for i in 0..rounds {
        let (o, t) = if i % 2 == 0 {
            let o = ours();
            (o, theirs())
        } else {
            let t = theirs();
            (ours(), t)
        };
        pairs.push((o, t));
    }
    let ratios: Vec<f64> = pairs.iter().map(|(o, t)| t.secs / o.secs).collect();
    let pick = |f: &dyn Fn(&(Run, Run)) -> f64| median(pairs.iter().map(f).collect());
    Paired {
        ours: Run {
            secs: pick(&|p| p.0.secs),
            cpu: pick(&|p| p.0.cpu),
            peak_mib: pairs.iter().map(|p| p.0.peak_mib).fold(0.0, f64::max),
        },
        theirs: Run {
            secs: pick(&|p| p.1.secs),
            cpu: pick(&|p| p.1.cpu),
            peak_mib: 0.0,
        },
        ratio: median(ratios.clone()),
        low: ratios.iter().copied().fold(f64::INFINITY, f64::min),
        high: ratios.iter().copied().fold(0.0, f64::max),
    }
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
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Run {
        secs,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
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
    /// A row measured once (no reference).
    fn single(&mut self, op: &str, ours: &Run, bytes: Option<u64>) {
        self.line(op, ours, bytes, "", None);
    }

    /// A row of paired runs against a reference.
    fn pair(&mut self, op: &str, p: &Paired, reference: &str, bytes: Option<u64>) {
        self.line(op, &p.ours, bytes, reference, Some(p));
    }

    fn line(
        &mut self,
        op: &str,
        ours: &Run,
        bytes: Option<u64>,
        reference: &str,
        p: Option<&Paired>,
    ) {
        let speed = bytes
            .map(|b| format!("{:.0} MB/s", b as f64 / ours.secs / 1e6))
            .unwrap_or_default();
        let cpu = bytes
            .filter(|_| ours.cpu > 0.0)
            .map(|b| format!("{:.2}", ours.cpu / (b as f64 / (1u64 << 30) as f64)))
            .unwrap_or_default();
        let (rt, ratio, spread) = match p {
            Some(p) => (
                format!("{:.3}", p.theirs.secs),
                format!("{:.2}x", p.ratio),
                format!("{:.2}–{:.2}", p.low, p.high),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        let peak = if ours.peak_mib > 0.0 {
            format!("{:.1}", ours.peak_mib)
        } else {
            String::new()
        };
        let line = format!(
            "| {op} | {:.3} | {speed} | {cpu} | {reference} | {rt} | {ratio} | {spread} | {peak} |",
            ours.secs
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
    rounds: usize,
}

const FULL: Scale = Scale {
    big: 1 << 30,
    files: 1000,
    file_size: 1 << 20,
    items: 10_000,
    events: 100_000,
    rounds: 5,
};
const SMOKE: Scale = Scale {
    big: 8 << 20,
    files: 10,
    file_size: 300_000,
    items: 100,
    events: 1_000,
    rounds: 1,
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
        "| operation | ours s | throughput | CPU s/GiB | reference | theirs s | ratio (median) | spread | peak MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut t = Table { rows: Vec::new() };
    let rounds = sc.rounds;

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
    let many_bytes = sc.files * sc.file_size;
    let many_label = format!("{} files of {} KiB", sc.files, sc.file_size >> 10);
    let vault = dir.join("vault");
    run(casefile(&vault)
        .arg("init")
        .stderr(std::process::Stdio::null()));

    // Unlock: Argon2id (64 MiB, t=3) plus opening the database.
    let unlock = run(casefile(&vault).args(["key", "show"]));
    t.single("unlock (open vault, key show)", &unlock, None);

    // Hash ceilings on this machine: one core, data in the page cache,
    // streamed in 1 MiB reads, against `openssl dgst` on the same file.
    let have_openssl = have("openssl");
    for (name, alg) in [("SHA-256", "sha256"), ("SHA-512", "sha512")] {
        let ours = || {
            use std::io::Read;
            let mut f = std::fs::File::open(&big).unwrap();
            let mut buf = vec![0u8; 1 << 20];
            let mut h256 = casefile::crypto::hash::Sha256::new();
            let mut h512 = casefile::crypto::hash::Sha512::new();
            let start = Instant::now();
            loop {
                let n = f.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                if alg == "sha256" {
                    h256.update(&buf[..n])
                } else {
                    h512.update(&buf[..n])
                }
            }
            std::hint::black_box((h256.finalize(), h512.finalize()));
            let secs = start.elapsed().as_secs_f64();
            Run {
                secs,
                cpu: 0.0,
                peak_mib: 0.0,
            }
        };
        let op = format!("{name} of {big_label}, page cache (OpenSSL)");
        if have_openssl {
            let p = paired(rounds, ours, || {
                sh(&format!(
                    "openssl dgst -{alg} '{}' >/dev/null",
                    big.display()
                ))
            });
            t.pair(&op, &p, &format!("openssl dgst -{alg}"), Some(gib));
        } else {
            t.single(&op, &ours(), Some(gib));
        }
    }
    if have_openssl && std::ptr::eq(sc, &FULL) {
        for alg in ["sha256", "sha512"] {
            let out = Command::new("openssl")
                .args(["speed", "-seconds", "3", "-bytes", "1048576", alg])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let rate = text
                .lines()
                .filter(|l| l.starts_with(alg))
                .filter_map(|l| l.split_whitespace().last())
                .filter_map(|v| v.trim_end_matches('k').parse::<f64>().ok())
                .next_back();
            if let Some(k) = rate {
                // The same measure of ours: one 1 MiB block in memory, hashed
                // for about as long, the median of five.
                let block = vec![7u8; 1 << 20];
                let mut rates: Vec<f64> = (0..5)
                    .map(|_| {
                        let start = Instant::now();
                        let mut bytes = 0u64;
                        while start.elapsed().as_secs_f64() < 0.6 {
                            if alg == "sha256" {
                                let mut h = casefile::crypto::hash::Sha256::new();
                                for _ in 0..64 {
                                    h.update(&block);
                                }
                                std::hint::black_box(h.finalize());
                            } else {
                                let mut h = casefile::crypto::hash::Sha512::new();
                                for _ in 0..64 {
                                    h.update(&block);
                                }
                                std::hint::black_box(h.finalize());
                            }
                            bytes += 64 << 20;
                        }
                        bytes as f64 / start.elapsed().as_secs_f64() / 1e9
                    })
                    .collect();
                rates.sort_by(f64::total_cmp);
                let theirs = k * 1000.0 / 1e9;
                println!(
                    "(openssl speed {alg}, 1 MiB blocks: {theirs:.2} GB/s; ours in memory: {:.2} GB/s, {:.2}x)",
                    rates[2],
                    rates[2] / theirs
                );
            }
        }
    }

    // Ingest into a vault made for the round (not timed) vs cp + sync.
    let fresh = |name: &str| {
        let v = dir.join(name);
        let _ = std::fs::remove_dir_all(&v);
        run(casefile(&v).arg("init").stderr(std::process::Stdio::null()));
        v
    };
    let p = paired(
        rounds,
        || {
            let v = fresh("round");
            let r = run(casefile(&v).arg("add").arg(&big));
            std::fs::remove_dir_all(&v).unwrap();
            r
        },
        || {
            let r = sh(&format!(
                "cp '{}' '{}/copy.bin' && sync",
                big.display(),
                dir.display()
            ));
            std::fs::remove_file(dir.join("copy.bin")).unwrap();
            r
        },
    );
    t.pair(
        &format!("ingest {big_label}"),
        &p,
        "cp FILE X && sync",
        Some(gib),
    );
    let p = paired(
        rounds,
        || {
            let v = fresh("round");
            let r = run(casefile(&v).arg("add").arg(&photos));
            std::fs::remove_dir_all(&v).unwrap();
            r
        },
        || {
            let r = sh(&format!(
                "cp -r '{}' '{}/photos-copy' && sync",
                photos.display(),
                dir.display()
            ));
            std::fs::remove_dir_all(dir.join("photos-copy")).unwrap();
            r
        },
    );
    t.pair(
        &format!("ingest {many_label}"),
        &p,
        "cp -r DIR X && sync",
        Some(many_bytes),
    );

    // The vault the rest reads: the big file and the many files, each set in a case.
    let new_case = |title: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_casefile"))
            .arg("--vault")
            .arg(&vault)
            .env("CASEFILE_PASSPHRASE", PASS)
            .args([
                "--json",
                "case",
                "new",
                "--title",
                title,
                "--type",
                "corruption",
                "--regime",
                "other",
            ])
            .output()
            .unwrap();
        let case: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        case["id"].as_str().unwrap().to_string()
    };
    let big_case = new_case("bench big");
    let many_case = new_case("bench many");
    run(casefile(&vault)
        .arg("add")
        .arg(&big)
        .args(["--case", &big_case]));
    run(casefile(&vault)
        .arg("add")
        .arg(&photos)
        .args(["--case", &many_case]));
    let v = Vault::open(&vault, Secret::Passphrase(PASS)).unwrap();
    let big_id = v
        .list()
        .unwrap()
        .into_iter()
        .find(|i| i.size == gib)
        .unwrap()
        .id;
    drop(v);

    // Extract vs cp.
    let out = dir.join("extracted.bin");
    let p = paired(
        rounds,
        || {
            let r = run(casefile(&vault)
                .args(["extract", &big_id, "--out"])
                .arg(&out));
            std::fs::remove_file(&out).unwrap();
            r
        },
        || {
            let r = sh(&format!(
                "cp '{}' '{}/copy2.bin'",
                big.display(),
                dir.display()
            ));
            std::fs::remove_file(dir.join("copy2.bin")).unwrap();
            r
        },
    );
    t.pair(&format!("extract {big_label}"), &p, "cp FILE X", Some(gib));

    // Export a case as a sealed bag vs bagit.py making a bag of the same
    // file (its source copied for each round, not timed: bagit.py bags in place).
    let bag = dir.join("bag");
    let many_bag = dir.join("many-bag");
    let have_bagit = have("bagit.py");
    let export = |case: &str, to: &Path| {
        let _ = std::fs::remove_dir_all(to);
        run(casefile(&vault)
            .args(["export", "--case", case, "--out"])
            .arg(to))
    };
    if have_bagit {
        let src = dir.join("bagit-src");
        let p = paired(
            rounds,
            || export(&big_case, &bag),
            || {
                let _ = std::fs::remove_dir_all(&src);
                std::fs::create_dir_all(&src).unwrap();
                std::fs::copy(&big, src.join("big.bin")).unwrap();
                run(Command::new("bagit.py")
                    .args(["--quiet", "--sha256", "--sha512"])
                    .arg(&src))
            },
        );
        t.pair(
            &format!("export a {big_label} case as a sealed bag"),
            &p,
            "bagit.py (sha256+sha512)",
            Some(gib),
        );
        let _ = std::fs::remove_dir_all(&src);
    } else {
        t.single(
            &format!("export a {big_label} case as a sealed bag"),
            &export(&big_case, &bag),
            Some(gib),
        );
    }
    export(&many_case, &many_bag);
    // report.pdf alone, in process: that case's report.html set as PDF/A
    // (shaping, line breaking, font subsetting), which every export does.
    let html = std::fs::read_to_string(many_bag.join("data/report.html")).unwrap();
    let fonts = casefile::typeset::Fonts::system().unwrap();
    let start = Instant::now();
    let pdf = casefile::bundle::report_pdf::report_pdf(
        &fonts,
        &html,
        "bench",
        "bench many",
        "2026-12-01T00:00:00Z",
    )
    .unwrap();
    let made = Run {
        secs: start.elapsed().as_secs_f64(),
        cpu: 0.0,
        peak_mib: 0.0,
    };
    t.single(
        &format!(
            "report.pdf of the {many_label} case ({} KiB of HTML, {} KiB of PDF; in process)",
            html.len() >> 10,
            pdf.len() >> 10
        ),
        &made,
        None,
    );

    // Verify the same bags as sha256sum -c and bagit.py --validate do.
    let verify = |b: &Path| run(casefile(&vault).arg("verify").arg(b));
    let p = paired(
        rounds,
        || verify(&bag),
        || {
            sh(&format!(
                "cd '{}' && sha256sum -c --quiet manifest-sha256.txt",
                bag.display()
            ))
        },
    );
    t.pair(
        &format!("verify the {big_label} bag"),
        &p,
        "sha256sum -c manifest-sha256",
        Some(gib),
    );
    if have_bagit {
        let one = format!("one {big_label} file");
        for (b, label, bytes) in [(&bag, &one, gib), (&many_bag, &many_label, many_bytes)] {
            let p = paired(
                rounds,
                || verify(b),
                || {
                    run(Command::new("bagit.py")
                        .args(["--quiet", "--validate"])
                        .arg(b))
                },
            );
            t.pair(
                &format!("verify the bag of {label}"),
                &p,
                "bagit.py --validate",
                Some(bytes),
            );
        }
    }

    // Send the big case to a WebDAV server (Apache mod_dav on 127.0.0.1, as
    // the tests start it) vs curl -T of an encrypted bundle of the same case
    // to the same server: the cost of exporting, encrypting and uploading in
    // checked parts against uploading a file made beforehand.
    if have("apache2") && have("htpasswd") && have("curl") && have("age-keygen") {
        let dav = common::servers::Dav::start(dir, "bench", "bench-secret");
        let identity = dir.join("bench-identity.txt");
        run(Command::new("age-keygen")
            .arg("-o")
            .arg(&identity)
            .stderr(std::process::Stdio::null()));
        let age = std::fs::read_to_string(&identity)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
            .unwrap();
        run(casefile(&vault)
            .args([
                "remote", "add", "office", "--webdav", &dav.url, "--user", "bench",
            ])
            .env("CASEFILE_REMOTE_SECRET", "bench-secret"));
        let sealed = dir.join("big.tar.age");
        run(casefile(&vault)
            .args(["export", "--case", &big_case, "--to", &age, "--out"])
            .arg(&sealed));
        let sent = dav.root.join("casefile");
        let p = paired(
            rounds,
            || {
                let r = run(casefile(&vault).args([
                    "send", "--case", &big_case, "--remote", "office", "--to", &age,
                ]));
                std::fs::remove_dir_all(&sent).unwrap();
                r
            },
            || {
                let r = run(Command::new("curl")
                    .args([
                        "-sS",
                        "-f",
                        "-o",
                        "/dev/null",
                        "-u",
                        "bench:bench-secret",
                        "-T",
                    ])
                    .arg(&sealed)
                    .arg(format!("{}/curl-upload.tar.age", dav.url)));
                std::fs::remove_file(dav.root.join("curl-upload.tar.age")).unwrap();
                r
            },
        );
        t.pair(
            &format!("send {big_label} to WebDAV (Apache)"),
            &p,
            "curl -T of the .tar.age",
            Some(gib),
        );
        std::fs::remove_file(&sealed).unwrap();
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
    t.single(&format!("log verify, {} events", sc.events), &logv, None);
    let search = run(casefile(&small).args(["search", "Иванов", "protest"]));
    t.single(
        &format!("search, {} items (whole command)", sc.items),
        &search,
        None,
    );
    let v = Vault::open(&small, Secret::Passphrase(PASS)).unwrap();
    let start = Instant::now();
    let hits = casefile::search::search(&v, "王伟 border").unwrap();
    let q = Run {
        secs: start.elapsed().as_secs_f64(),
        cpu: 0.0,
        peak_mib: 0.0,
    };
    assert!(!hits.is_empty());
    t.single("search query alone (in process)", &q, None);
    // What the desktop asks while the user types a word every item holds:
    // the best 5000 matches and whether there were more (fewer in the small
    // run CI makes, so that there still are more).
    let limit = (sc.items / 2).clamp(1, 5000);
    let start = Instant::now();
    let found = casefile::search::search_at_most(&v, "record", limit).unwrap();
    let q = Run {
        secs: start.elapsed().as_secs_f64(),
        cpu: 0.0,
        peak_mib: 0.0,
    };
    assert!(found.more && found.hits.len() == limit);
    t.single(
        &format!(
            "search matching all {} items, the best {limit} (in process)",
            sc.items
        ),
        &q,
        None,
    );
    drop(v);
    println!(
        "\n(unlock and the whole-command rows include process start and one to four Argon2id derivations, one per key slot tried)"
    );
}
