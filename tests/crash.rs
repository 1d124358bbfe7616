//! Killing `casefile add` at any moment loses nothing committed and leaves
//! nothing half-visible: after reopening, every listed item is complete.

mod common;

use std::collections::HashMap;

use common::{Env, all_files, sha256_file, write_data};

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
            let out = env.path("check.out");
            let _ = std::fs::remove_file(&out);
            env.ok(&[
                "extract",
                item["id"].as_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ]);
            assert_eq!(
                &sha256_file(&out),
                want,
                "{name} does not extract byte-identical"
            );
        }
        assert!(env.ok(&["log", "verify"]).contains("custody log verified"));
    }
    // The kills must really have hit mid-write for this test to mean anything.
    assert!(seen_partial_blob, "no kill landed during a blob write");
}
