//! Shared helpers: a temporary vault driven through the real `casefile` binary.
#![allow(dead_code)]

pub mod exif;
pub mod forge;
pub mod pdf;
pub mod servers;
pub mod tsa;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

/// The passphrase every test vault uses.
pub const PASS: &str = "test passphrase 4 casefile";

/// A temporary folder with a vault path inside it, and the passphrase
/// commands are run with.
pub struct Env {
    pub tmp: tempfile::TempDir,
    pub vault: PathBuf,
    pass: std::cell::RefCell<String>,
}

impl Env {
    /// A folder with no vault yet.
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let vault = tmp.path().join("vault");
        Env {
            tmp,
            vault,
            pass: std::cell::RefCell::new(PASS.to_string()),
        }
    }

    /// A folder with no vault yet, whose commands use `pass`.
    pub fn with_passphrase(pass: &str) -> Self {
        let env = Self::new();
        env.set_passphrase(pass);
        env
    }

    /// Uses `pass` for the commands that follow.
    pub fn set_passphrase(&self, pass: &str) {
        *self.pass.borrow_mut() = pass.to_string();
    }

    /// A folder with an initialised vault.
    pub fn init() -> Self {
        let env = Self::new();
        env.ok(&["init", "--collector", "Test Collector"]);
        env
    }

    /// A path inside the temporary folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// The command, with vault and passphrase set, not yet run.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_casefile"));
        c.arg("--vault").arg(&self.vault).args(args);
        c.env("CASEFILE_PASSPHRASE", self.pass.borrow().as_str());
        c.env_remove("CASEFILE_VAULT");
        c
    }

    /// Runs and returns the output whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run casefile")
    }

    /// Runs with extra environment variables (secrets, for instance),
    /// whatever the exit code.
    pub fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut c = self.cmd(args);
        for (k, v) in vars {
            c.env(k, v);
        }
        c.output().expect("run casefile")
    }

    /// Runs, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "casefile {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Exports `case` to a new path `name` (with `extra` options), asserting
    /// success; returns the bundle's path.
    pub fn export(&self, case: &str, name: &str, extra: &[&str]) -> PathBuf {
        let out = self.path(name);
        let mut args = vec!["export", "--case", case, "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.ok(&args);
        out
    }

    /// Runs with --json, asserts success, parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }

    /// Runs, asserts the exit code, returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "casefile {args:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).expect("utf-8 stderr")
    }
}

/// Rewrites a delivery's `index.json` (format 2) for the parts as they now
/// are in `dir`, as a server that altered them would.
pub fn rewrite_index(dir: &Path) {
    let path = dir.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("index")).expect("index json");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("delivery")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("part-"))
        .collect();
    names.sort();
    let (mut lines, mut size, mut parts) = (String::new(), 0u64, Vec::new());
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).expect("part");
        let sha = sha256_hex(&bytes);
        lines.push_str(&format!("{name} {} {sha}\n", bytes.len()));
        size += bytes.len() as u64;
        parts.push(serde_json::json!({ "name": name, "size": bytes.len(), "sha256": sha }));
    }
    index["parts"] = parts.into();
    index["size"] = size.into();
    index["sha256"] = sha256_hex(lines.as_bytes()).into();
    std::fs::write(&path, serde_json::to_vec(&index).expect("json")).expect("write index");
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> String {
    let mut f = std::fs::File::open(path).expect("open");
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).expect("read");
    hex::encode(h.finalize())
}

/// Writes `len` bytes of reproducible pseudo-random data derived from `seed`.
pub fn write_data(path: &Path, len: u64, seed: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut block = vec![0u8; 1 << 16];
    let mut left = len;
    while left > 0 {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n]).expect("write");
        left -= n as u64;
    }
    f.flush().expect("flush");
}

/// Every file below `dir`, recursively.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Opens vault.db the way someone who knows the passphrase could.
pub fn raw_db(vault: &Path) -> rusqlite::Connection {
    raw_db_with(vault, PASS)
}

/// Opens vault.db with a passphrase of one's own.
pub fn raw_db_with(vault: &Path, pass: &str) -> rusqlite::Connection {
    use casefile::store::keyslots::{KeySlots, SlotKind};
    let slots = KeySlots::load(&vault.join("keyslots.json")).expect("key slots");
    let key = slots
        .unlock(SlotKind::Passphrase, pass.as_bytes())
        .expect("unlock");
    casefile::store::db::open(
        &vault.join("vault.db"),
        &casefile::crypto::kdf::subkey(&key.key, casefile::vault::DB_KEY_PURPOSE),
        false,
    )
    .expect("open db")
}

