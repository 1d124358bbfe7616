//! Sealed bundles, checked with the recipients' own tools (bagit.py, minisign,
//! age, sha256sum), a generated tamper corpus, hostile bundles, bags made by
//! other tools (the Library of Congress conformance suite) and a round trip.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use casefile::bundle::digest::{Alg, hex_digest};
use casefile::bundle::seal;
use casefile::crypto::sign::DeviceKey;
use common::{Env, all_files, copy_dir, device_key, require_tool, sha256_file};
use serde_json::Value;

/// A vault holding the demo case; returns it with the case id.
fn demo() -> (Env, String) {
    let env = Env::init();
    let sheet = env.json(&["demo"]);
    let id = sheet["id"].as_str().unwrap().to_string();
    (env, id)
}

fn run_in(dir: &Path, cmd: &str, args: &[&str]) -> std::process::Output {
    Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

fn verify(env: &Env, bundle: &Path) -> (i32, String) {
    let out = env.run(&["verify", bundle.to_str().unwrap()]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Recomputes every manifest of a bag folder and signs the tag manifest with `key`.
fn reseal(bag: &Path, key: &DeviceKey) {
    let mut m256 = String::new();
    let mut m512 = String::new();
    for f in all_files(&bag.join("data")) {
        let rel = f.strip_prefix(bag).unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&f).unwrap();
        m256.push_str(&format!("{}  {rel}\n", hex_digest(Alg::Sha256, &bytes)));
        m512.push_str(&format!("{}  {rel}\n", hex_digest(Alg::Sha512, &bytes)));
    }
    std::fs::write(bag.join("manifest-sha256.txt"), &m256).unwrap();
    std::fs::write(bag.join("manifest-sha512.txt"), &m512).unwrap();
    let files: usize = all_files(&bag.join("data")).len();
    let bytes: u64 = all_files(&bag.join("data"))
        .iter()
        .map(|f| f.metadata().unwrap().len())
        .sum();
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    let info: String = info
        .lines()
        .map(|l| {
            if l.starts_with("Payload-Oxum:") {
                format!("Payload-Oxum: {bytes}.{files}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(bag.join("bag-info.txt"), info).unwrap();
    rehash_tags(bag);
    let tm = std::fs::read(bag.join("tagmanifest-sha256.txt")).unwrap();
    std::fs::write(
        bag.join("tagmanifest-sha256.txt.minisig"),
        seal::sign(key, &tm, "resealed"),
    )
    .unwrap();
}

/// Recomputes the tag manifests only (leaving the signature as it was).
fn rehash_tags(bag: &Path) {
    for alg in [Alg::Sha256, Alg::Sha512] {
        let mut t = String::new();
        for name in [
            "bagit.txt",
            "bag-info.txt",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
        ] {
            t.push_str(&format!(
                "{}  {name}\n",
                hex_digest(alg, &std::fs::read(bag.join(name)).unwrap())
            ));
        }
        std::fs::write(bag.join(format!("tagmanifest-{}.txt", alg.name())), t).unwrap();
    }
}

fn evidence_files(bag: &Path) -> Vec<PathBuf> {
    all_files(&bag.join("data/evidence"))
}

#[test]
fn recipients_tools_accept_a_folder_bundle() {
    require_tool("bagit.py");
    require_tool("minisign");
    let (env, case) = demo();
    let bag = env.export(&case, "bundle", &[]);
    let out = run_in(&bag, "bagit.py", &["--validate", "."]);
    assert!(
        out.status.success(),
        "bagit.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_in(
        &bag,
        "minisign",
        &[
            "-V",
            "-p",
            "data/device.pub",
            "-m",
            "tagmanifest-sha256.txt",
        ],
    );
    assert!(
        out.status.success(),
        "minisign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Signature and comment signature verified")
    );
    for (tool, manifest) in [
        ("sha256sum", "manifest-sha256.txt"),
        ("sha512sum", "manifest-sha512.txt"),
        ("sha256sum", "tagmanifest-sha256.txt"),
    ] {
        let out = run_in(&bag, tool, &["-c", manifest]);
        assert!(
            out.status.success(),
            "{tool} -c {manifest}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // The key in the bundle is the one `key show` prints.
    assert_eq!(
        std::fs::read_to_string(bag.join("data/device.pub")).unwrap(),
        env.ok(&["key", "show"])
    );
    let (code, text) = verify(&env, &bag);
    assert_eq!(code, 0, "{text}");
    for check in [
        "bagit",
        "manifests",
        "signature",
        "checkpoint",
        "custody",
        "evidence",
    ] {
        assert!(text.contains(&format!("PASS {check}")), "{text}");
    }
    // The report and instructions are there and readable without script.
    let report = std::fs::read_to_string(bag.join("data/report.html")).unwrap();
    assert!(report.contains("Арвид Марров") && !report.contains("<script"));
    let case_json: Value =
        serde_json::from_str(&std::fs::read_to_string(bag.join("data/case.json")).unwrap())
            .unwrap();
    assert_eq!(case_json["schema"], "casefile-bundle/1");
    for item in case_json["items"].as_array().unwrap() {
        assert_eq!(
            sha256_file(&bag.join(item["path"].as_str().unwrap())),
            item["sha256"].as_str().unwrap()
        );
    }
    assert!(
        std::fs::read_to_string(bag.join("data/certification.txt"))
            .unwrap()
            .contains("902(13)")
    );
    // Only the exported items' events, each of an exported item.
    let ids: Vec<&str> = case_json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    for line in std::fs::read_to_string(bag.join("data/custody.jsonl"))
        .unwrap()
        .lines()
    {
        let e: Value = serde_json::from_str(line).unwrap();
        assert!(ids.contains(&e["item"].as_str().unwrap()), "{line}");
    }
}

#[test]
fn zip_and_age_encrypted_bundles_verify_with_standard_tools() {
    require_tool("age");
    require_tool("age-keygen");
    require_tool("bagit.py");
    let (env, case) = demo();
    let zip = env.export(&case, "bundle.zip", &["--zip"]);
    let (code, text) = verify(&env, &zip);
    assert_eq!(code, 0, "{text}");
    let unzip_dir = env.path("unzipped");
    std::fs::create_dir_all(&unzip_dir).unwrap();
    let mut z = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    z.extract(&unzip_dir).unwrap();
    let out = run_in(&unzip_dir.join("bundle"), "bagit.py", &["--validate", "."]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let key = env.path("key.txt");
    assert!(
        Command::new("age-keygen")
            .arg("-o")
            .arg(&key)
            .output()
            .unwrap()
            .status
            .success()
    );
    let recipient = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(String::from))
        .unwrap();
    let enc = env.export(&case, "bundle.tar.age", &["--to", &recipient]);
    let head = std::fs::read(&enc).unwrap();
    assert!(head.starts_with(b"age-encryption.org/v1"));
    let err = env.fails(&["verify", enc.to_str().unwrap()], 2);
    assert!(err.contains("--identity"), "{err}");
    let out = env.run(&[
        "verify",
        enc.to_str().unwrap(),
        "--identity",
        key.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Stock age and tar open it; bagit.py accepts what comes out.
    let dir = env.path("decrypted");
    std::fs::create_dir_all(&dir).unwrap();
    let cmd = format!(
        "age -d -i '{}' '{}' | tar x -C '{}'",
        key.display(),
        enc.display(),
        dir.display()
    );
    assert!(
        Command::new("sh")
            .args(["-c", &cmd])
            .status()
            .unwrap()
            .success()
    );
    let out = run_in(&dir.join("bundle"), "bagit.py", &["--validate", "."]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another identity cannot open it.
    let other = env.path("other.txt");
    Command::new("age-keygen")
        .arg("-o")
        .arg(&other)
        .output()
        .unwrap();
    let err = env.fails(
        &[
            "verify",
            enc.to_str().unwrap(),
            "--identity",
            other.to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("decrypt"), "{err}");
}

#[test]
fn tamper_corpus_is_caught_and_named() {
    let (env, case) = demo();
    let good = env.export(&case, "good", &[]);
    let key = device_key(&env.vault);
    let stranger = DeviceKey::generate();
    type Tamper = Box<dyn Fn(&Path)>;
    let corpus: Vec<(&str, Tamper, &[&str])> = vec![
        (
            "flipped byte in evidence",
            Box::new(|b: &Path| flip(&evidence_files(b)[0], 100)),
            &["FAIL bagit", "does not match its sha256 checksum"],
        ),
        (
            "flipped byte in case.json",
            Box::new(|b: &Path| flip(&b.join("data/case.json"), 40)),
            &["FAIL bagit", "data/case.json"],
        ),
        (
            "flipped byte in a manifest",
            Box::new(|b: &Path| flip(&b.join("manifest-sha256.txt"), 3)),
            &["FAIL bagit", "tagmanifest-sha256.txt line"],
        ),
        (
            "file added",
            Box::new(|b: &Path| {
                std::fs::write(b.join("data/evidence/extra.txt"), "planted").unwrap()
            }),
            &["FAIL bagit", "data/evidence/extra.txt"],
        ),
        (
            "file removed",
            Box::new(|b: &Path| std::fs::remove_file(&evidence_files(b)[1]).unwrap()),
            &["FAIL bagit", "is missing from the bag"],
        ),
        (
            "rehashed without re-signing",
            Box::new(|b: &Path| {
                flip(&evidence_files(b)[0], 100);
                let k = DeviceKey::generate();
                let sig =
                    std::fs::read_to_string(b.join("tagmanifest-sha256.txt.minisig")).unwrap();
                reseal(b, &k);
                std::fs::write(b.join("tagmanifest-sha256.txt.minisig"), sig).unwrap();
            }),
            &["FAIL signature", "does not match the signed file"],
        ),
    ];
    let mut corpus = corpus;
    let k2 = stranger;
    corpus.push((
        "signature from another key",
        Box::new(move |b: &Path| reseal(b, &k2)),
        &["FAIL signature", "signed by another key"],
    ));
    // With the device key in hand (a sender-side fault), the custody checks still catch it.
    let key_bytes = (key.seed(), key.public().key_id);
    let with_key = move |f: fn(&Path)| -> Tamper {
        let (seed, id) = (key_bytes.0.clone(), key_bytes.1);
        Box::new(move |b: &Path| {
            f(b);
            reseal(b, &DeviceKey::from_parts(&seed[..], &id).unwrap());
        })
    };
    corpus.push((
        "event removed",
        with_key(|b| {
            edit_lines(b, |l| {
                l.remove(1);
            })
        }),
        &["FAIL custody", "proofs for"],
    ));
    corpus.push((
        "event altered",
        with_key(|b| edit_lines(b, |l| l[0] = l[0].replace("\"actor\":\"", "\"actor\":\"X"))),
        &[
            "FAIL custody",
            "line 1",
            "not included in the signed tree head",
        ],
    ));
    corpus.push((
        "events reordered",
        with_key(|b| edit_lines(b, |l| l.swap(0, 1))),
        &["FAIL custody", "line 1"],
    ));
    corpus.push((
        "wrong inclusion proof",
        with_key(|b| {
            let p = b.join("data/proofs.json");
            let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let first = v["proofs"][0]["path"][0].as_str().unwrap().to_string();
            let flipped = format!(
                "{}{}",
                if first.starts_with('0') { "1" } else { "0" },
                &first[1..]
            );
            v["proofs"][0]["path"][0] = Value::String(flipped);
            std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        }),
        &["FAIL custody", "line 1", "wrong proof"],
    ));
    corpus.push((
        "evidence swapped with matching case.json",
        with_key(|b| {
            let e = &evidence_files(b)[0];
            std::fs::write(e, "a different file").unwrap();
            let p = b.join("data/case.json");
            let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let name = e.file_name().unwrap().to_str().unwrap().to_string();
            for it in v["items"].as_array_mut().unwrap() {
                if it["path"].as_str().unwrap().ends_with(&name) {
                    it["sha256"] = Value::String(hex_digest(Alg::Sha256, b"a different file"));
                    it["sha512"] = Value::String(hex_digest(Alg::Sha512, b"a different file"));
                    it["size"] = Value::from(16);
                }
            }
            std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        }),
        &["FAIL evidence", "records another hash"],
    ));

    for (name, tamper, expect) in &corpus {
        let bag = env.path(&format!("t-{}", name.replace(' ', "-")));
        copy_dir(&good, &bag);
        tamper(&bag);
        let (code, text) = verify(&env, &bag);
        assert_eq!(code, 1, "{name}: expected failure:\n{text}");
        for e in *expect {
            assert!(text.contains(e), "{name}: expected {e:?} in:\n{text}");
        }
    }
    // The expected signer can be pinned: a bundle re-signed with a stranger's own key fails.
    let bag = env.path("t-impostor");
    copy_dir(&good, &bag);
    let impostor = DeviceKey::generate();
    std::fs::write(bag.join("data/device.pub"), impostor.public().to_minisign()).unwrap();
    reseal(&bag, &impostor);
    let pinned = env.path("pinned.pub");
    std::fs::write(&pinned, env.ok(&["key", "show"])).unwrap();
    let out = env.run(&[
        "verify",
        bag.to_str().unwrap(),
        "--key",
        pinned.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&impostor.public().fingerprint())
            && text.contains(
                &casefile::bundle::seal::parse_public_key(
                    &std::fs::read_to_string(&pinned).unwrap()
                )
                .unwrap()
                .fingerprint()
            ),
        "both fingerprints are named: {text}"
    );
}

fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    let i = at.min(b.len() - 1);
    b[i] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

fn edit_lines(bag: &Path, f: impl Fn(&mut Vec<String>)) {
    let p = bag.join("data/custody.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    f(&mut lines);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
}

#[test]
fn round_trip_into_a_second_vault_keeps_bytes_and_history() {
    let (a, case) = demo();
    let bag = a.export(&case, "bundle.zip", &["--zip"]);
    let b = Env::with_passphrase("a different passphrase");
    b.ok(&["init", "--collector", "Receiving Office"]);
    let run_b = |args: &[&str]| b.ok(args);
    let sender = a.json(&["key", "show"]);
    let fingerprint = sender["fingerprint"].as_str().unwrap().to_string();
    // An unpinned signer is refused (exit 3), with the fingerprint to compare.
    let err = b.fails(&["import", bag.to_str().unwrap()], 3);
    assert!(err.contains(&fingerprint), "{err}");
    assert_eq!(b.json(&["list"]).as_array().unwrap().len(), 0);
    // Trusted after comparing: imported, and the sender is known from now on.
    let imported: Value = serde_json::from_str(&run_b(&[
        "--json",
        "import",
        bag.to_str().unwrap(),
        "--trust",
        "Amina",
    ]))
    .unwrap();
    assert_eq!(imported["sealed"], true);
    assert_eq!(imported["fingerprint"], fingerprint.as_str());
    let local_case = imported["case"].as_str().unwrap().to_string();
    assert_ne!(local_case, case, "a received case gets a local id");
    let senders = b.json(&["senders", "list"]);
    assert_eq!(senders[0]["name"], "Amina");
    assert_eq!(senders[0]["fingerprint"], fingerprint.as_str());
    let received: Vec<Value> = b.json(&["list"]).as_array().unwrap().clone();
    for item in a.json(&["list"]).as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let Some(local) = received.iter().find(|r| r["sender_id"] == id) else {
            continue; // withheld for lack of consent
        };
        let local_id = local["id"].as_str().unwrap();
        assert_ne!(local_id, id, "received items get local ids");
        let out = b.path(&format!("{id}.out"));
        run_b(&["extract", local_id, "--out", out.to_str().unwrap()]);
        let orig = a.path(&format!("{id}.orig"));
        a.ok(&["extract", id, "--out", orig.to_str().unwrap()]);
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&orig).unwrap());
        assert_eq!(sha256_file(&out), item["sha256"].as_str().unwrap());
        let log: Value =
            serde_json::from_str(&run_b(&["--json", "log", "--item", local_id])).unwrap();
        let got = &log[0];
        assert_eq!(got["action"], "received");
        assert_eq!(got["sha256"], item["sha256"]);
        assert_eq!(got["details"]["fingerprint"], fingerprint.as_str());
        assert_eq!(got["details"]["sender_id"], id);
        assert!(got["details"]["sender_events"].as_u64().unwrap() >= 2);
    }
    assert!(!received.is_empty());
    let sheet: Value =
        serde_json::from_str(&run_b(&["--json", "case", "show", &local_case])).unwrap();
    assert_eq!(sheet["perpetrators"].as_array().unwrap().len(), 2);
    for link in sheet["evidence"].as_array().unwrap() {
        assert!(
            received.iter().any(|r| r["id"] == link["item"]),
            "the sheet links local ids"
        );
    }
    run_b(&["log", "verify"]);
    // Importing the same bundle twice is refused, and writes nothing.
    let out = b.run(&["import", bag.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in this vault"));
    assert_eq!(b.json(&["list"]).as_array().unwrap().len(), received.len());
}

#[test]
fn unsigned_bags_from_other_tools() {
    require_tool("bagit.py");
    let env = Env::init();
    let dir = env.path("lawyer-bag");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("scan-1.txt"), "court order scan").unwrap();
    std::fs::write(dir.join("scan-2.txt"), "appeal").unwrap();
    let out = Command::new("bagit.py")
        .args(["--sha256", "--contact-name", "A Lawyer"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = env.run(&["verify", "--bag-only", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let (code, text) = verify(&env, &dir);
    assert_eq!(code, 1);
    assert!(text.contains("intact but not sealed"), "{text}");
    // Unsigned evidence only when the user says so.
    let err = env.fails(&["import", dir.to_str().unwrap()], 2);
    assert!(
        err.contains("no Casefile seal") && err.contains("--unsigned"),
        "{err}"
    );
    assert_eq!(env.json(&["list"]).as_array().unwrap().len(), 0);
    let imported = env.json(&["import", "--unsigned", dir.to_str().unwrap()]);
    assert_eq!(imported["sealed"], false);
    assert_eq!(imported["items"].as_array().unwrap().len(), 2);
    let id = imported["items"][0]["id"].as_str().unwrap();
    let log = env.json(&["log", "--item", id]);
    assert_eq!(log[0]["action"], "received");
    assert_eq!(log[0]["details"]["signed"], false);
    // A damaged bag is refused, with nothing written.
    std::fs::write(dir.join("data/scan-1.txt"), "forged").unwrap();
    let err = env.fails(&["import", "--unsigned", dir.to_str().unwrap()], 1);
    assert!(err.contains("not valid"), "{err}");
    assert_eq!(env.json(&["list"]).as_array().unwrap().len(), 2);
}

#[test]
fn hostile_bundles_are_refused_and_nothing_is_written() {
    let env = Env::init();
    let items_before = || env.json(&["list"]).as_array().unwrap().len();
    require_tool("bagit.py");
    let base = env.path("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(base.join("a.txt"), "a").unwrap();
    assert!(
        Command::new("bagit.py")
            .arg(&base)
            .output()
            .unwrap()
            .status
            .success()
    );
    let zip_with = |name: &str, entries: &[(&str, &[u8])], deflate: bool| -> PathBuf {
        let p = env.path(name);
        let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        for (n, data) in entries {
            z.start_file(
                *n,
                zip::write::SimpleFileOptions::default().compression_method(method),
            )
            .unwrap();
            std::io::Write::write_all(&mut z, data).unwrap();
        }
        z.finish().unwrap();
        p
    };
    let bagit_txt: &[u8] = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
    let slip = zip_with(
        "slip.zip",
        &[("bag/bagit.txt", bagit_txt), ("bag/../../evil.txt", b"x")],
        false,
    );
    let abs = zip_with(
        "abs.zip",
        &[("bag/bagit.txt", bagit_txt), ("/etc/evil", b"x")],
        false,
    );
    let zeros = vec![0u8; 20 << 20];
    let bomb = zip_with(
        "bomb.zip",
        &[("bag/bagit.txt", bagit_txt), ("bag/data/zeros", &zeros)],
        true,
    );
    let case_dup = env.path("casedup");
    copy_dir(&base, &case_dup);
    std::fs::write(case_dup.join("data/A.txt"), "A").unwrap();
    let nfc = env.path("nfc");
    copy_dir(&base, &nfc);
    std::fs::write(nfc.join("data/N\u{00fa}\u{00f1}ez"), "1").unwrap();
    std::fs::write(nfc.join("data/Nu\u{0301}n\u{0303}ez"), "2").unwrap();
    let link = env.path("link");
    copy_dir(&base, &link);
    std::os::unix::fs::symlink("/etc/passwd", link.join("data/passwd")).unwrap();
    let fifo = env.path("fifo");
    copy_dir(&base, &fifo);
    assert!(
        Command::new("mkfifo")
            .arg(fifo.join("data/pipe"))
            .status()
            .unwrap()
            .success()
    );

    for (bundle, expect) in [
        (&slip, "`..`"),
        (&abs, "absolute path"),
        (&bomb, "zip bomb"),
        (&case_dup, "differ only by case"),
        (&nfc, "differ only by case or Unicode normalisation"),
        (&link, "symbolic link"),
        (&fifo, "device, socket or pipe"),
    ] {
        let err = env.fails(&["import", bundle.to_str().unwrap()], 1);
        assert!(
            err.contains("refused an unsafe bundle") && err.contains(expect),
            "{}: {err}",
            bundle.display()
        );
        assert_eq!(items_before(), 0, "{} wrote items", bundle.display());
    }
    // A size bound, through the library with a small limit.
    let source = casefile::bundle::Source::open(&base, None).unwrap();
    let limits = casefile::bundle::Limits {
        max_file: 0,
        ..Default::default()
    };
    let mut vault = casefile::Vault::open(
        &env.vault,
        casefile::vault::Secret::Passphrase(common::PASS),
    )
    .unwrap();
    let err = casefile::bundle::import(
        &mut vault,
        &source,
        &limits,
        &Default::default(),
        &casefile::Task::none(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("larger than the limit"), "{err}");
}

#[test]
fn consent_decides_who_leaves_the_vault() {
    let (env, case) = demo();
    // The witness consented to US and UK recipients only.
    let bag = env.export(&case, "eu", &["--for", "eu-global-human-rights"]);
    let case_json: Value =
        serde_json::from_str(&std::fs::read_to_string(bag.join("data/case.json")).unwrap())
            .unwrap();
    let persons: Vec<&str> = case_json["case"]["persons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(persons, ["V1"]);
    assert_eq!(case_json["withheld_persons"], 1);
    assert!(
        !std::fs::read_to_string(bag.join("data/report.html"))
            .unwrap()
            .contains("W-7")
    );
    let kinds: Vec<&str> = case_json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(
        !kinds.contains(&"testimony"),
        "the witness's testimony left without consent"
    );
    let list = env.json(&["list"]);
    let testimony = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "testimony")
        .unwrap()["id"]
        .as_str()
        .unwrap();
    let out = env.path("x");
    let args = [
        "export",
        "--case",
        &case,
        "--out",
        out.to_str().unwrap(),
        "--for",
        "eu-global-human-rights",
        "--items",
        testimony,
    ];
    let err = env.fails(&args, 2);
    assert!(err.contains("consent"), "{err}");
    let us = env.export(&case, "us", &["--for", "us-global-magnitsky"]);
    let case_json: Value =
        serde_json::from_str(&std::fs::read_to_string(us.join("data/case.json")).unwrap()).unwrap();
    assert_eq!(case_json["case"]["persons"].as_array().unwrap().len(), 2);
}

/// Empty files that the copy of the suite under shared/ lost (dot-files) are
/// put back from the manifest. Files lost because they differ from another
/// only by case or normalisation are not: a validator on a case-insensitive
/// system finds them through their twin, and so does Casefile, with a warning.
fn restore_lost_files(bag: &Path) {
    let top: Vec<PathBuf> = std::fs::read_dir(bag)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for m in top.into_iter().filter(|p| {
        p.is_file()
            && p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("manifest-")
    }) {
        let alg = m
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches("manifest-")
            .trim_end_matches(".txt")
            .to_string();
        let Some(alg) = Alg::from_name(&alg) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&m) else {
            continue;
        };
        for line in text.lines() {
            let Some((hash, path)) = line.split_once(char::is_whitespace) else {
                continue;
            };
            let target = bag.join(path.trim_start());
            let name = target.file_name().unwrap().to_str().unwrap().to_string();
            if name.starts_with('.') && !target.exists() && hash == hex_digest(alg, b"") {
                std::fs::write(&target, b"").unwrap();
            }
        }
    }
}

#[test]
fn bag_only_agrees_with_the_library_of_congress_suite() {
    // The Library of Congress suite, vendored (public domain, see its LICENSE.md).
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bagit-conformance");
    assert!(
        suite.is_dir(),
        "the conformance suite is missing at {}",
        suite.display()
    );
    let env = Env::new();
    let mut checked = 0;
    for version in ["v0.97", "v1.0"] {
        for (category, want_ok, want_warning) in [
            ("valid", true, false),
            ("invalid", false, false),
            ("warning", true, true),
            ("linux-only", false, false),
        ] {
            let dir = suite.join(version).join(category);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for bag in entries {
                let bag = bag.unwrap().path();
                let copy = env.path(&format!(
                    "{version}-{category}-{}",
                    bag.file_name().unwrap().to_str().unwrap()
                ));
                copy_dir(&bag, &copy);
                restore_lost_files(&copy);
                let out = env.run(&["verify", "--bag-only", copy.to_str().unwrap()]);
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert_eq!(
                    out.status.success(),
                    want_ok,
                    "{version}/{category}/{}: {stderr}",
                    bag.display()
                );
                if want_warning {
                    assert!(
                        stderr.contains("warning:"),
                        "{version}/{category}/{} gave no warning",
                        bag.display()
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "only {checked} bags checked");
}

#[test]
fn bundle_files_are_named_for_what_they_are_and_an_encrypted_one_says_how_to_open_it() {
    require_tool("age");
    require_tool("age-keygen");
    let (env, case) = demo();
    // No extension given: the zip gets one.
    let out = env.path("for-the-office");
    let done = env.json(&[
        "export",
        "--case",
        &case,
        "--out",
        out.to_str().unwrap(),
        "--zip",
    ]);
    let zip = env.path("for-the-office.zip");
    assert_eq!(done["path"], zip.to_str().unwrap());
    assert!(zip.is_file() && !out.exists());

    let (key, recipient) = common::age_identity(&env);
    // --zip with --to is refused before any work: an encrypted bundle is a .tar.age.
    let both = env.path("both");
    let err = env.fails(
        &[
            "export",
            "--case",
            &case,
            "--out",
            both.to_str().unwrap(),
            "--zip",
            "--to",
            &recipient,
        ],
        2,
    );
    assert!(err.contains("not both"), "{err}");
    // A folder named like a file is refused.
    let err = env.fails(
        &[
            "export",
            "--case",
            &case,
            "--out",
            env.path("folder.zip").to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("add --zip"), "{err}");
    assert!(std::fs::read_dir(env.tmp.path()).unwrap().all(|e| {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        !n.starts_with("both") && !n.starts_with("folder")
    }));

    let text = env.ok(&[
        "export",
        "--case",
        &case,
        "--out",
        env.path("sealed").to_str().unwrap(),
        "--to",
        &recipient,
    ]);
    let enc = env.path("sealed.tar.age");
    let note_path = env.path("sealed.tar.age.how-to-open.txt");
    assert!(enc.is_file(), "{text}");
    assert!(text.contains(note_path.to_str().unwrap()), "{text}");
    let note = std::fs::read_to_string(&note_path).unwrap();
    assert!(note.contains(&common::sha256_file(&enc)), "{note}");
    let sheet = env.json(&["case", "show", &case]);
    assert!(
        !note.contains(sheet["title"].as_str().unwrap()),
        "the note says nothing of the case"
    );
    // The note's own command opens it.
    common::open_as_the_note_says(&env, &note_path, &key);
    assert!(env.tmp.path().join("sealed/data/VERIFY.txt").exists());
    // A second export to the same name is refused whole, note and all.
    let err = env.fails(
        &[
            "export",
            "--case",
            &case,
            "--out",
            enc.to_str().unwrap(),
            "--to",
            &recipient,
        ],
        2,
    );
    assert!(err.contains("exists"), "{err}");
}

/// The percent-decoded form of a link the report writes.
fn unescape_href(href: &str) -> String {
    let b = href.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&href[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// An analyst with only the bundle cites from report.html alone: every item
/// with its provenance, both hashes and a working link to its file; every
/// identifier of a perpetrator with its source and confidence; consent;
/// the corroboration matrix. Every link in it leads somewhere real.
#[test]
fn the_report_stands_alone() {
    use common::exif::{V, jpeg_with, tiff};
    let (env, case) = demo();
    // A phone photo with the device's own clock and position, linked to I1.
    let block = tiff([
        vec![
            (0x010F, V::Ascii("Fictocam")),
            (0x0110, V::Ascii("FC-1")),
            (0x8769, V::Dir(1)),
            (0x8825, V::Dir(2)),
        ],
        vec![(0x9003, V::Ascii("2024:02:15 08:30:00"))],
        vec![
            (1, V::Ascii("N")),
            (2, V::Rational(vec![(61, 1), (30, 1), (0, 1)])),
            (3, V::Ascii("E")),
            (4, V::Rational(vec![(23, 1), (45, 1), (0, 1)])),
        ],
    ]);
    let photo = jpeg_with(&env, "yard & cell 3.jpg", &block);
    let added = env.json(&["add", photo.to_str().unwrap(), "--source", "smuggled phone"]);
    let id = added[0]["id"].as_str().unwrap().to_string();
    env.ok(&[
        "case",
        "link",
        &case,
        "--item",
        &id,
        "--incident",
        "I1",
        "--supports",
        "the yard",
    ]);
    let bag = env.export(&case, "bag", &[]);
    let report = std::fs::read_to_string(bag.join("data/report.html")).unwrap();
    let case_json: Value =
        serde_json::from_str(&std::fs::read_to_string(bag.join("data/case.json")).unwrap())
            .unwrap();

    // Every link resolves: an anchor to an id of the page, a file to a file of the bag.
    let mut files = 0;
    for part in report.split("href=\"").skip(1) {
        let target = &part[..part.find('"').unwrap()];
        if let Some(anchor) = target.strip_prefix('#') {
            assert!(
                report.contains(&format!("id=\"{anchor}\"")),
                "dangling link {target}"
            );
        } else {
            let file = bag.join("data").join(unescape_href(target));
            assert!(file.is_file(), "link {target} leads to no file of the bag");
            files += 1;
        }
    }
    let items = case_json["items"].as_array().unwrap();
    assert_eq!(files, items.len(), "one link to each item's file");

    // Each item's section holds its hashes (those of the file itself) and provenance.
    for it in items {
        let section = report
            .split(&format!(
                "<section id=\"i-{}\">",
                it["id"].as_str().unwrap()
            ))
            .nth(1)
            .expect("a section for each item");
        let section = &section[..section.find("</section>").unwrap()];
        let file = bag.join(it["path"].as_str().unwrap());
        assert!(section.contains(&sha256_file(&file)));
        assert!(section.contains(it["sha512"].as_str().unwrap()));
        assert!(section.contains(it["source"].as_str().unwrap()));
    }
    let section = report.split(&format!("id=\"i-{id}\"")).nth(1).unwrap();
    let section = &section[..section.find("</section>").unwrap()];
    for fact in [
        "href=\"evidence/",
        "2024-02-15T08:30:00",
        "61.500000, 23.750000",
        "Fictocam FC-1",
        "smuggled phone",
        "I1 the yard",
    ] {
        assert!(
            section.contains(fact),
            "the photo's section lacks {fact:?}:\n{section}"
        );
    }
    // Identifiers with where they come from and how sure the sheet is.
    for fact in [
        "1971 <span class=meta>(source: press report; confidence: possible)</span>",
        "Арвид Марров <span class=meta>[original, ru-Cyrl]</span>",
        "Colonel, Head, Detention Centre No. 3, Ministry of Internal Affairs (from 2021-06)",
        "given 2024-03-02 for submission to us-global-magnitsky, uk-global-human-rights",
        "<td>corroborated</td>",
        "<td>single-source</td>",
        "<td>unsupported</td>",
        "Exculpatory information</h2><ul><li>The register entry",
    ] {
        assert!(report.contains(fact), "the report lacks {fact:?}");
    }
    assert!(!report.contains("<script"));

    // For a recipient W-7 did not consent to, the witness is in no part of
    // it, the matrix's sources included.
    let eu = env.export(&case, "eu", &["--for", "eu-global-human-rights"]);
    let report = std::fs::read_to_string(eu.join("data/report.html")).unwrap();
    assert!(report.contains("Corroboration matrix"));
    assert!(
        !report.contains("W-7"),
        "the EU report names the withheld witness"
    );
}
