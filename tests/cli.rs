//! The `casefile` command line, end to end on real vaults.

mod common;

use std::process::Command;

use common::{Env, PASS, all_files, sha256_file, write_data};

fn file_hashes(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    all_files(dir)
        .into_iter()
        .map(|p| (p.clone(), sha256_file(&p)))
        .collect()
}

#[test]
fn add_list_show_extract_round_trip() {
    let env = Env::init();
    let photo = env.path("photo.jpg");
    // A JPEG header makes the content sniffing say image/jpeg.
    let mut bytes = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".to_vec();
    bytes.extend((0..300_000u32).map(|i| (i % 253) as u8));
    std::fs::write(&photo, &bytes).unwrap();
    let doc = env.path("record.txt");
    std::fs::write(&doc, "Detention record, cell 4.\n").unwrap();

    let added = env.json(&[
        "add",
        photo.to_str().unwrap(),
        doc.to_str().unwrap(),
        "--source",
        "field visit",
    ]);
    let added = added.as_array().unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(added[0]["kind"], "photo");
    assert_eq!(added[0]["mime"], "image/jpeg");
    assert_eq!(added[1]["kind"], "document");
    assert_eq!(added[0]["source"], "field visit");
    assert_eq!(added[0]["collector"], "Test Collector");
    assert_eq!(added[0]["sha256"], sha256_file(&photo));

    let list = env.json(&["list"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let id = list[0]["id"].as_str().unwrap();
    assert!(env.ok(&["list"]).contains("photo.jpg"));

    // Show by a unique prefix.
    let shown = env.json(&["show", &id[..6]]);
    assert_eq!(shown["id"], id);
    assert_eq!(shown["size"], bytes.len() as u64);
    let text = env.ok(&["show", id]);
    assert!(text.contains(&sha256_file(&photo)));

    let out = env.path("out.jpg");
    env.ok(&["extract", id, "--out", out.to_str().unwrap()]);
    let cmp = Command::new("cmp").arg(&photo).arg(&out).status().unwrap();
    assert!(cmp.success(), "extracted file differs from the original");
    let sum = Command::new("sha256sum").arg(&out).output().unwrap();
    let sum = String::from_utf8(sum.stdout).unwrap();
    assert_eq!(
        sum.split_whitespace().next().unwrap(),
        shown["sha256"].as_str().unwrap()
    );

    // Never overwrite.
    let err = env.fails(&["extract", id, "--out", out.to_str().unwrap()], 2);
    assert!(err.contains("already exists"), "{err}");

    let log = env.json(&["log", "--item", id]);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["item_added", "item_viewed", "item_viewed", "item_extracted"]
    );
    assert!(log[0]["id"].is_u64());
    assert!(env.ok(&["log", "verify"]).contains("custody log verified"));
}

#[test]
fn empty_and_large_boundary_files_round_trip() {
    let env = Env::init();
    for (name, len) in [("empty", 0u64), ("chunk", 65536), ("odd", 65536 * 3 + 17)] {
        let src = env.path(name);
        write_data(&src, len, len + 1);
        let item = env.json(&["add", src.to_str().unwrap()]);
        let id = item[0]["id"].as_str().unwrap().to_string();
        let out = env.path(&format!("{name}.out"));
        env.ok(&["extract", &id, "--out", out.to_str().unwrap()]);
        assert_eq!(sha256_file(&out), sha256_file(&src), "{name}");
        assert_eq!(std::fs::metadata(&out).unwrap().len(), len);
    }
}

#[test]
fn folders_are_added_recursively() {
    let env = Env::init();
    let dir = env.path("photos");
    std::fs::create_dir_all(dir.join("day2")).unwrap();
    std::fs::write(dir.join("a.txt"), "a").unwrap();
    std::fs::write(dir.join("day2/b.txt"), "b").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.join("link")).unwrap();
    let out = env.run(&["--json", "add", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let added: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = added
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["original_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.txt", "b.txt"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped"));
}

#[test]
fn wrong_passphrase_is_one_sentence_and_changes_nothing() {
    let env = Env::init();
    let f = env.path("f.txt");
    std::fs::write(&f, "x").unwrap();
    env.ok(&["add", f.to_str().unwrap()]);
    let before: Vec<_> = file_hashes(&env.vault)
        .into_iter()
        .filter(|(p, _)| !p.ends_with("guard.json"))
        .collect();
    let out = env
        .cmd(&["list"])
        .env("CASEFILE_PASSPHRASE", "not the passphrase")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(!err.contains(PASS) && !err.contains("not the passphrase"));
    // Only the failure count (guard.json, which slows the next guesses) is new.
    let after: Vec<_> = file_hashes(&env.vault)
        .into_iter()
        .filter(|(p, _)| !p.ends_with("guard.json"))
        .collect();
    assert_eq!(after, before, "a failed unlock changed the vault");
    let guard = std::fs::read_to_string(env.vault.join("guard.json")).unwrap();
    assert!(guard.contains("\"failures\":1"), "{guard}");
}

#[test]
fn passphrase_file_works_and_argv_has_no_passphrase_option() {
    let env = Env::new();
    let pf = env.path("pass.txt");
    std::fs::write(&pf, format!("{PASS}\n")).unwrap();
    let out = env
        .cmd(&["--passphrase-file", pf.to_str().unwrap(), "init"])
        .env_remove("CASEFILE_PASSPHRASE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same passphrase from the environment opens it.
    env.ok(&["list"]);
    let err = env.fails(&["--passphrase", PASS, "list"], 2);
    assert!(err.contains("unexpected argument"), "{err}");
    // No passphrase at all and no terminal: a clear sentence.
    let out = env
        .cmd(&["list"])
        .env_remove("CASEFILE_PASSPHRASE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no passphrase"));
}

#[test]
fn init_refuses_short_passphrase_and_existing_vault() {
    let env = Env::new();
    let out = env
        .cmd(&["init"])
        .env("CASEFILE_PASSPHRASE", "short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shorter than 8 characters"));
    assert!(!env.vault.join("keyslots.json").exists());
    env.ok(&["init"]);
    let err = env.fails(&["init"], 2);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn init_prints_a_recovery_code_that_opens_the_vault() {
    let env = Env::new();
    let out = env.json(&["init"]);
    let code = out["recovery_code"].as_str().unwrap();
    assert_eq!(code.len(), 39);
    let vault = casefile::Vault::open(
        &env.vault,
        casefile::vault::Secret::RecoveryCode(&code.to_lowercase()),
    );
    assert!(vault.is_ok());
    drop(vault);
    let wrong = casefile::Vault::open(
        &env.vault,
        casefile::vault::Secret::RecoveryCode("AAAA-BBBB"),
    );
    assert!(matches!(
        wrong,
        Err(casefile::VaultError::WrongRecoveryCode)
    ));
}

/// Drives `casefile init` at a real terminal (a pseudo-terminal made by
/// Python's pty module): the rules come before the first question, a weak
/// passphrase is asked for again, and a wrong group of the recovery code is
/// refused until the right one is typed.
const AT_A_TERMINAL: &str = r#"
import os, pty, re, sys, termios, time
bin, vault, good = sys.argv[1], sys.argv[2], sys.argv[3]
env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFILE_")}
pid, fd = pty.fork()
if pid == 0:
    os.execve(bin, [bin, "--vault", vault, "init", "--collector", "Dana Field"], env)
seen = b""
def until(pattern):
    global seen
    while not re.search(pattern, seen):
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            sys.stdout.write(seen.decode(errors="replace"))
            sys.exit("ended before " + pattern.decode())
        seen += chunk
    return re.search(pattern, seen)
def hidden(data):
    # As a person would: typed once the terminal stopped echoing.
    for _ in range(500):
        if not termios.tcgetattr(fd)[3] & termios.ECHO:
            break
        time.sleep(0.01)
    os.write(fd, data + b"\n")
until(rb"New passphrase: ")
hidden(b"password")
until(rb"too weak[\s\S]*New passphrase: ")
hidden(good.encode())
until(rb"Repeat the passphrase: ")
hidden(good.encode())
m = until(rb"type group (\d) of 8")
code = re.search(rb"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){7}", seen).group(0).decode()
group = code.split("-")[int(m.group(1)) - 1]
os.write(fd, b"!!!!\n")
until(rb"That is not group[\s\S]*type group \d of 8[^\n]*: ")
os.write(fd, group.lower().encode() + b"\n")
until(rb"Right\.")
_, status = os.waitpid(pid, 0)
try:
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        seen += chunk
except OSError:
    pass
sys.stdout.write(seen.decode(errors="replace"))
print("\nEXIT", os.waitstatus_to_exitcode(status))
print("CODE", code)
"#;

#[test]
fn init_at_a_terminal_says_the_rules_and_has_the_code_typed_back() {
    let env = Env::new();
    let out = Command::new("python3")
        .args(["-c", AT_A_TERMINAL, env!("CARGO_BIN_EXE_casefile")])
        .arg(&env.vault)
        .arg(PASS)
        .output()
        .expect("python3");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rules = said.find("at least 8 characters").expect("the rules");
    assert!(rules < said.find("New passphrase: ").unwrap(), "{said}");
    assert!(said.contains("EXIT 0"), "{said}");
    assert!(
        !said.contains(PASS),
        "the passphrase is never echoed: {said}"
    );
    // The vault it made opens with the passphrase, and with the code shown.
    env.ok(&["list"]);
    let code = said.rsplit("CODE ").next().unwrap().trim();
    let vault = casefile::Vault::open(&env.vault, casefile::vault::Secret::RecoveryCode(code));
    assert!(vault.is_ok(), "{code}");
}

#[test]
fn missing_vault_and_bad_input_give_clear_errors() {
    let env = Env::new();
    let err = env.fails(&["list"], 2);
    assert!(err.contains("no vault at"), "{err}");
    let env = Env::init();
    let err = env.fails(&["add", env.path("nope.txt").to_str().unwrap()], 2);
    assert!(
        err.contains("cannot read") && err.contains("nope.txt"),
        "{err}"
    );
    let err = env.fails(&["show", "zzzzzzzz"], 2);
    assert!(err.contains("no item"), "{err}");
    let err = env.fails(&["add", "/dev/null"], 2);
    assert!(err.contains("not a regular file"), "{err}");
    let err = env.fails(&["add", "--kind", "painting", "/etc/hostname"], 2);
    assert!(err.contains("unknown kind"), "{err}");
}

#[test]
fn edits_change_metadata_never_bytes_and_are_logged() {
    let env = Env::init();
    let f = env.path("statement.txt");
    std::fs::write(&f, "original words").unwrap();
    let id = env.json(&["add", f.to_str().unwrap()])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let edited = env.json(&[
        "edit",
        &id,
        "--title",
        "Statement of W-12",
        "--language",
        "ar",
        "--kind",
        "testimony",
    ]);
    assert_eq!(edited["title"], "Statement of W-12");
    assert_eq!(edited["kind"], "testimony");
    assert_eq!(edited["sha256"], sha256_file(&f));
    let log = env.json(&["log", "--item", &id]);
    let edit = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "item_edited")
        .unwrap();
    assert_eq!(edit["details"]["changed"]["title"]["from"], "statement.txt");
    assert_eq!(
        edit["details"]["changed"]["title"]["to"],
        "Statement of W-12"
    );
    assert_eq!(edit["sha256"], sha256_file(&f));
    env.ok(&["log", "verify"]);
}

#[test]
fn key_show_prints_a_minisign_public_key() {
    let env = Env::init();
    let out = env.ok(&["key", "show"]);
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("untrusted comment: "));
    assert_eq!(lines.next().unwrap().len(), 56);
}

#[test]
fn adding_a_file_already_in_the_vault_says_which_item_holds_it() {
    let env = Env::init();
    let a = env.path("statement.txt");
    std::fs::write(&a, b"the same words").unwrap();
    let copy = env.path("copy-of-statement.txt");
    std::fs::copy(&a, &copy).unwrap();
    let other = env.path("other.txt");
    std::fs::write(&other, b"other words").unwrap();

    let out = env.run(&["add", a.to_str().unwrap(), other.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();

    // Twice in one run, and once more later: each later copy names the first.
    let out = env.run(&["add", copy.to_str().unwrap(), a.to_str().unwrap()]);
    assert!(out.status.success(), "a duplicate is kept, not refused");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 2, "{err}");
    for name in ["copy-of-statement.txt", "statement.txt"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("warning: {name}"))
                    && l.contains(&format!("the same SHA-256 as item {first} (statement.txt)"))),
            "{name}: {err}"
        );
    }
    assert_eq!(env.json(&["list"]).as_array().unwrap().len(), 4);
}

#[test]
fn with_json_an_error_is_json_on_stderr_with_the_same_exit_code() {
    let env = Env::init();
    for (args, code, name, says) in [
        (
            vec!["show", "nosuchitem", "--json"],
            2,
            "not_found",
            "nosuchitem",
        ),
        (
            vec!["--json", "export"],
            2,
            "usage",
            "--case <CASE> --out <PATH>",
        ),
        (
            vec!["--json", "lst"],
            2,
            "usage",
            "unrecognized subcommand 'lst'",
        ),
        (
            vec!["--json", "log", "verify", "--bogus"],
            2,
            "usage",
            "--bogus",
        ),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        let v: serde_json::Value = serde_json::from_str(&err).expect("JSON on stderr");
        assert_eq!(v["code"], name, "{args:?}: {v}");
        assert_eq!(v["exit"], code, "{args:?}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains(says),
            "{args:?}: {v}"
        );
    }
    // Without --json the same error is a sentence.
    let err = env.fails(&["show", "nosuchitem"], 2);
    assert!(err.starts_with("error: "), "{err}");
    // Help is not an error, with or without --json.
    let out = env.run(&["--json", "--help"]);
    assert_eq!(out.status.code(), Some(0));
}