/// The vault's device signing key, read from its database.
pub fn device_key(vault: &Path) -> casefile::crypto::sign::DeviceKey {
    let conn = raw_db(vault);
    let (seed, id): (Vec<u8>, Vec<u8>) = conn
        .query_row("SELECT seed, key_id FROM device", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("device key");
    casefile::crypto::sign::DeviceKey::from_parts(&seed, &id).expect("key")
}

/// Fails with a clear message when a recipient's tool is not installed.
pub fn require_tool(name: &str) {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "{name} is not installed; ./scripts/test installs it");
}

/// The desktop app, which scripts/test builds beside the `casefile` binary,
/// once the window tests' tools (and `extra` ones) are found installed.
pub fn desktop_app(extra: &[&str]) -> PathBuf {
    for tool in ["Xvfb", "tauri-driver", "WebKitWebDriver", "python3"]
        .iter()
        .chain(extra)
    {
        require_tool(tool);
    }
    let app = Path::new(env!("CARGO_BIN_EXE_casefile")).with_file_name("casefile-desktop");
    assert!(
        app.is_file(),
        "{} is missing: ./scripts/test builds it before the tests",
        app.display()
    );
    app
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// Runs the command and returns its exit status, peak RSS in KiB, and its
/// output (stdout, stderr). The child is measured alone: a small Python
/// process forks and waits for it, because a child spawned straight from
/// this test process starts its peak at this process's own (Linux carries
/// the parent's high-water mark across fork and exec).
pub fn run_measured(cmd: Command) -> (i32, i64, String) {
    const WAIT: &str = "import os, sys\n\
pid = os.fork()\n\
if pid == 0:\n    os.execvp(sys.argv[2], sys.argv[2:])\n\
_, status, usage = os.wait4(pid, 0)\n\
open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n\
sys.exit(os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))\n";
    let peak_file = std::env::temp_dir().join(format!(
        "casefile-peak-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let mut wrapped = Command::new("python3");
    wrapped
        .arg("-c")
        .arg(WAIT)
        .arg(&peak_file)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    let out = wrapped.output().expect("python3 runs the measured command");
    let peak: i64 = std::fs::read_to_string(&peak_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .expect("the measured command's peak");
    let _ = std::fs::remove_file(&peak_file);
    (
        out.status.code().unwrap_or(-1),
        peak,
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A vault with the demo case, exported as a sealed folder bundle; returns
/// the vault, the case id and the bundle.
pub fn demo_bundle(name: &str) -> (Env, String, PathBuf) {
    let env = Env::init();
    let sheet = env.json(&["demo"]);
    let case = sheet["id"].as_str().expect("case id").to_string();
    let out = env.path(name);
    env.ok(&[
        "export",
        "--case",
        &case,
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    (env, case, out)
}

/// A fresh age identity made by `age-keygen` in `env`'s folder: (the
/// identity file, its public recipient `age1…`).
pub fn age_identity(env: &Env) -> (PathBuf, String) {
    require_tool("age-keygen");
    let file = env.path("age-identity.txt");
    let out = Command::new("age-keygen")
        .arg("-o")
        .arg(&file)
        .output()
        .expect("age-keygen");
    assert!(out.status.success(), "age-keygen failed");
    let public = std::fs::read_to_string(&file)
        .expect("the identity file")
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .expect("a public key line");
    (file, public)
}

/// Runs the `age -d … | tar x` command an encrypted bundle's how-to-open
/// note gives, with `identity` for its placeholder, where the note lies (as
/// its reader would); returns the command run.
pub fn open_as_the_note_says(env: &Env, note: &Path, identity: &Path) -> String {
    let note = std::fs::read_to_string(note).expect("the how-to-open note");
    let command = note
        .lines()
        .find(|l| l.trim_start().starts_with("age -d"))
        .expect("an age command in the note")
        .trim()
        .replace(
            "YOUR-AGE-IDENTITY-FILE",
            identity.to_str().expect("a UTF-8 path"),
        );
    let status = Command::new("sh")
        .args(["-c", &command])
        .current_dir(env.tmp.path())
        .status()
        .expect("run sh");
    assert!(status.success(), "{command}");
    command
}
