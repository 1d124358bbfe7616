//! Ingesting and extracting a large file keeps the process's memory flat.
//! (Its own test binary, so the child's peak RSS is measured alone.)

mod common;

use common::{Env, run_measured, sha256_file, write_data};

#[test]
fn large_ingest_and_extract_stay_under_100_mib() {
    let env = Env::init();
    let big = env.path("big.bin");
    write_data(&big, 512 << 20, 7);

    let (code, peak_kib, _) = run_measured(env.cmd(&["add", big.to_str().unwrap()]));
    assert_eq!(code, 0);
    assert!(peak_kib < 100 * 1024, "ingest peak RSS {peak_kib} KiB");
    let item = env.json(&["list"]);
    let id = item[0]["id"].as_str().unwrap().to_string();
    assert_eq!(item[0]["sha256"].as_str().unwrap(), sha256_file(&big));

    let out = env.path("big.out");
    let (code, peak_kib, _) =
        run_measured(env.cmd(&["extract", &id, "--out", out.to_str().unwrap()]));
    assert_eq!(code, 0);
    assert!(peak_kib < 100 * 1024, "extract peak RSS {peak_kib} KiB");
    assert_eq!(sha256_file(&out), sha256_file(&big));
}
