//! Killing `casefile add` at any moment loses nothing committed and leaves
//! nothing half-visible: after reopening, every listed item is complete.

mod common;

use std::collections::HashMap;

use common::{Env, all_files, sha256_file, write_data};

/// Extracts a listed item and checks it comes out byte-identical.
fn assert_extracts(env: &Env, item: &serde_json::Value, sha256: &str) {
    let out = env.path("check.out");
    let _ = std::fs::remove_file(&out);
    env.ok(&[
        "extract",
        item["id"].as_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        sha256_file(&out),
        sha256,
        "{} does not extract byte-identical",
        item["original_name"]
    );
}

#[test]
fn sigkill_during_ingest_leaves_only_complete_items() {
    let env = Env::init();
    let mut sources = HashMap::new();
    let mut args = vec!["add".to_string()];
    for i in 0..6u64 {
        let p = env.path(&format!("clip-{i}.bin"));
        write_data(&p, 40 << 20, 100 + i);
        sources.insert(format!("clip-{i}.bin"), sha256_file(&p));
        args.push(p.to_str().unwrap().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // One full run, timed, so the kills below land at fractions of the real
    // duration on any machine; its items must survive every kill after it.
    let start = std::time::Instant::now();
    let out = env.cmd(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let full = start.elapsed();
    let committed = env.json(&["list"]).as_array().unwrap().len();
    assert_eq!(committed, 6);

    let mut seen_partial_blob = false;
    for fraction in [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95] {
        let mut child = env.cmd(&args).spawn().unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        seen_partial_blob |= all_files(&env.vault.join("blobs"))
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".tmp"));

        let items = env.json(&["list"]);
        let items = items.as_array().unwrap();
        assert!(items.len() >= committed, "committed items were lost");
        // Reopening swept every orphan: one blob per listed item, no temp files.
        let blobs = all_files(&env.vault.join("blobs"));
        assert_eq!(
            blobs.len(),
            items.len(),
            "orphan blobs remain after reopening: {blobs:?}"
        );
        for item in items {
            let name = item["original_name"].as_str().unwrap();
            let want = &sources[name];
            assert_eq!(item["sha256"].as_str().unwrap(), want, "{name}");
            assert_eq!(item["size"].as_u64().unwrap(), 40 << 20);
            assert_extracts(&env, item, want);
        }
        assert!(env.ok(&["log", "verify"]).contains("custody log verified"));
    }
    // The kills must really have hit mid-write for this test to mean anything.
    assert!(seen_partial_blob, "no kill landed during a blob write");
}

/// Kills `add`, `edit`, `case edit` and `export` at 100 random moments (a
/// fixed seed, so a failure can be replayed): every item committed before a
/// kill is still there and extracts intact, the log verifies after every
/// kill, no orphan blob remains, and an export either finished (and then
/// verifies) or left no bundle under its name.
#[test]
fn sigkill_at_100_random_points_over_ingest_edits_and_export() {
    use rand::{Rng, SeedableRng};
    let env = Env::init();
    let case = env.json(&[
        "case",
        "new",
        "--title",
        "Kills",
        "--type",
        "gross-violation",
        "--regime",
        "icc",
    ]);
    let case_id = case["id"].as_str().unwrap().to_string();
    let mut sources = HashMap::new();
    let mut files = Vec::new();
    for i in 0..3u64 {
        let p = env.path(&format!("part-{i}.bin"));
        write_data(&p, 6 << 20, 300 + i);
        sources.insert(format!("part-{i}.bin"), sha256_file(&p));
        files.push(p.to_str().unwrap().to_string());
    }
    let first = env.json(&["add", &files[0], "--case", &case_id]);
    let first_id = first[0]["id"].as_str().unwrap().to_string();
    let sheet_file = env.path("sheet.json");

    let ops = ["add", "edit", "case-edit", "export"];
    let command = |op: &str, n: usize| -> Vec<String> {
        match op {
            "add" => ["add".into(), "--case".into(), case_id.clone()]
                .into_iter()
                .chain(files.iter().cloned())
                .collect(),
            "edit" => vec![
                "edit".into(),
                first_id.clone(),
                "--title".into(),
                format!("title {n}"),
            ],
            "case-edit" => vec![
                "case".into(),
                "edit".into(),
                case_id.clone(),
                "--file".into(),
                sheet_file.to_str().unwrap().into(),
            ],
            _ => vec![
                "export".into(),
                "--case".into(),
                case_id.clone(),
                "--out".into(),
                env.path(&format!("bundle-{n}")).to_str().unwrap().into(),
            ],
        }
    };
    let prepare_sheet = |n: usize| {
        let mut sheet = env.json(&["case", "show", &case_id]);
        sheet["title"] = format!("Kills, edit {n}").into();
        std::fs::write(&sheet_file, serde_json::to_string(&sheet).unwrap()).unwrap();
    };
    // Time each operation once so the kills land inside it on any machine.
    let mut duration = HashMap::new();
    for (k, op) in ops.iter().enumerate() {
        prepare_sheet(k);
        let args = command(op, 1000 + k);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let start = std::time::Instant::now();
        env.ok(&args);
        duration.insert(*op, start.elapsed());
    }

    let mut rng = rand::rngs::StdRng::seed_from_u64(0xCA5E);
    let mut interrupted = 0;
    let ids = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    // What was committed before each kill is what the previous check listed.
    let mut before = ids(&env.json(&["list"]));
    for n in 0..100 {
        let op = ops[n % ops.len()];
        if op == "case-edit" {
            prepare_sheet(n);
        }
        let args = command(op, n);
        let mut child = env
            .cmd(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(duration[op].mul_f64(rng.gen_range(0.0..1.1)));
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        let _ = child.kill();
        child.wait().unwrap();

        let now = ids(&env.json(&["list"]));
        for id in &before {
            assert!(
                now.contains(id),
                "kill {n} during {op}: committed item {id} was lost"
            );
        }
        assert_eq!(
            all_files(&env.vault.join("blobs")).len(),
            now.len(),
            "kill {n} during {op}: orphan blobs"
        );
        before = now;
        assert!(
            env.ok(&["log", "verify"]).contains("custody log verified"),
            "kill {n} during {op}"
        );
        if op == "export" {
            let bundle = env.path(&format!("bundle-{n}"));
            if bundle.exists() {
                env.ok(&["verify", bundle.to_str().unwrap()]);
            }
        }
    }
    assert!(
        interrupted >= 60,
        "only {interrupted} of 100 kills landed mid-operation"
    );
    for item in env.json(&["list"]).as_array().unwrap() {
        assert_extracts(
            &env,
            item,
            &sources[item["original_name"].as_str().unwrap()],
        );
    }
}
