//! One test per bug found, each reproducing the report as it was made (the
//! issue and its point in the name) and asserting the fixed outcome. Bundles
//! are forged as an attacker would: edited, then sealed again with a key of
//! the attacker's own so every signature check passes (tests/common/forge.rs).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use casefile::crypto::sign::DeviceKey;
use common::forge::{forge, reseal, twin_key};
use common::{Env, all_files, demo_bundle, device_key, raw_db, run_measured};
use serde_json::{Value, json};

/// The most memory a verify or import may take, KiB.
const VERIFY_PEAK_KIB: i64 = 256 * 1024;
/// The most memory adding or redacting one picture may take, KiB.
const PICTURE_PEAK_KIB: i64 = 512 * 1024;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A public key file of `key` in the test folder.
fn key_file(env: &Env, name: &str, key: &DeviceKey) -> PathBuf {
    let p = env.path(name);
    std::fs::write(&p, key.public().to_minisign()).unwrap();
    p
}

/// Every path below `root` that is not below one of `inside`.
fn strays(root: &Path, inside: &[&Path]) -> Vec<PathBuf> {
    all_files(root)
        .into_iter()
        .filter(|p| !inside.iter().any(|i| p.starts_with(i)))
        .collect()
}

// #12.1: an item id `../../../../escape/autostart/evil` named `x.desktop`
// imported fine, and the next export of that case wrote
// `escape/autostart/evil-x.desktop` outside --out.
#[test]
fn i12_1_an_item_id_with_dot_dots_is_refused_and_cannot_steer_an_export() {
    let (_a, _case, bag) = demo_bundle("bundle");
    let mallory = DeviceKey::generate();
    forge(&bag, &mallory, |f| {
        f.rename_item(0, "../../../../escape/autostart/evil");
        f.item(0)["original_name"] = json!("x.desktop");
    });
    let b = Env::init();
    let out = b.run(&["verify", bag.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("items[0].id") && said.contains("is not an item or case id"),
        "{said}"
    );
    // Even trusting the forger, nothing is imported.
    let err = b.fails(&["import", bag.to_str().unwrap(), "--trust", "Mallory"], 1);
    assert!(err.contains("items[0].id"), "{err}");
    assert_eq!(b.json(&["list"]).as_array().unwrap().len(), 0);
    assert_eq!(b.json(&["senders", "list"]).as_array().unwrap().len(), 0);

    // An id like that already in a vault (from an earlier release) stops the
    // export by name instead of writing outside --out.
    let (c, case, _) = demo_bundle("first");
    let victim = c.json(&["list"])[0]["id"].as_str().unwrap().to_string();
    let conn = raw_db(&c.vault);
    conn.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
    let evil = "../../../../escape/autostart/evil";
    conn.execute("UPDATE items SET id = ?1 WHERE id = ?2", [evil, &victim])
        .unwrap();
    let sheet: String = conn
        .query_row("SELECT sheet FROM cases WHERE id = ?1", [&case], |r| {
            r.get(0)
        })
        .unwrap();
    conn.execute(
        "UPDATE cases SET sheet = ?1 WHERE id = ?2",
        [&sheet.replace(&victim, evil), &case],
    )
    .unwrap();
    drop(conn);
    let exported = c.path("out/bundle");
    std::fs::create_dir_all(c.path("out")).unwrap();
    for extra in [&[][..], &["--zip"][..]] {
        let mut args = vec![
            "export",
            "--case",
            &case,
            "--out",
            exported.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let err = c.fails(&args, 2);
        assert!(err.contains("is not an item or case id"), "{err}");
    }
    assert!(
        strays(c.tmp.path(), &[&c.vault, &c.path("first")]).is_empty(),
        "files outside: {:?}",
        strays(c.tmp.path(), &[&c.vault, &c.path("first")])
    );
}

// #12.2: an imported item whose `parent` named a local photo and whose
// derivation said "redaction" (its content: the unredacted original) was
// chosen by `export --redacted` and sent signed by the victim's own key.
#[test]
fn i12_2_a_received_item_never_stands_in_as_a_local_redaction() {
    let (victim, case, _) = demo_bundle("own");
    let photo = victim
        .json(&["list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "photo")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_m, _c, bag) = demo_bundle("hostile");
    let mallory = DeviceKey::generate();
    let photo_for_bundle = photo.clone();
    forge(&bag, &mallory, |f| {
        f.item(0)["parent"] = json!(photo_for_bundle);
        f.item(0)["derivation"] = json!({"operation": "redaction"});
    });
    let err = victim.fails(&["import", bag.to_str().unwrap(), "--trust", "Mallory"], 1);
    assert!(
        err.contains("items[0].parent") && err.contains("is not an item of this bundle"),
        "{err}"
    );
    // An item received before this check (so its parent may name a local
    // item) is still never taken for a redaction made here.
    let (_s, _c2, good) = demo_bundle("good");
    victim.ok(&["import", good.to_str().unwrap(), "--trust", "Sender"]);
    let received = victim
        .json(&["list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["sender_id"].is_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let conn = raw_db(&victim.vault);
    conn.execute(
        "UPDATE items SET parent = ?1, derivation = '{\"operation\":\"redaction\"}' WHERE id = ?2",
        [&photo, &received],
    )
    .unwrap();
    drop(conn);
    let out = victim.path("redacted");
    victim.ok(&[
        "export",
        "--case",
        &case,
        "--out",
        out.to_str().unwrap(),
        "--items",
        &photo,
        "--redacted",
    ]);
    let listed: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("data/case.json")).unwrap())
            .unwrap();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [photo.as_str()],
        "the received item was not sent in its place"
    );
}

/// A zip holding `bag/bagit.txt` and one deflated entry of `size` zero bytes
/// whose central-directory record is repeated `names` times under other
/// names, all pointing at the same compressed bytes.
fn overlapping_zip(path: &Path, names: usize, size: usize, prefix: &str) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("bag/bagit.txt", opts).unwrap();
    z.write_all(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        .unwrap();
    let first = format!("bag/{prefix}{:05}", 0);
    z.start_file(&first, opts).unwrap();
    let zeros = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(zeros.len());
        z.write_all(&zeros[..n]).unwrap();
        left -= n;
    }
    z.finish().unwrap();
    // Repeat the last central-directory record with new names.
    let bytes = std::fs::read(path).unwrap();
    let eocd = bytes.len() - 22;
    assert_eq!(&bytes[eocd..eocd + 4], b"PK\x05\x06");
    let cd_size = u32::from_le_bytes(bytes[eocd + 12..eocd + 16].try_into().unwrap()) as usize;
    let cd_start = u32::from_le_bytes(bytes[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    let cd = &bytes[cd_start..cd_start + cd_size];
    let at = cd
        .windows(first.len())
        .position(|w| w == first.as_bytes())
        .unwrap()
        - 46;
    let record = &cd[at..];
    let mut out = bytes[..cd_start].to_vec();
    out.extend_from_slice(&cd[..at]);
    for i in 0..names {
        let mut r = record.to_vec();
        let name = format!("bag/{prefix}{i:05}");
        r[46..46 + name.len()].copy_from_slice(name.as_bytes());
        out.extend_from_slice(&r);
    }
    let new_size = out.len() - cd_start;
    let entries = (1 + names) as u16;
    let mut end = bytes[eocd..].to_vec();
    end[8..10].copy_from_slice(&entries.to_le_bytes());
    end[10..12].copy_from_slice(&entries.to_le_bytes());
    end[12..16].copy_from_slice(&(new_size as u32).to_le_bytes());
    out.extend_from_slice(&end);
    std::fs::write(path, out).unwrap();
}

// #12.3: zip entries may overlap (many central-directory entries pointing at
// one deflate stream), and every root file up to 64 MiB was held in memory:
// a 204 KB zip with 40 entries took 2.6 GB to verify.
#[test]
fn i12_3_forty_overlapping_root_entries_are_refused_in_little_memory() {
    let env = Env::init();
    let zip = env.path("bomb40.zip");
    overlapping_zip(&zip, 40, 64 << 20, "junk");
    let kb = std::fs::metadata(&zip).unwrap().len() / 1000;
    let start = Instant::now();
    let (code, peak, said) = run_measured(env.cmd(&["verify", zip.to_str().unwrap()]));
    println!(
        "#12.3 40 overlapping entries ({kb} KB zip): exit {code}, {:.2} s, peak {} MiB: {said}",
        start.elapsed().as_secs_f64(),
        peak / 1024
    );
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("overlap"), "{said}");
    assert!(peak < VERIFY_PEAK_KIB, "peak {peak} KiB");
}

// #12.3: 14,000 overlapping 1 MiB entries (970 KB on disk) took 51 s before refusal.
#[test]
fn i12_3_fourteen_thousand_overlapping_entries_are_refused_at_once() {
    let env = Env::init();
    let zip = env.path("bomb14k.zip");
    overlapping_zip(&zip, 14_000, 1 << 20, "d");
    let start = Instant::now();
    let (code, peak, said) = run_measured(env.cmd(&["verify", zip.to_str().unwrap()]));
    println!(
        "#12.3 14,000 overlapping entries: exit {code}, {:.2} s, peak {} MiB",
        start.elapsed().as_secs_f64(),
        peak / 1024
    );
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("overlap"), "{said}");
    assert!(peak < VERIFY_PEAK_KIB, "peak {peak} KiB");
}

// #12.3: a folder with 20 sparse 64 MiB root files took 1.3 GB and verified.
#[test]
fn i12_3_sparse_root_files_are_not_held_and_do_not_pass() {
    let (env, _case, bag) = demo_bundle("bundle");
    for i in 0..20 {
        let f = std::fs::File::create(bag.join(format!("junk{i:02}.bin"))).unwrap();
        f.set_len(64 << 20).unwrap();
    }
    let (code, peak, said) = run_measured(env.cmd(&["verify", bag.to_str().unwrap()]));
    println!(
        "#12.3 20 sparse root files: exit {code}, peak {} MiB",
        peak / 1024
    );
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("FAIL coverage") && said.contains("junk07.bin is not covered"),
        "{said}"
    );
    assert!(peak < VERIFY_PEAK_KIB, "peak {peak} KiB");
    let (code, peak, said) = run_measured(env.cmd(&["import", bag.to_str().unwrap()]));
    assert_eq!(code, 1, "{said}");
    assert!(peak < VERIFY_PEAK_KIB, "import peak {peak} KiB");
}

/// CRC-32 (IEEE), for patching PNG chunks.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small real picture whose header then claims `w` x `h` pixels.
fn claimed_picture(format: image::ImageFormat, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(1, 1, image::Rgb([200, 10, 10]));
    let mut bytes = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .unwrap();
    match format {
        image::ImageFormat::Png => {
            // IHDR is the first chunk: length, type, width, height, ...; CRC after.
            bytes[16..20].copy_from_slice(&w.to_be_bytes());
            bytes[20..24].copy_from_slice(&h.to_be_bytes());
            let crc = crc32(&bytes[12..29]);
            bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        }
        image::ImageFormat::Jpeg => {
            let sof = bytes.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
            bytes[sof + 5..sof + 7].copy_from_slice(&(h as u16).to_be_bytes());
            bytes[sof + 7..sof + 9].copy_from_slice(&(w as u16).to_be_bytes());
        }
        _ => unreachable!(),
    }
    bytes
}

// #12.4: a 69-byte PNG declaring 100000x100000 aborted `casefile add`
// (SIGABRT, "memory allocation of 40000000000 bytes failed") and the other
// 25 files of that folder were not stored.
#[test]
fn i12_4_a_png_bomb_in_a_folder_is_stored_with_a_note_and_the_rest_too() {
    let env = Env::init();
    let dir = env.path("photos");
    std::fs::create_dir_all(&dir).unwrap();
    let bomb = claimed_picture(image::ImageFormat::Png, 100_000, 100_000);
    std::fs::write(dir.join("00-bomb.png"), &bomb).unwrap();
    for i in 1..26 {
        std::fs::write(dir.join(format!("{i:02}.txt")), format!("note {i}")).unwrap();
    }
    let (code, peak, said) = run_measured(env.cmd(&["add", dir.to_str().unwrap()]));
    println!(
        "#12.4 {}-byte PNG bomb in a folder of 26: exit {code}, peak {} MiB",
        bomb.len(),
        peak / 1024
    );
    assert_eq!(code, 0, "{said}");
    assert!(peak < PICTURE_PEAK_KIB, "peak {peak} KiB");
    let items = env.json(&["list"]);
    assert_eq!(items.as_array().unwrap().len(), 26);
    let png = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["original_name"] == "00-bomb.png")
        .unwrap();
    let shown = env.json(&["show", png["id"].as_str().unwrap()]);
    let note = shown["media"]["note"].as_str().unwrap_or_default();
    assert!(note.contains("too large to preview"), "{shown}");
}

// #12.4 (the rest of it): one bad file in a folder never loses the others;
// each failure is reported and the rest committed.
#[test]
fn i12_4_a_file_that_fails_is_reported_and_the_others_are_added() {
    let env = Env::init();
    let dir = env.path("folder");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..10 {
        std::fs::write(dir.join(format!("{i:02}.txt")), format!("note {i}")).unwrap();
    }
    let growing = dir.join("05-growing.bin");
    common::write_data(&growing, 48 << 20, 3);
    let mut child = env
        .cmd(&["add", dir.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&growing)
            .unwrap();
        f.write_all(&[7u8; 4096]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("05-growing.bin changed while it was being added")
            && err.contains("1 of 11 files could not be added")
            && err.contains("the other 10 were added"),
        "{err}"
    );
    assert_eq!(env.json(&["list"]).as_array().unwrap().len(), 10);
}

// #12.4: a 535-byte JPEG declaring 65500x65500 took 53 s and 12.6 GB to add.
#[test]
fn i12_4_a_jpeg_declaring_65500_square_is_stored_with_a_note() {
    let env = Env::init();
    let p = env.path("bomb.jpg");
    let bomb = claimed_picture(image::ImageFormat::Jpeg, 65_500, 65_500);
    std::fs::write(&p, &bomb).unwrap();
    let start = Instant::now();
    let (code, peak, said) = run_measured(env.cmd(&["add", p.to_str().unwrap()]));
    println!(
        "#12.4 {}-byte JPEG declaring 65500x65500: exit {code}, {:.2} s, peak {} MiB",
        bomb.len(),
        start.elapsed().as_secs_f64(),
        peak / 1024
    );
    assert_eq!(code, 0, "{said}");
    assert!(peak < PICTURE_PEAK_KIB, "peak {peak} KiB");
    let id = env.json(&["list"])[0]["id"].as_str().unwrap().to_string();
    let shown = env.json(&["show", &id]);
    assert!(
        shown["media"]["note"]
            .as_str()
            .unwrap_or_default()
            .contains("too large to preview"),
        "{shown}"
    );
}

// #12.4: a 50000x50000 PNG took 7.4 GB to add, and `redact` aborted on it.
#[test]
fn i12_4_redacting_a_50000_square_png_is_refused_without_aborting() {
    let env = Env::init();
    let p = env.path("huge.png");
    std::fs::write(&p, claimed_picture(image::ImageFormat::Png, 50_000, 50_000)).unwrap();
    let (code, peak, said) = run_measured(env.cmd(&["add", p.to_str().unwrap()]));
    assert_eq!(code, 0, "{said}");
    assert!(peak < PICTURE_PEAK_KIB, "add peak {peak} KiB");
    let id = env.json(&["list"])[0]["id"].as_str().unwrap().to_string();
    let (code, peak, said) = run_measured(env.cmd(&["redact", &id, "--strip-metadata"]));
    println!(
        "#12.4 redact 50000x50000 PNG: exit {code}, peak {} MiB: {said}",
        peak / 1024
    );
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("too large"), "{said}");
    assert!(peak < PICTURE_PEAK_KIB, "redact peak {peak} KiB");
}

// #12.5: the 8-byte minisign key id is not a fingerprint: a bundle altered
// and re-signed by a key with the sender's key id passed `verify` (exit 0).
#[test]
fn i12_5_a_key_with_the_senders_key_id_is_not_the_sender() {
    let (a, _case, bag) = demo_bundle("bundle");
    let sender = device_key(&a.vault);
    let b = Env::init();
    b.ok(&[
        "senders",
        "add",
        "Amina",
        key_file(&b, "amina.pub", &sender).to_str().unwrap(),
    ]);
    // The genuine bundle is trusted.
    b.ok(&["verify", bag.to_str().unwrap()]);
    let twin = twin_key(&sender);
    assert_eq!(twin.public().key_id_hex(), sender.public().key_id_hex());
    forge(&bag, &twin, |f| {
        f.item(0)["title"] = json!("altered");
    });
    let out = b.run(&["verify", bag.to_str().unwrap()]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains(&twin.public().fingerprint()), "{said}");
    assert!(!said.contains(&sender.public().fingerprint()), "{said}");
    // And import refuses it without being told otherwise.
    let err = b.fails(&["import", bag.to_str().unwrap()], 3);
    assert!(err.contains(&twin.public().fingerprint()), "{err}");
    assert_eq!(b.json(&["list"]).as_array().unwrap().len(), 0);
}

// #12.5: with `--key`, the mismatch message printed the same id twice.
#[test]
fn i12_5_a_key_mismatch_names_two_different_fingerprints() {
    let (a, _case, bag) = demo_bundle("bundle");
    let sender = device_key(&a.vault);
    let twin = twin_key(&sender);
    forge(&bag, &twin, |_| {});
    let pinned = key_file(&a, "sender.pub", &sender);
    let out = a.run(&[
        "verify",
        bag.to_str().unwrap(),
        "--key",
        pinned.to_str().unwrap(),
    ]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&twin.public().fingerprint())
            && said.contains(&sender.public().fingerprint()),
        "{said}"
    );
}

// #12.6: extra files at the bag root passed with exit 0 and no word.
#[test]
fn i12_6_a_file_the_signature_does_not_cover_fails() {
    let (env, _case, bag) = demo_bundle("bundle");
    std::fs::write(bag.join("README-FIRST.txt"), "the sender is someone else").unwrap();
    let out = env.run(&["verify", bag.to_str().unwrap()]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("README-FIRST.txt is not covered by the signed tag manifest"),
        "{said}"
    );
}

// #12.6: `fetch.txt` passed with exit 0.
#[test]
fn i12_6_fetch_txt_fails() {
    let (env, _case, bag) = demo_bundle("bundle");
    std::fs::write(bag.join("fetch.txt"), "https://example.org/x 1 data/x\n").unwrap();
    let out = env.run(&["verify", bag.to_str().unwrap()]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("fetch.txt is present"), "{said}");
}

// #12.6: a `Data/` folder beside `data/` passed with exit 0.
#[test]
fn i12_6_a_case_folded_twin_of_data_fails() {
    let (env, _case, bag) = demo_bundle("bundle");
    std::fs::create_dir_all(bag.join("Data")).unwrap();
    std::fs::write(bag.join("Data/case.json"), "{}").unwrap();
    let out = env.run(&["verify", bag.to_str().unwrap()]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("a twin of the payload folder data/"),
        "{said}"
    );
}

// #12.7: a received title `Harmless\x1b]0;...\x07\x1b[2J\x1b[31mFAKE: all
// checks PASS` was printed raw by `list` and `case list`.
#[test]
fn i12_7_control_characters_never_reach_the_terminal() {
    let evil = "Harmless\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[31mFAKE: all checks PASS";
    // At the boundary: a bundle carrying it is refused by name.
    let (a, case, bag) = demo_bundle("bundle");
    let mallory = DeviceKey::generate();
    forge(&bag, &mallory, |f| {
        f.item(0)["title"] = json!(evil);
        f.case["case"]["title"] = json!(evil);
    });
    let said = text(&a.run(&["verify", bag.to_str().unwrap()]));
    assert!(said.contains("items[0].title"), "{said}");
    assert!(!said.contains('\u{1b}'), "{said}");
    // And a title already in a vault is printed escaped.
    let id = a.json(&["list"])[0]["id"].as_str().unwrap().to_string();
    let conn = raw_db(&a.vault);
    conn.execute("UPDATE items SET title = ?1 WHERE id = ?2", [evil, &id])
        .unwrap();
    let sheet: String = conn
        .query_row("SELECT sheet FROM cases WHERE id = ?1", [&case], |r| {
            r.get(0)
        })
        .unwrap();
    let mut sheet: Value = serde_json::from_str(&sheet).unwrap();
    sheet["title"] = json!(evil);
    conn.execute(
        "UPDATE cases SET title = ?1, sheet = ?2 WHERE id = ?3",
        [evil, &sheet.to_string(), &case],
    )
    .unwrap();
    drop(conn);
    for args in [&["list"][..], &["case", "list"][..], &["show", &id][..]] {
        let out = a.run(args);
        assert!(out.status.success(), "{}", text(&out));
        let shown = text(&out);
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{args:?}: {shown:?}"
        );
        assert!(shown.contains("\\x1b]0;owned\\x07"), "{args:?}: {shown}");
    }
    let json = text(&a.run(&["--json", "list"]));
    assert!(
        !json.contains('\u{1b}') && json.contains("\\u001b"),
        "{json}"
    );
}

// #12.8: VERIFY.txt's first step used the public key inside the bundle, and
// its custody step could not be run with stock tools.
#[test]
fn i12_8_verify_txt_steps_run_with_the_senders_own_key() {
    common::require_tool("minisign");
    let (a, _case, bag) = demo_bundle("bundle");
    let sender = device_key(&a.vault);
    let steps = std::fs::read_to_string(bag.join("data/VERIFY.txt")).unwrap();
    assert!(
        steps.contains(
            "minisign -V -P <THE KEY LINE THE SENDER GAVE YOU> -m tagmanifest-sha256.txt"
        )
    );
    assert!(steps.contains(&sender.public().fingerprint()));
    assert!(steps.contains("Proves only that the bag is well formed"));
    let line = sender.public().minisign_line();
    for file in ["tagmanifest-sha256.txt", "data/checkpoint.txt"] {
        let out = Command::new("minisign")
            .args(["-V", "-P", &line, "-m", file])
            .current_dir(&bag)
            .output()
            .unwrap();
        assert!(out.status.success(), "{file}: {}", text(&out));
    }
    let fp = Command::new("sh")
        .args(["-c", "tail -n 1 data/device.pub | base64 -d | sha256sum"])
        .current_dir(&bag)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&fp.stdout).starts_with(&sender.public().fingerprint()));
    let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/verify-custody.py");
    let run = |dir: &Path| {
        Command::new("python3")
            .arg(&checker)
            .arg(".")
            .current_dir(dir)
            .output()
            .unwrap()
    };
    let out = run(&bag);
    assert!(out.status.success(), "{}", text(&out));
    // An event changed after the fact is caught by the checker too.
    let p = bag.join("data/custody.jsonl");
    let custody = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, custody.replacen("\"actor\":\"", "\"actor\":\"X", 1)).unwrap();
    reseal(&bag, &sender);
    let out = run(&bag);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("not included in the signed tree head"));
    // Beside English, the language it was prepared in.
    let case = a.json(&["case", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let zh = a.path("zh");
    a.ok(&[
        "export",
        "--case",
        &case,
        "--out",
        zh.to_str().unwrap(),
        "--lang",
        "zh",
    ]);
    let text_zh = std::fs::read_to_string(zh.join("data/VERIFY.zh.txt")).unwrap();
    assert!(text_zh.contains("minisign -V -P"));
    assert!(zh.join("data/VERIFY.txt").is_file());
}

/// Ids of what [`ali_case`] made.
struct AliCase {
    env: Env,
    case: String,
    /// W1's testimony, its translation, W1's photo and its redacted copy.
    withheld: Vec<String>,
    /// A photo of the case that is not about W1, but whose name, title,
    /// notes, edit and link mention Ali.
    kept: String,
}

fn add_id(env: &Env, path: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--json", "add", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out: Value = serde_json::from_str(&env.ok(&args)).unwrap();
    out[0]["id"].as_str().unwrap().to_string()
}

fn small_jpeg(path: &Path, shade: u8) {
    image::RgbImage::from_pixel(64, 48, image::Rgb([shade, 90, 30]))
        .save(path)
        .unwrap();
}

/// A case whose witness W1 ("Ali") and witness W3 ("梅") did not consent to
/// the EU, beside a victim V2 who did and is a journalist.
fn ali_case() -> AliCase {
    let env = Env::init();
    let created = env.json(&[
        "case",
        "new",
        "--title",
        "Arrest in the square",
        "--type",
        "gross-violation",
        "--regime",
        "eu-global-human-rights",
    ]);
    let case = created["id"].as_str().unwrap().to_string();
    let mut sheet = env.json(&["case", "show", &case]);
    sheet["persons"] = json!([
        {"id": "W1", "pseudonym": "Ali", "role": "witness", "consent": {"given": false}},
        {"id": "V2", "pseudonym": "Beatriz", "role": "victim", "status": "journalist",
         "consent": {"given": true, "uses": ["submission"], "recipients": ["eu-global-human-rights"]}},
        {"id": "W3", "pseudonym": "梅", "role": "witness", "consent": {"given": false}}
    ]);
    sheet["incidents"] = json!([{
        "id": "I1", "violation": "arbitrary-detention", "start": "2024-05-01",
        "place": {"admin": "Central square"},
        "narrative": "Ali and 梅 saw Beatriz taken. ALI said so; ali repeated it.",
        "persons": ["W1", "V2", "W3"]
    }]);
    sheet["corroboration"] = json!(["Ali's account matches what 梅 said"]);
    let file = env.path("sheet.json");
    std::fs::write(&file, sheet.to_string()).unwrap();
    env.ok(&["case", "edit", &case, "--file", file.to_str().unwrap()]);

    let statement = env.path("statement.txt");
    std::fs::write(&statement, "I saw them take her.").unwrap();
    let t = env.json(&[
        "testimony",
        "--case",
        &case,
        "--witness",
        "W1",
        "--interviewer",
        "Interviewer",
        "--date",
        "2024-05-02",
        "--place",
        "safe place",
        "--language",
        "en",
        "--text",
        statement.to_str().unwrap(),
    ]);
    let testimony = t["statement"]["id"].as_str().unwrap().to_string();
    let translation_text = env.path("tr.txt");
    std::fs::write(&translation_text, "Vi cómo se la llevaban.").unwrap();
    let tr = env.json(&[
        "derive",
        &testimony,
        "--as",
        "translation",
        "--text",
        translation_text.to_str().unwrap(),
        "--language",
        "es",
    ]);
    let translation = tr["id"].as_str().unwrap().to_string();
    let photo1 = env.path("w1-face.jpg");
    small_jpeg(&photo1, 10);
    let p1 = add_id(&env, &photo1, &[]);
    env.ok(&["case", "link", &case, "--item", &p1, "--party", "W1"]);
    let red = env.json(&["redact", &p1, "--strip-metadata", "--box", "0,0,10,10"]);
    let redacted = red["id"].as_str().unwrap().to_string();
    let photo2 = env.path("ali-house.jpg");
    small_jpeg(&photo2, 200);
    let kept = add_id(
        &env,
        &photo2,
        &[
            "--title",
            "House of Ali",
            "--notes",
            "ALI lives here; 梅 too",
        ],
    );
    env.ok(&["edit", &kept, "--title", "Where Ali lives"]);
    env.ok(&[
        "case",
        "link",
        &case,
        "--item",
        &kept,
        "--incident",
        "I1",
        "--supports",
        "Ali saw the arrest from here",
    ]);
    AliCase {
        env,
        case,
        withheld: vec![testimony, translation, p1, redacted],
        kept,
    }
}

/// Every file of a bundle (folder, zip or age-encrypted tar) as (name, bytes).
fn bundle_files(env: &Env, bundle: &Path, identity: Option<&Path>) -> Vec<(String, Vec<u8>)> {
    let folder = if bundle.is_dir() {
        bundle.to_path_buf()
    } else if let Some(id) = identity {
        let dir = env.path("decrypted");
        std::fs::create_dir_all(&dir).unwrap();
        let ok = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "age -d -i '{}' '{}' | tar x -C '{}'",
                id.display(),
                bundle.display(),
                dir.display()
            ))
            .status()
            .unwrap()
            .success();
        assert!(ok, "age | tar");
        dir
    } else {
        let mut z = zip::ZipArchive::new(std::fs::File::open(bundle).unwrap()).unwrap();
        let mut out = vec![(
            "(the zip itself)".to_string(),
            std::fs::read(bundle).unwrap(),
        )];
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
            out.push((e.name().unwrap().to_string(), bytes));
        }
        return out;
    };
    all_files(&folder)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (
                p.strip_prefix(&folder)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                bytes,
            )
        })
        .collect()
}

/// Where `bundle` mentions any of `words` (as words, any case, NFKC), any
/// of `anywhere` (as substrings), or any of `exact` byte strings.
fn leaks(
    files: &[(String, Vec<u8>)],
    words: &[&str],
    anywhere: &[&str],
    exact: &[String],
) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    let mut found = Vec::new();
    for (name, bytes) in files {
        let text: String = String::from_utf8_lossy(bytes)
            .nfkc()
            .collect::<String>()
            .to_lowercase();
        let name_text: String = name.nfkc().collect::<String>().to_lowercase();
        for hay in [&text, &name_text] {
            for w in words {
                let w = w.to_lowercase();
                if hay.split(|c: char| !c.is_alphanumeric()).any(|t| t == w) {
                    found.push(format!("{name}: the word {w:?}"));
                }
            }
            for a in anywhere {
                if hay.contains(a) {
                    found.push(format!("{name}: {a:?}"));
                }
            }
        }
        for e in exact {
            if bytes.windows(e.len()).any(|w| w == e.as_bytes()) || name.contains(e.as_str()) {
                found.push(format!("{name}: {e:?}"));
            }
        }
    }
    found
}

// #13.1: a derivative of a withheld item (a translation of W1's testimony, a
// redacted copy of W1's photo) was exported with --items, carrying parent =
// the withheld item.
#[test]
fn i13_1_derivatives_of_a_withheld_item_are_withheld() {
    let a = ali_case();
    for (what, id) in [
        ("translation", &a.withheld[1]),
        ("redacted copy", &a.withheld[3]),
    ] {
        let out = a.env.path(&format!("d-{what}"));
        let err = a.env.fails(
            &[
                "export",
                "--case",
                &a.case,
                "--out",
                out.to_str().unwrap(),
                "--items",
                id,
                "--for",
                "eu-global-human-rights",
            ],
            2,
        );
        assert!(
            err.contains("concerns a person whose consent"),
            "{what}: {err}"
        );
        assert!(!out.exists());
    }
}

// #13.1: only title, notes and source were scrubbed: the pseudonym survived in
// the evidence file name, both manifests, certification.txt, report.html,
// case.json (original_name) and custody.jsonl (item_added name, item_edited
// from/to, a link's supports text); matching was exact-case only and a
// one-character pseudonym (梅) was never scrubbed.
#[test]
fn i13_1_no_file_of_any_form_of_the_bundle_names_a_withheld_witness() {
    common::require_tool("age");
    let a = ali_case();
    let env = &a.env;
    let identity = env.path("identity.txt");
    assert!(
        Command::new("age-keygen")
            .arg("-o")
            .arg(&identity)
            .status()
            .unwrap()
            .success()
    );
    let recipient = std::fs::read_to_string(&identity)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(String::from))
        .unwrap();
    let mut withheld_facts: Vec<String> = Vec::new();
    for id in &a.withheld {
        let it = env.json(&["show", id]);
        withheld_facts.push(it["sha256"].as_str().unwrap().to_string());
        withheld_facts.push(it["original_name"].as_str().unwrap().to_string());
    }
    for (name, extra) in [
        ("folder", vec![]),
        ("bundle.zip", vec!["--zip"]),
        ("bundle.tar.age", vec!["--to", recipient.as_str()]),
    ] {
        let out = env.path(name);
        let mut args = vec![
            "export",
            "--case",
            &a.case,
            "--out",
            out.to_str().unwrap(),
            "--for",
            "eu-global-human-rights",
        ];
        args.extend(extra.iter().copied());
        env.ok(&args);
        let files = bundle_files(
            env,
            &out,
            name.ends_with(".age").then_some(identity.as_path()),
        );
        let found = leaks(&files, &["ali"], &["梅"], &withheld_facts);
        assert!(found.is_empty(), "{name} leaks: {found:#?}");
        // The photo that is not about them is sent, under a neutral name.
        let case_json = files
            .iter()
            .find(|(n, _)| n.ends_with("data/case.json"))
            .unwrap();
        let case_json: Value = serde_json::from_slice(&case_json.1).unwrap();
        let ids: Vec<&str> = case_json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [a.kept.as_str()], "{name}");
        assert_eq!(case_json["items"][0]["title"], "Where [withheld] lives");
        // And it verifies, with what is withheld left as bare commitments.
        let mut verify = vec!["verify", out.to_str().unwrap()];
        if name.ends_with(".age") {
            verify.extend(["--identity", identity.to_str().unwrap()]);
        }
        env.ok(&verify);
    }
}

// #13.1: the scrub failed open: a pseudonym that is a substring of an enum
// value kept in the sheet (witness "ali" beside a consenting journalist)
// corrupted that value, the typed round trip failed, and the whole
// unscrubbed sheet went out.
#[test]
fn i13_1_scrubbing_never_fails_open() {
    let a = ali_case();
    let env = &a.env;
    let out = env.path("eu");
    env.ok(&[
        "export",
        "--case",
        &a.case,
        "--out",
        out.to_str().unwrap(),
        "--for",
        "eu-global-human-rights",
    ]);
    let sheet: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("data/case.json")).unwrap())
            .unwrap();
    let persons = sheet["case"]["persons"].as_array().unwrap();
    assert_eq!(persons.len(), 1, "{persons:?}");
    assert_eq!(persons[0]["status"], "journalist");
    assert!(
        sheet["case"]["incidents"][0]["narrative"]
            .as_str()
            .unwrap()
            .contains("[withheld] and [withheld] saw Beatriz")
    );
    // A withheld pseudonym that is a value of a fixed vocabulary cannot be
    // scrubbed: the export stops and names the field.
    let mut s = env.json(&["case", "show", &a.case]);
    s["persons"][0]["pseudonym"] = json!("Journalist");
    let file = env.path("sheet2.json");
    std::fs::write(&file, s.to_string()).unwrap();
    env.ok(&["case", "edit", &a.case, "--file", file.to_str().unwrap()]);
    let out = env.path("eu2");
    let err = env.fails(
        &[
            "export",
            "--case",
            &a.case,
            "--out",
            out.to_str().unwrap(),
            "--for",
            "eu-global-human-rights",
        ],
        2,
    );
    assert!(
        err.contains("status") && err.contains("W1") && err.contains("nothing was exported"),
        "{err}"
    );
    assert!(!out.exists() && !env.path("eu2.partial").exists());
}

// #13.2: guard.json was read, then the process slept, then it wrote back
// under a shared lock: 6 wrong guesses run in parallel after
// `guard --wipe-after 3` left the count at 2 and the vault intact.
#[test]
fn i13_2_parallel_wrong_guesses_still_wipe_at_the_limit() {
    let env = Env::init();
    env.ok(&["guard", "--wipe-after", "3"]);
    let guesses: Vec<_> = (0..12)
        .map(|i| {
            env.cmd(&["list"])
                .env("CASEFILE_PASSPHRASE", format!("wrong guess number {i}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut g in guesses {
        assert_eq!(g.wait().unwrap().code(), Some(2));
    }
    assert!(
        !env.vault.join("keyslots.json").exists(),
        "12 parallel wrong guesses left the keys of a vault that wipes after 3"
    );
}

// #13.2: 8 parallel guesses at the slow-down took 15 s instead of about 300 s.
#[test]
fn i13_2_parallel_guesses_wait_as_long_as_one_after_another() {
    let env = Env::init();
    // Three failures already: the next guesses wait 1, 2 and 4 seconds.
    std::fs::write(
        env.vault.join("guard.json"),
        r#"{"failures":3,"wipe_after":null}"#,
    )
    .unwrap();
    let start = Instant::now();
    let guesses: Vec<_> = (0..3)
        .map(|i| {
            env.cmd(&["list"])
                .env("CASEFILE_PASSPHRASE", format!("wrong guess number {i}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut g in guesses {
        assert_eq!(g.wait().unwrap().code(), Some(2));
    }
    let waited = start.elapsed().as_secs_f64();
    println!("#13.2 three parallel guesses after three failures: {waited:.1} s");
    // A lower bound: the slow-down must not shrink with parallelism.
    assert!(
        waited >= 7.0,
        "the three waits of 1, 2 and 4 s overlapped: {waited:.1} s"
    );
    let guard = std::fs::read_to_string(env.vault.join("guard.json")).unwrap();
    assert!(guard.contains("\"failures\":6"), "{guard}");
}

// #13.3: copying vault.db away, adding a file, and putting the old vault.db
// back was not noticed (`log verify` passed with fewer events), and the next
// open deleted the newer item's blob as an orphan.
#[test]
fn i13_3_a_database_put_back_is_refused_and_no_blob_is_deleted() {
    let env = Env::init();
    let a = env.path("a.txt");
    std::fs::write(&a, "first").unwrap();
    env.ok(&["add", a.to_str().unwrap()]);
    std::fs::copy(env.vault.join("vault.db"), env.path("old.db")).unwrap();
    let b = env.path("b.txt");
    std::fs::write(&b, "second, newer evidence").unwrap();
    env.ok(&["add", b.to_str().unwrap()]);
    let blobs_before = all_files(&env.vault.join("blobs"));
    std::fs::copy(env.vault.join("vault.db"), env.path("new.db")).unwrap();
    std::fs::copy(env.path("old.db"), env.vault.join("vault.db")).unwrap();
    for args in [&["log", "verify"][..], &["list"][..]] {
        let err = env.fails(args, 1);
        assert!(err.contains("replaced by an earlier copy"), "{err}");
    }
    assert_eq!(
        all_files(&env.vault.join("blobs")),
        blobs_before,
        "a blob was removed"
    );
    // Putting the newer database back makes everything whole again.
    std::fs::copy(env.path("new.db"), env.vault.join("vault.db")).unwrap();
    assert_eq!(env.json(&["list"]).as_array().unwrap().len(), 2);
    env.ok(&["check", "--deep"]);
}

// #13.3: the sweep deleted complete blobs; now it removes only temporary files
// and moves an unknown complete blob to a quarantine that `check` reports.
#[test]
fn i13_3_unknown_complete_blobs_are_quarantined_and_reported() {
    let env = Env::init();
    let a = env.path("a.txt");
    std::fs::write(&a, "evidence").unwrap();
    env.ok(&["add", a.to_str().unwrap()]);
    let blob = all_files(&env.vault.join("blobs")).remove(0);
    let copy = blob.with_file_name("0123456789abcdef0123456789abcdef");
    std::fs::copy(&blob, &copy).unwrap();
    env.ok(&["list"]);
    assert!(!copy.exists());
    assert!(
        env.vault
            .join("quarantine/0123456789abcdef0123456789abcdef")
            .exists()
    );
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("quarantine"), "{}", text(&out));
    // Said at every opening after, until someone looks.
    let out = env.run(&["list"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 file(s)"),
        "{}",
        text(&out)
    );
}

// #13.4: `log verify` passed while a blob had a flipped byte, two blobs were
// swapped, or a blob was missing; only `extract` noticed.
#[test]
fn i13_4_check_finds_flipped_swapped_and_missing_blobs() {
    let env = Env::init();
    let mut ids = Vec::new();
    for (i, body) in ["one", "two", "three", "four"].iter().enumerate() {
        let f = env.path(&format!("{i}.txt"));
        std::fs::write(&f, body.repeat(1000)).unwrap();
        ids.push(add_id(&env, &f, &[]));
    }
    env.ok(&["check", "--deep"]);
    let blob_of = |id: &str| -> PathBuf {
        let conn = raw_db(&env.vault);
        let name: String = conn
            .query_row("SELECT blob FROM items WHERE id = ?1", [id], |r| r.get(0))
            .unwrap();
        env.vault.join("blobs").join(name)
    };
    let (flip, swap_a, swap_b, gone) = (
        blob_of(&ids[0]),
        blob_of(&ids[1]),
        blob_of(&ids[2]),
        blob_of(&ids[3]),
    );
    let mut bytes = std::fs::read(&flip).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&flip, bytes).unwrap();
    let tmp = env.path("swap");
    std::fs::rename(&swap_a, &tmp).unwrap();
    std::fs::rename(&swap_b, &swap_a).unwrap();
    std::fs::rename(&tmp, &swap_b).unwrap();
    std::fs::remove_file(&gone).unwrap();
    // The quick check finds what is missing (and the swap, whose sizes differ).
    let quick = text(&env.run(&["check"]));
    assert!(
        quick.contains(&format!("item {}", ids[3])) && quick.contains("missing"),
        "{quick}"
    );
    let out = env.run(&["check", "--deep"]);
    assert_eq!(out.status.code(), Some(1));
    let deep = text(&out);
    for id in &ids {
        assert!(
            deep.contains(&format!("item {id}")),
            "{id} not named:\n{deep}"
        );
    }
    assert!(
        deep.contains("fails authentication") || deep.contains("does not match"),
        "{deep}"
    );
}

// #13.5: the process could dump core (it was not marked non-dumpable).
#[test]
fn i13_5_the_process_is_not_dumpable_and_dumps_no_core() {
    // A command that waits on the terminal for a passphrase stays alive
    // long enough to look at it.
    let env = Env::init();
    let mut child = Command::new(env!("CARGO_BIN_EXE_casefile"))
        .args(["--vault", env.vault.to_str().unwrap(), "list"])
        .env_remove("CASEFILE_PASSPHRASE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let limits =
        std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap_or_default();
    let owner = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(format!("/proc/{}/environ", child.id())).map_or(u32::MAX, |m| m.uid())
    };
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or_default();
    assert!(core.split_whitespace().nth(4) == Some("0"), "{core}");
    assert!(
        !status.is_empty(),
        "the command did not stay to be looked at"
    );
    // Not dumpable: the kernel hands /proc/PID/ to root, which a user other
    // than root can see (as root, the core limit above is what shows).
    use std::os::unix::fs::MetadataExt;
    let me = std::fs::metadata("/proc/self").unwrap().uid();
    if me != 0 {
        assert_eq!(owner, 0, "/proc/PID of the command is still its user's");
    }
}

// #13.5: "password" was accepted as a passphrase.
#[test]
fn i13_5_an_easily_guessed_passphrase_is_refused_with_what_would_do() {
    let env = Env::with_passphrase("password");
    let err = env.fails(&["init"], 2);
    assert!(
        err.contains("too weak") && err.contains("common password") && err.contains("words"),
        "{err}"
    );
    assert!(!env.vault.join("keyslots.json").exists());
    let env = Env::init();
    let out = env.run_env(&["passwd"], &[("CASEFILE_NEW_PASSPHRASE", "kitten12")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("too weak"));
}

// #13.5: after `passwd` or `decoy`, the key-slot file's modification time
// moved apart from the other files.
#[test]
fn i13_5_the_folder_keeps_one_modification_time() {
    let env = Env::init();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    env.run_env(
        &["passwd"],
        &[("CASEFILE_NEW_PASSPHRASE", "another good passphrase here")],
    );
    env.set_passphrase("another good passphrase here");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    env.run_env(
        &["decoy"],
        &[("CASEFILE_NEW_PASSPHRASE", "a decoy passphrase of its own")],
    );
    let times: Vec<(String, std::time::SystemTime)> = [
        "keyslots.json",
        "vault.db",
        "vault-2.db",
        "vault.head",
        "vault-2.head",
        "guard.json",
    ]
    .iter()
    .map(|n| {
        (
            n.to_string(),
            std::fs::metadata(env.vault.join(n))
                .unwrap()
                .modified()
                .unwrap(),
        )
    })
    .collect();
    for (n, t) in &times {
        assert_eq!(
            *t, times[1].1,
            "{n} has another time than vault.db: {times:?}"
        );
    }
}

// #20.2: a lock (which cancels running work) waited on an export or import
// for as long as they ran: their cancel was raised as an "interrupted" read,
// which every reader retries, so a cancelled export never returned.
#[test]
fn i20_2_a_cancelled_export_or_import_returns_at_once() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let env = Env::init();
    let big = env.path("big.bin");
    common::write_data(&big, 96 << 20, 5);
    let created = env.json(&[
        "case",
        "new",
        "--title",
        "Big",
        "--type",
        "corruption",
        "--regime",
        "icc",
    ]);
    let case = created["id"].as_str().unwrap().to_string();
    env.ok(&["add", big.to_str().unwrap(), "--case", &case]);
    let mut vault = casefile::Vault::open(
        &env.vault,
        casefile::vault::Secret::Passphrase(common::PASS),
    )
    .unwrap();
    let cancel = AtomicBool::new(false);
    let read = AtomicU64::new(0);
    let progress = |n: u64| {
        if read.fetch_add(n, Ordering::Relaxed) + n > 8 << 20 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let task = casefile::Task::none()
        .with_progress(&progress)
        .with_cancel(&cancel);
    for format in [
        casefile::bundle::Format::Folder,
        casefile::bundle::Format::Zip,
    ] {
        cancel.store(false, Ordering::Relaxed);
        read.store(0, Ordering::Relaxed);
        let out = env.path(&format!("out-{format:?}"));
        let opts = casefile::bundle::ExportOptions {
            case: case.clone(),
            out: out.clone(),
            format,
            items: None,
            recipients: Vec::new(),
            prepared_for: None,
            prefer_redacted: false,
            language: None,
        };
        let start = Instant::now();
        let err = casefile::bundle::export(&mut vault, &opts, &task).unwrap_err();
        println!(
            "#20.2 cancelled {format:?} export returned after {:.2} s",
            start.elapsed().as_secs_f64()
        );
        assert!(
            matches!(err, casefile::bundle::BundleError::Cancelled),
            "{err}"
        );
        assert!(!out.exists());
    }
    // A whole bundle, then its import cancelled.
    let full = env.path("full");
    env.ok(&["export", "--case", &case, "--out", full.to_str().unwrap()]);
    let b = Env::init();
    drop(vault);
    let mut other =
        casefile::Vault::open(&b.vault, casefile::vault::Secret::Passphrase(common::PASS)).unwrap();
    cancel.store(false, Ordering::Relaxed);
    read.store(0, Ordering::Relaxed);
    let source = casefile::bundle::Source::open(&full, None).unwrap();
    let opts = casefile::bundle::ImportOptions {
        key: None,
        trust_as: Some("Sender".into()),
        unsigned: false,
    };
    let err = casefile::bundle::import(
        &mut other,
        &source,
        &casefile::bundle::Limits::default(),
        &opts,
        &task,
    )
    .unwrap_err();
    assert!(
        matches!(err, casefile::bundle::BundleError::Cancelled),
        "{err}"
    );
    assert!(other.list().unwrap().is_empty());
}

/// Exports one item of the Ali case for the EU and returns the error (the
/// export must stop).
fn eu_export_stops(a: &AliCase, name: &str, item: &str) -> String {
    let out = a.env.path(name);
    let err = a.env.fails(
        &[
            "export",
            "--case",
            &a.case,
            "--out",
            out.to_str().unwrap(),
            "--for",
            "eu-global-human-rights",
            "--items",
            item,
        ],
        2,
    );
    assert!(!out.exists(), "{name}: {err}");
    err
}

/// Exports the Ali case for the EU with `items`, asserts it succeeded, and
/// returns the bundle folder.
fn eu_export_ok(a: &AliCase, name: &str, items: &str) -> std::path::PathBuf {
    let out = a.env.path(name);
    a.env.ok(&[
        "export",
        "--case",
        &a.case,
        "--out",
        out.to_str().unwrap(),
        "--for",
        "eu-global-human-rights",
        "--items",
        items,
    ]);
    out
}

/// Replaces the Ali case's sheet with `sheet` through `case edit`.
fn edit_ali_sheet(a: &AliCase, sheet: &Value) {
    let file = a.env.path("sheet-edit.json");
    std::fs::write(&file, sheet.to_string()).unwrap();
    a.env
        .ok(&["case", "edit", &a.case, "--file", file.to_str().unwrap()]);
}

/// Adds a file and links it to the Ali case's incident.
fn add_to_ali_case(a: &AliCase, name: &str, bytes: &[u8]) -> String {
    let path = a.env.path(name);
    std::fs::write(&path, bytes).unwrap();
    let id = add_id(&a.env, &path, &["--title", "A document"]);
    a.env
        .ok(&["case", "link", &a.case, "--item", &id, "--incident", "I1"]);
    id
}

// #13 review: only text/* and JSON items under 16 MiB were read for names, as
// UTF-8: a 17 MiB text, a UTF-16 file and a file of unknown type naming the
// withheld witness were sent.
#[test]
fn i13_review_items_of_any_size_type_and_encoding_are_read_for_names() {
    let a = ali_case();
    let mut big = vec![b'.'; 17 << 20];
    big.extend_from_slice(b" and then Ali spoke.");
    let utf16: Vec<u8> = "\u{feff}Notes: Ali was there."
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    for (name, bytes) in [
        ("big.txt", big),
        ("notes.dat", utf16),
        ("export.bin", b"\x00\x01raw ALI\xff\xfe".to_vec()),
        ("letter.csv", b"name;place\r\nAli;Caf\xe9\r\n".to_vec()),
    ] {
        let id = add_to_ali_case(&a, name, &bytes);
        let err = eu_export_stops(&a, &format!("out-{name}"), &id);
        assert!(
            err.contains("the content of item") && err.contains("W1"),
            "{name}: {err}"
        );
    }
}

// #13 review: the matcher folded case with to_lowercase only (ß, final ς and
// dotless ı escaped it), took a Latin name beside Chinese as part of a word,
// and missed a name with a suffix joined on (Turkish "Ayşe'nin", "Ayşenin").
#[test]
fn i13_review_full_case_folding_script_edges_and_suffixes() {
    let a = ali_case();
    let mut s = a.env.json(&["case", "show", &a.case]);
    s["persons"][0]["pseudonym"] = json!("Ayşe Straße");
    s["incidents"][0]["narrative"] = json!("Beatriz was taken.");
    s["corroboration"] = json!([]);
    let file = a.env.path("sheet-fold.json");
    std::fs::write(&file, s.to_string()).unwrap();
    a.env
        .ok(&["case", "edit", &a.case, "--file", file.to_str().unwrap()]);
    // The photo linked with "Ali saw the arrest" now names nobody withheld.
    for (i, text) in [
        "AYŞE STRASSE said so",
        "证人Ayşe Straße说",
        "Ayşe Straßenin evi",
    ]
    .iter()
    .enumerate()
    {
        let id = add_to_ali_case(&a, &format!("fold{i}.txt"), text.as_bytes());
        let err = eu_export_stops(&a, &format!("out-fold{i}"), &id);
        assert!(err.contains("W1"), "{text}: {err}");
    }
}

// #13 review, stop 29: a withheld witness "Ivan" turned the perpetrator
// "Ivanov" into "[withheld]ov" everywhere, "Swal" cut into "Swallow", a
// suffix was left beside the scrub ("[withheld]a's"), and a pseudonym that
// was also a perpetrator's name erased that name from the bundle.
#[test]
fn i13_review_a_withheld_name_inside_anothers_is_left_whole() {
    let a = ali_case();
    let env = &a.env;
    let mut s = env.json(&["case", "show", &a.case]);
    s["persons"][0]["pseudonym"] = json!("Ivan");
    s["persons"][2]["pseudonym"] = json!("Swal");
    s["perpetrators"] = json!([{
        "id": "P1", "kind": "person",
        "names": [{"value": "Ivanov", "kind": "original", "script": "Latn"}],
        "positions": [{"title": "Commander", "unit": "Swallow Battalion"}]
    }]);
    s["incidents"][0]["narrative"] =
        json!("Ivanov beat Ivan. Ivana's brother saw the Swallow Battalion and Swal.");
    s["incidents"][0]["perpetrators"] = json!([{"perpetrator": "P1", "link": "direct"}]);
    s["corroboration"] = json!([]);
    edit_ali_sheet(&a, &s);
    let out = eu_export_ok(&a, "eu-ivan", &a.kept);
    let sheet: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("data/case.json")).unwrap())
            .unwrap();
    let case = &sheet["case"];
    assert_eq!(case["perpetrators"][0]["names"][0]["value"], "Ivanov");
    assert_eq!(
        case["perpetrators"][0]["positions"][0]["unit"],
        "Swallow Battalion"
    );
    assert_eq!(
        case["incidents"][0]["narrative"],
        "Ivanov beat [withheld]. [withheld]'s brother saw the Swallow Battalion and [withheld]."
    );
    env.ok(&["verify", out.to_str().unwrap()]);

    // A pseudonym that is also the perpetrator's name cannot be told apart
    // from it: the export stops, names the field, and writes nothing.
    s["persons"][0]["pseudonym"] = json!("IVANOV");
    edit_ali_sheet(&a, &s);
    let out = env.path("eu-ivanov");
    let err = env.fails(
        &[
            "export",
            "--case",
            &a.case,
            "--out",
            out.to_str().unwrap(),
            "--for",
            "eu-global-human-rights",
        ],
        2,
    );
    assert!(
        err.contains("perpetrators[0].names[0].value")
            && err.contains("someone else's name that holds the name of a person left out")
            && err.contains("W1"),
        "{err}"
    );
    assert!(!out.exists(), "{err}");
}

// #13 review, stop 29: a withheld name was found only written as in the
// sheet. "Ivan  Petrov", "Ivan-Petrov", "IvanPetrov" in the narrative and a
// document with "Ivan" at the end of a line and "Petrov" on the next were
// sent; the real name "Karim Haddad" written "Haddad Karim" too; and a
// consenting person called "Ivan's mother" shielded every "Ivan's" in the
// text as part of her name.
#[test]
fn i13_review_a_name_however_its_words_are_parted_is_found() {
    let a = ali_case();
    let env = &a.env;
    let mut s = env.json(&["case", "show", &a.case]);
    s["persons"][0]["pseudonym"] = json!("Ivan Petrov");
    s["incidents"][0]["narrative"] = json!(
        "Ivan  Petrov saw it; Ivan-Petrov wrote it down; IvanPetrov signed; \
         Beatriz was taken."
    );
    s["corroboration"] = json!([]);
    edit_ali_sheet(&a, &s);
    let out = eu_export_ok(&a, "eu-petrov", &a.kept);
    let sheet = std::fs::read_to_string(out.join("data/case.json")).unwrap();
    assert!(!sheet.to_lowercase().contains("petrov"), "{sheet}");
    assert!(
        sheet.contains("[withheld] saw it; [withheld] wrote it down; [withheld] signed"),
        "{sheet}"
    );

    let id = add_to_ali_case(&a, "statement.txt", b"The arrest was seen by Ivan\nPetrov.");
    let err = eu_export_stops(&a, "out-line-break", &id);
    assert!(
        err.contains("the content of item") && err.contains("W1"),
        "{err}"
    );

    let identity = env.path("identity.txt");
    std::fs::write(&identity, "Karim Haddad\n").unwrap();
    env.ok(&[
        "case",
        "identity",
        &a.case,
        "W1",
        "--set-file",
        identity.to_str().unwrap(),
    ]);
    let id = add_to_ali_case(&a, "record.txt", b"Detainee: HADDAD Karim, 34.");
    let err = eu_export_stops(&a, "out-reversed", &id);
    assert!(
        err.contains("W1") && !err.to_lowercase().contains("karim"),
        "{err}"
    );

    s["persons"][0]["pseudonym"] = json!("Ivan");
    s["persons"][1]["pseudonym"] = json!("Ivan's mother");
    s["incidents"][0]["narrative"] = json!("Ivan's mother was taken.");
    edit_ali_sheet(&a, &s);
    let err = eu_export_stops(&a, "out-mother", &a.kept);
    assert!(
        err.contains("persons[1].pseudonym")
            && err.contains("someone else's name that holds the name of a person left out")
            && err.contains("W1"),
        "{err}"
    );
}

// #13 review, stop 29 (second attack): initials "K.D." were found only as
// written, so "K. D.", "KD" and "K-D" in the narrative were sent; "Maria.Lopez"
// (a user name) in a document was sent; a Cyrillic name in a Windows-1251
// text was sent; and every word of a stored identity was taken for a name,
// so "Moscow" and "phone" were scrubbed from the narrative and a document
// saying "detained in Moscow" stopped the export.
#[test]
fn i13_review_initials_user_names_cyrillic_bytes_and_identity_lines() {
    let a = ali_case();
    let env = &a.env;
    let mut s = env.json(&["case", "show", &a.case]);
    s["persons"][0]["pseudonym"] = json!("K.D.");
    s["incidents"][0]["narrative"] =
        json!("K. D. and KD and K-D were there; Beatriz was taken to Moscow on the phone.");
    s["corroboration"] = json!([]);
    edit_ali_sheet(&a, &s);
    let identity = env.path("identity.txt");
    std::fs::write(
        &identity,
        "Maria Lopez\nborn 1985, Moscow\nphone +7 999 123 4567\n",
    )
    .unwrap();
    env.ok(&[
        "case",
        "identity",
        &a.case,
        "W1",
        "--set-file",
        identity.to_str().unwrap(),
    ]);
    let plain = add_to_ali_case(
        &a,
        "order.txt",
        b"Beatriz was detained in Moscow by phone order.",
    );
    let out = eu_export_ok(&a, "eu-kd", &format!("{},{plain}", a.kept));
    let sheet = std::fs::read_to_string(out.join("data/case.json")).unwrap();
    assert!(
        sheet.contains(
            "[withheld]. and [withheld] and [withheld] were there; Beatriz was taken to Moscow on the phone."
        ),
        "{sheet}"
    );

    let id = add_to_ali_case(
        &a,
        "mail.txt",
        b"From: maria.lopez@example.org\nMaria.Lopez said so.",
    );
    let err = eu_export_stops(&a, "out-user-name", &id);
    assert!(
        err.contains("the content of item") && err.contains("W1"),
        "{err}"
    );

    s["persons"][0]["pseudonym"] = json!("Иван");
    s["incidents"][0]["narrative"] = json!("Beatriz was taken.");
    edit_ali_sheet(&a, &s);
    // "Иван был там" in Windows-1251.
    let id = add_to_ali_case(
        &a,
        "cp1251.txt",
        b"\xc8\xe2\xe0\xed \xe1\xfb\xeb \xf2\xe0\xec",
    );
    let err = eu_export_stops(&a, "out-cp1251", &id);
    assert!(
        err.contains("the content of item") && err.contains("W1"),
        "{err}"
    );
}

// #19 review, stop 29: a sheet was accepted with an incident that ended
// before it started, a position held "to" before "from", a latitude with no
// longitude, two persons under one pseudonym (neither could then be
// withheld alone) and a regime listed twice.
#[test]
fn i19_review_a_sheet_that_contradicts_itself_is_refused() {
    let a = ali_case();
    let env = &a.env;
    let good = env.json(&["case", "show", &a.case]);
    let file = env.path("sheet-bad.json");
    type Edit = (&'static str, fn(&mut Value));
    let edits: [Edit; 5] = [
        ("incidents[0].end", |s| {
            s["incidents"][0]["end"] = json!("2024-04-30");
        }),
        ("perpetrators[0].positions[0].to", |s| {
            s["perpetrators"] = json!([{"id": "P1", "kind": "person",
                "names": [{"value": "Rein", "kind": "original", "script": "Latn"}],
                "positions": [{"title": "Warden", "from": "2021-03", "to": "2020"}]}]);
        }),
        ("incidents[0].place", |s| {
            s["incidents"][0]["place"]["lat"] = json!(12.5);
        }),
        ("persons[2].pseudonym", |s| {
            s["persons"][2]["pseudonym"] = json!(" ALI ");
        }),
        ("submission.regimes[1]", |s| {
            s["submission"]["regimes"] =
                json!(["eu-global-human-rights", "eu-global-human-rights"]);
        }),
    ];
    for (field, edit) in edits {
        let mut s = good.clone();
        edit(&mut s);
        std::fs::write(&file, s.to_string()).unwrap();
        let err = env.fails(
            &["case", "edit", &a.case, "--file", file.to_str().unwrap()],
            2,
        );
        assert!(err.contains(field), "{field}: {err}");
        assert_eq!(env.json(&["case", "show", &a.case]), good, "{field}");
    }
    // A month and a day in it may be the same time: not a contradiction.
    let mut s = good.clone();
    s["incidents"][0]["start"] = json!("2024-05");
    s["incidents"][0]["end"] = json!("2024-05-01");
    std::fs::write(&file, s.to_string()).unwrap();
    env.ok(&["case", "edit", &a.case, "--file", file.to_str().unwrap()]);
}

// #13 review: the real identity stored apart from the sheet was never looked
// for: a document giving the witness's real name was sent.
#[test]
fn i13_review_a_withheld_persons_real_name_is_looked_for_too() {
    let a = ali_case();
    let identity = a.env.path("identity.txt");
    std::fs::write(&identity, "Karim Haddad\n").unwrap();
    a.env.ok(&[
        "case",
        "identity",
        &a.case,
        "W1",
        "--set-file",
        identity.to_str().unwrap(),
    ]);
    let id = add_to_ali_case(&a, "record.txt", b"Detention record: KARIM HADDAD, 34.");
    let err = eu_export_stops(&a, "out-real", &id);
    assert!(err.contains("W1"), "{err}");
    assert!(
        !err.to_lowercase().contains("karim"),
        "the name itself is never said: {err}"
    );
}

// #12 review: 24 million `0,` in one event's details, an item's derivation
// and the disclosures (a 121 MB bundle within every byte bound) took 1.87 GB
// to verify: a parsed value costs 32 bytes however short it is written.
#[test]
fn i12_review_records_of_tiny_values_are_refused_before_parsing() {
    let (_a, _case, bag) = demo_bundle("bundle");
    let mallory = DeviceKey::generate();
    forge(&bag, &mallory, |f| {
        f.events[0].details = json!({ "x": vec![0; 8_000_000] });
    });
    let b = Env::init();
    let (code, peak, said) = run_measured(b.cmd(&["verify", bag.to_str().unwrap()]));
    println!(
        "#12 review: 8,000,000 values in one event: exit {code}, peak {} MiB",
        peak / 1024
    );
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("JSON values"), "{said}");
    assert!(peak < VERIFY_PEAK_KIB, "peak {peak} KiB");
    let (code, peak, said) =
        run_measured(b.cmd(&["import", bag.to_str().unwrap(), "--trust", "Mallory"]));
    assert_eq!(code, 1, "{said}");
    assert!(peak < VERIFY_PEAK_KIB, "import peak {peak} KiB");
}

// #12 review: an event's actor, time and device were never checked: a sender
// could put terminal escapes in the actor and "yesterday" as the time, and
// the bundle verified.
#[test]
fn i12_review_every_field_of_a_received_event_is_checked() {
    for (what, edit) in [("actor", 0usize), ("time", 1), ("item", 2), ("sha256", 3)] {
        let (_a, _case, bag) = demo_bundle("bundle");
        let mallory = DeviceKey::generate();
        forge(&bag, &mallory, |f| {
            let e = &mut f.events[0];
            match edit {
                0 => e.actor = "Analyst\u{1b}]0;pwned\u{7}".into(),
                1 => e.time = "yesterday".into(),
                2 => e.item = Some("../../evil".into()),
                _ => e.sha256 = Some("zz".into()),
            }
        });
        let b = Env::init();
        let out = b.run(&["verify", bag.to_str().unwrap()]);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {said}");
        assert!(said.contains("FAIL custody"), "{what}: {said}");
        assert!(
            !said.contains('\u{1b}'),
            "{what}: a raw escape reached the terminal"
        );
        let err = b.fails(&["import", bag.to_str().unwrap(), "--trust", "Mallory"], 1);
        assert!(!err.contains('\u{1b}'), "{what}: {err}");
        assert_eq!(b.json(&["list"]).as_array().unwrap().len(), 0);
    }
}

// #12 review: with its seal file deleted, a Casefile bundle imported without
// a word as a plain bag from another tool (logged "unsigned", but imported).
#[test]
fn i12_review_a_bundle_stripped_of_its_seal_is_refused() {
    let (_a, _case, bag) = demo_bundle("bundle");
    std::fs::remove_file(bag.join("tagmanifest-sha256.txt.minisig")).unwrap();
    let b = Env::init();
    for args in [vec!["import"], vec!["import", "--unsigned"]] {
        let mut args = args.clone();
        args.push(bag.to_str().unwrap());
        let err = b.fails(&args, 1);
        assert!(
            err.contains("no seal") && err.contains("nothing was imported"),
            "{err}"
        );
    }
    assert_eq!(b.json(&["list"]).as_array().unwrap().len(), 0);
}

/// A zip whose central directory names `bag/data/a.txt` twice, with two
/// different contents (the second written as `bag/data/b.txt`, then renamed).
fn zip_naming_one_file_twice(path: &Path) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("bag/bagit.txt", opts).unwrap();
    z.write_all(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        .unwrap();
    z.start_file("bag/data/a.txt", opts).unwrap();
    z.write_all(b"what the verifier reads").unwrap();
    z.start_file("bag/data/b.txt", opts).unwrap();
    z.write_all(b"what another reader shows").unwrap();
    z.finish().unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    let from = b"bag/data/b.txt";
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(from.len()).position(|w| w == from) {
        bytes[at + i..at + i + from.len()].copy_from_slice(b"bag/data/a.txt");
        at += i + from.len();
    }
    std::fs::write(path, bytes).unwrap();
}

// #12 review: a zip naming one file twice was read as the copy the zip
// library kept, while `unzip` and other readers may show the other.
#[test]
fn i12_review_a_zip_naming_one_file_twice_is_refused() {
    let env = Env::init();
    let zip = env.path("twice.zip");
    zip_naming_one_file_twice(&zip);
    let err = env.fails(&["verify", zip.to_str().unwrap()], 1);
    assert!(err.contains("names one file twice"), "{err}");
    let err = env.fails(&["import", "--unsigned", zip.to_str().unwrap()], 1);
    assert!(err.contains("names one file twice"), "{err}");
}

// #12 review: a folder bundle with a 32 GiB sparse file was hashed byte by
// byte (hours of zeros) before anything was said.
#[test]
fn i12_review_a_sparse_file_in_a_folder_bundle_is_refused_at_once() {
    let (env, _case, bag) = demo_bundle("bundle");
    let f = std::fs::File::create(bag.join("data/evidence/holes.bin")).unwrap();
    f.set_len(1 << 35).unwrap();
    let start = Instant::now();
    let err = env.fails(&["verify", bag.to_str().unwrap()], 1);
    println!(
        "#12 review: 32 GiB sparse file refused in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    assert!(err.contains("holes.bin") && err.contains("sparse"), "{err}");
}

// #12 review: redacting an 8192×8192 picture took 605-698 MB: the black box
// was a second picture as large as the first, the blur copied its region.
#[test]
fn i12_review_redacting_a_large_picture_takes_no_extra_copies() {
    let env = Env::init();
    let pic = env.path("large.jpg");
    image::RgbImage::from_pixel(8192, 8192, image::Rgb([120, 90, 30]))
        .save(&pic)
        .unwrap();
    let id = add_id(&env, &pic, &[]);
    for region in [["--box", "0,0,8192,8192"], ["--blur", "0,0,8192,8192"]] {
        let mut args = vec!["redact", id.as_str()];
        args.extend(region);
        let (code, peak, said) = run_measured(env.cmd(&args));
        println!(
            "#12 review: redact 8192x8192 {}: exit {code}, peak {} MiB",
            region[0],
            peak / 1024
        );
        assert_eq!(code, 0, "{said}");
        assert!(peak < PICTURE_PEAK_KIB, "peak {peak} KiB");
    }
}

// #14.7: `show 29` said "no item 29" (ids need four characters); a case with
// one link said "1 evidence links".
#[test]
fn i14_7_short_prefixes_and_one_link_are_said_plainly() {
    let env = Env::init();
    let err = env.fails(&["show", "29"], 2);
    assert!(err.contains("at least four characters"), "{err}");
    let a = env.path("a.txt");
    std::fs::write(&a, "evidence").unwrap();
    let id = add_id(&env, &a, &[]);
    let created = env.json(&[
        "case",
        "new",
        "--title",
        "One",
        "--type",
        "corruption",
        "--regime",
        "icc",
    ]);
    let case = created["id"].as_str().unwrap();
    let said = env.ok(&["case", "link", case, "--item", &id]);
    assert!(
        said.contains("1 evidence link") && !said.contains("links"),
        "{said}"
    );
}

// #14.7: the export's progress counted against every byte in the vault, not
// the bytes of the case being sent.
#[test]
fn i14_7_export_progress_totals_what_is_sent() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let env = Env::init();
    let sent = env.path("sent.bin");
    common::write_data(&sent, 300_000, 1);
    let other = env.path("other.bin");
    common::write_data(&other, 5_000_000, 2);
    env.ok(&["add", other.to_str().unwrap()]);
    let created = env.json(&[
        "case",
        "new",
        "--title",
        "Small",
        "--type",
        "corruption",
        "--regime",
        "icc",
    ]);
    let case = created["id"].as_str().unwrap().to_string();
    env.ok(&["add", sent.to_str().unwrap(), "--case", &case]);
    let mut vault = casefile::Vault::open(
        &env.vault,
        casefile::vault::Secret::Passphrase(common::PASS),
    )
    .unwrap();
    let (total, done) = (AtomicU64::new(0), AtomicU64::new(0));
    let set_total = |n: u64| total.store(n, Ordering::Relaxed);
    let advance = |n: u64| {
        done.fetch_add(n, Ordering::Relaxed);
    };
    let task = casefile::Task::none()
        .with_progress(&advance)
        .with_total(&set_total);
    let opts = casefile::bundle::ExportOptions {
        case,
        out: env.path("out"),
        format: casefile::bundle::Format::Folder,
        items: None,
        recipients: Vec::new(),
        prepared_for: None,
        prefer_redacted: false,
        language: None,
    };
    casefile::bundle::export(&mut vault, &opts, &task).unwrap();
    assert_eq!(total.load(Ordering::Relaxed), 300_000);
    assert_eq!(done.load(Ordering::Relaxed), 300_000);
}

// Review of this change: moving recipient parsing into the library made it
// skip blank entries, so `export --to ""` (an unset variable) wrote a
// plaintext folder instead of refusing.
#[test]
fn review_an_empty_recipient_is_refused_not_skipped() {
    let env = Env::init();
    env.ok(&["demo"]);
    let case = env.json(&["case", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = env.path("out");
    for blank in ["", "  "] {
        let err = env.fails(
            &[
                "export",
                "--case",
                &case,
                "--out",
                out.to_str().unwrap(),
                "--to",
                blank,
            ],
            2,
        );
        assert!(err.contains("an empty recipient"), "{err}");
        assert!(!out.exists(), "nothing may be written");
    }
}

/// Issue 16, found by an attacker: a seal token signed by a time-stamping
/// certificate that an ordinary end-entity certificate (CA:FALSE) issued,
/// itself issued by the pinned authority's CA, passed verification and gave
/// the seal whatever time its maker chose. Every issuer on the chain must be
/// a CA allowed to sign certificates.
#[test]
fn i16_review_a_token_chained_through_a_non_ca_certificate_is_refused() {
    use common::tsa::{Authority, Usage};
    let env = Env::init();
    let good = Authority::start(&env.path("tsa-good"), "good", Usage::TimeStamping);
    let sheet = env.json(&["demo"]);
    let case = sheet["id"].as_str().expect("case id").to_string();
    let ca = good.ca();
    env.ok(&[
        "tsa",
        "add",
        "good",
        &good.url,
        "--ca",
        ca.to_str().unwrap(),
    ]);
    env.ok(&["timestamp"]);
    let bundle = env.path("bundle");
    env.ok(&["export", "--case", &case, "--out", bundle.to_str().unwrap()]);
    let key = env.path("sender.pub");
    std::fs::write(&key, env.ok(&["key", "show"])).unwrap();
    let pin = format!("good={}", ca.display());
    let recipient = Env::new();
    let args = |b: &Path| {
        vec![
            "verify".to_string(),
            b.display().to_string(),
            "--key".into(),
            key.display().to_string(),
            "--tsa-ca".into(),
            pin.clone(),
        ]
    };
    let genuine = recipient.run(&args(&bundle).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(genuine.status.code(), Some(0), "the genuine bundle holds");

    let seal = bundle.join("tagmanifest-sha256.txt.minisig");
    let token = bundle.join("tagmanifest-sha256.txt.minisig.good.tsr");
    good.forge_through_end_entity(&seal, &token);
    let out = recipient.run(&args(&bundle).iter().map(String::as_str).collect::<Vec<_>>());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("CN=www.example.org in its chain is not a certificate authority"),
        "{text}"
    );
    assert!(
        !text.contains("sealed no later than"),
        "no time is claimed: {text}"
    );
}

fn org_cmd(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["org"];
    all.extend_from_slice(args);
    let out = env.run_env(
        &all,
        &[("CASEFILE_ORG_PASSPHRASE", "regression organisation 1")],
    );
    assert!(
        out.status.success(),
        "{all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Issue 16, found by review: a certificate valid only from 2099 made a
/// bundle sealed today pass as sealed by a certified member's device.
#[test]
fn i16_review_a_certificate_not_yet_valid_vouches_for_nothing() {
    let member = Env::init();
    let org = member.path("org");
    org_cmd(
        &member,
        &["init", "--name", "Acme", "--out", org.to_str().unwrap()],
    );
    let device = member.path("device.pub");
    std::fs::write(&device, member.ok(&["key", "show"])).unwrap();
    let cert = member.path("future.cert");
    org_cmd(
        &member,
        &[
            "certify",
            "--key",
            org.join("organisation.key").to_str().unwrap(),
            "--device",
            device.to_str().unwrap(),
            "--member",
            "Dan",
            "--from",
            "2099-01-01T00:00:00Z",
            "--out",
            cert.to_str().unwrap(),
        ],
    );
    member.ok(&["key", "certificate", cert.to_str().unwrap()]);
    let case = member.json(&["demo"])["id"].as_str().unwrap().to_string();
    let bundle = member.path("bundle");
    member.ok(&["export", "--case", &case, "--out", bundle.to_str().unwrap()]);
    let office = Env::init();
    let pubkey = org.join("organisation.pub");
    office.ok(&[
        "senders",
        "add",
        "acme",
        pubkey.to_str().unwrap(),
        "--organisation",
    ]);
    let out = office.run(&["verify", bundle.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("is valid only from 2099-01-01T00:00:00Z"),
        "{text}"
    );
    assert!(!text.contains("sealed by device of Dan"), "{text}");
}

/// Issue 16, found by review: loading an older revocation with a later time
/// replaced a stricter one, widening what the seized device could still seal.
#[test]
fn i16_review_a_replayed_later_revocation_never_narrows_an_earlier_one() {
    let member = Env::init();
    let org = member.path("org");
    org_cmd(
        &member,
        &["init", "--name", "Acme", "--out", org.to_str().unwrap()],
    );
    let device = member.path("device.pub");
    std::fs::write(&device, member.ok(&["key", "show"])).unwrap();
    let key = org.join("organisation.key");
    for (at, out) in [
        ("2000-01-01T00:00:00Z", "early.rev"),
        ("2026-06-01T00:00:00Z", "late.rev"),
    ] {
        let out = member.path(out);
        org_cmd(
            &member,
            &[
                "revoke",
                "--key",
                key.to_str().unwrap(),
                "--device",
                device.to_str().unwrap(),
                "--at",
                at,
                "--out",
                out.to_str().unwrap(),
            ],
        );
    }
    let office = Env::init();
    let pubkey = org.join("organisation.pub");
    office.ok(&[
        "senders",
        "add",
        "acme",
        pubkey.to_str().unwrap(),
        "--organisation",
    ]);
    office.ok(&[
        "senders",
        "revoke",
        member.path("early.rev").to_str().unwrap(),
    ]);
    let out = office.ok(&[
        "senders",
        "revoke",
        member.path("late.rev").to_str().unwrap(),
    ]);
    assert!(
        out.contains("from 2000-01-01T00:00:00Z"),
        "the earlier time stays in force: {out}"
    );
}

// Issue 17, remotes: found by an attacker's review of `remote add` and `remote test`.

/// A one-connection-at-a-time HTTP server on 127.0.0.1 that answers every
/// request with `answer(request_head)`, written whole (or streamed forever
/// when it returns None). Returns its address.
fn hostile_http(answer: fn(&str) -> Option<Vec<u8>>) -> String {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let mut out = stream;
                match answer(&head) {
                    Some(bytes) => {
                        let _ = out.write_all(&bytes);
                    }
                    None => {
                        let _ = out.write_all(
                            b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n\
                              Transfer-Encoding: chunked\r\n\r\n",
                        );
                        let item = "<d:response><d:href>/dav/casefile/x</d:href></d:response>"
                            .repeat(2000);
                        let chunk = format!("{:x}\r\n{item}\r\n", item.len());
                        let start = b"<?xml version=\"1.0\"?><d:multistatus xmlns:d=\"DAV:\">";
                        let _ = out.write_all(format!("{:x}\r\n", start.len()).as_bytes());
                        let _ = out.write_all(start);
                        let _ = out.write_all(b"\r\n");
                        while out.write_all(chunk.as_bytes()).is_ok() {}
                    }
                }
            });
        }
    });
    format!("http://{addr}/dav")
}

fn add_remote(env: &Env, args: &[&str], secret: &str) -> std::process::Output {
    let mut all = vec!["remote", "add"];
    all.extend_from_slice(args);
    env.run_env(&all, &[("CASEFILE_REMOTE_SECRET", secret)])
}

#[test]
fn i17_1_plain_http_through_a_proxy_elsewhere_is_refused() {
    let env = Env::init();
    let out = add_remote(
        &env,
        &[
            "x",
            "--webdav",
            "http://localhost:8081/dav",
            "--user",
            "alice",
            "--proxy",
            "http://192.0.2.2:8199",
        ],
        "SuperSecretPW-ZZQ9",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("would let the proxy read the secret"),
        "{}",
        text(&out)
    );
    assert_eq!(env.json(&["remote", "list"]), json!([]));
}

#[test]
fn i17_2_an_onion_address_is_reached_only_through_tor() {
    let env = Env::init();
    let onion = format!("http://{}.onion/dav", "a".repeat(56));
    for proxy in [None, Some("socks5://127.0.0.1:1080")] {
        let mut args = vec!["x", "--webdav", onion.as_str(), "--user", "alice"];
        if let Some(p) = proxy {
            args.extend(["--proxy", p]);
        }
        let out = add_remote(&env, &args, "pw");
        assert_eq!(out.status.code(), Some(2), "{proxy:?}: {}", text(&out));
        assert!(text(&out).contains("through Tor"), "{}", text(&out));
    }
    let short = add_remote(
        &env,
        &[
            "x",
            "--webdav",
            "http://evilhiddenservice.onion/dav",
            "--user",
            "a",
            "--proxy",
            "socks5h://127.0.0.1:9050",
        ],
        "pw",
    );
    assert_eq!(short.status.code(), Some(2));
    let ok = add_remote(
        &env,
        &[
            "x",
            "--webdav",
            onion.as_str(),
            "--user",
            "alice",
            "--proxy",
            "socks5h://127.0.0.1:9050",
        ],
        "pw",
    );
    assert!(ok.status.success(), "{}", text(&ok));
}

#[test]
fn i17_3_a_proxy_address_with_a_password_is_refused_before_it_is_logged() {
    let env = Env::init();
    for proxy in [
        "socks5h://user:pw@127.0.0.1:9050",
        "http://user:pw@proxy.example:3128",
    ] {
        let out = add_remote(
            &env,
            &[
                "p",
                "--webdav",
                "http://127.0.0.1:8081/dav",
                "--user",
                "alice",
                "--proxy",
                proxy,
            ],
            "secret",
        );
        assert_eq!(out.status.code(), Some(2), "{proxy}");
        assert!(
            text(&out).contains("user name or password"),
            "{}",
            text(&out)
        );
    }
    assert!(!env.ok(&["--json", "log"]).contains("user:pw"));
}

#[test]
fn i17_4_a_server_that_echoes_the_request_never_puts_the_password_in_a_message() {
    let env = Env::init();
    let url = hostile_http(|head| {
        let auth = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .unwrap_or("none")
            .to_string();
        Some(
            format!(
                "HTTP/1.1 500 Internal Server Error\r\nX-Echo: {auth}\r\nContent-Length: 5\r\n\r\noops!"
            )
            .into_bytes(),
        )
    });
    let out = add_remote(
        &env,
        &["h", "--webdav", &url, "--user", "alice"],
        "SuperSecretPW-ZZQ9",
    );
    assert!(out.status.success());
    let err = env.fails(&["remote", "test", "h"], 2);
    // Basic alice:SuperSecretPW-ZZQ9
    assert!(!err.contains("YWxpY2U6U3VwZXJTZWNyZXRQVy1aWlE5"), "{err}");
    assert!(!err.contains("x-echo") && !err.contains("X-Echo"), "{err}");
    assert!(err.contains("HTTP 500"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn i17_5_an_endless_listing_is_cut_off_in_little_memory() {
    let env = Env::init();
    let url = hostile_http(|head| {
        if head.starts_with("PROPFIND") {
            None
        } else {
            Some(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n".to_vec())
        }
    });
    let out = add_remote(&env, &["h", "--webdav", &url, "--user", "alice"], "pw");
    assert!(out.status.success());
    let (code, peak_kib, said) = run_measured(env.cmd(&["remote", "test", "h"]));
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("cut off"), "{said}");
    assert!(peak_kib < 200 * 1024, "peak {peak_kib} KiB");
}

#[test]
fn i17_7_a_secret_that_cannot_be_one_and_a_user_with_a_colon_are_refused() {
    let env = Env::init();
    let nul = env.path("nul.secret");
    std::fs::write(&nul, b"pw\0\0\0").unwrap();
    let out = env.run(&[
        "remote",
        "add",
        "x",
        "--webdav",
        "http://127.0.0.1:1/dav",
        "--user",
        "alice",
        "--secret-file",
        nul.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("without control characters"),
        "{}",
        text(&out)
    );
    let out = add_remote(
        &env,
        &["x", "--webdav", "http://127.0.0.1:1/dav", "--user", "a:b"],
        "pw",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("colon"), "{}", text(&out));
    let missing = env.run(&[
        "remote",
        "add",
        "x",
        "--webdav",
        "http://127.0.0.1:1/dav",
        "--user",
        "a",
        "--secret-file",
        "/nonexistent/secret",
    ]);
    assert!(
        text(&missing).contains("cannot read the secret file"),
        "{}",
        text(&missing)
    );
    let out = add_remote(
        &env,
        &[
            "x",
            "--s3",
            "http://127.0.0.1:1",
            "--bucket",
            "abc",
            "--access-key",
            "k",
            "--user",
            "bob",
        ],
        "pw",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(env.json(&["remote", "list"]), json!([]));
}

/// A sender and a recipient who pins it, sharing one WebDAV remote; the
/// sender has sent the demo case once. Returns (sender, recipient, server,
/// identity file, delivery folder).
fn delivered_once() -> (Env, Env, common::servers::Dav, PathBuf, String) {
    let sender = Env::init();
    let case = sender.json(&["demo"])["id"].as_str().unwrap().to_string();
    let recipient = Env::init();
    let key = recipient.path("alice.pub");
    std::fs::write(&key, sender.ok(&["key", "show"])).unwrap();
    recipient.ok(&["senders", "add", "alice", key.to_str().unwrap()]);
    let (identity, age) = common::age_identity(&recipient);
    let dav = common::servers::Dav::start(sender.tmp.path(), "alice", "pw-delivery");
    for env in [&sender, &recipient] {
        let out = add_remote(
            env,
            &["office", "--webdav", &dav.url, "--user", "alice"],
            "pw-delivery",
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let sent = sender.json(&["send", "--case", &case, "--remote", "office", "--to", &age]);
    let delivery = sent["delivery"].as_str().unwrap().to_string();
    (sender, recipient, dav, identity, delivery)
}

#[test]
fn i17_8_a_receipt_the_server_forged_is_no_proof_and_hides_nothing() {
    common::require_tool("minisign");
    let (sender, recipient, dav, _identity, delivery) = delivered_once();
    let dir = dav.root.join(format!("casefile/{delivery}"));
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    // The server makes its own key and signs a receipt with it.
    let pk = sender.path("m.pub");
    let sk = sender.path("m.key");
    let made = Command::new("minisign")
        .args(["-G", "-W", "-p"])
        .arg(&pk)
        .arg("-s")
        .arg(&sk)
        .output()
        .unwrap();
    assert!(made.status.success());
    let line = std::fs::read_to_string(&pk)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let receipt = json!({
        "format": "casefile-receipt/1", "delivery": delivery, "sha256": index["sha256"],
        "verified": true, "received_at": "2026-12-01T00:00:00Z", "device_key": line,
    });
    std::fs::write(
        dir.join("receipt.json"),
        serde_json::to_vec_pretty(&receipt).unwrap(),
    )
    .unwrap();
    let signed = Command::new("minisign")
        .arg("-S")
        .arg("-s")
        .arg(&sk)
        .arg("-m")
        .arg(dir.join("receipt.json"))
        .arg("-x")
        .arg(dir.join("receipt.json.minisig"))
        .args(["-t", &format!("casefile receipt for delivery {delivery}")])
        .output()
        .unwrap();
    assert!(signed.status.success(), "{}", text(&signed));
    let said = sender.ok(&["outbox", "--remote", "office"]);
    assert!(!said.contains("verified"), "{said}");
    assert!(said.contains("not proof of receipt"), "{said}");
    let json = sender.json(&["outbox", "--remote", "office"]);
    assert_eq!(json[0]["received_by"], Value::Null);
    // The recipient still sees the delivery waiting.
    let waiting = recipient.json(&["inbox", "--remote", "office"]);
    assert_eq!(waiting[0]["delivery"], delivery.as_str(), "{waiting}");
}

#[test]
fn i17_9_an_unknown_sender_in_the_inbox_gets_the_right_hint_and_exit_3() {
    let (_sender, recipient, _dav, identity, _delivery) = delivered_once();
    recipient.ok(&["senders", "remove", "alice"]);
    let err = recipient.fails(
        &[
            "inbox",
            "--remote",
            "office",
            "--import",
            "--identity",
            identity.to_str().unwrap(),
        ],
        3,
    );
    assert!(err.contains("senders add"), "{err}");
    assert!(!err.contains("--trust"), "{err}");
}

#[test]
fn i17_10_a_download_left_by_a_killed_import_is_removed() {
    let (_sender, recipient, _dav, identity, delivery) = delivered_once();
    let stale = recipient
        .vault
        .join(".inbox-00000000000000000000000000000000.tar.age");
    std::fs::write(&stale, b"ciphertext left by a killed process").unwrap();
    recipient.ok(&[
        "inbox",
        "--remote",
        "office",
        "--import",
        "--identity",
        identity.to_str().unwrap(),
    ]);
    assert!(!stale.exists(), "a stale download was left");
    assert!(
        !recipient
            .vault
            .join(format!(".inbox-{delivery}.tar.age"))
            .exists()
    );
}

/// A sender with a 256 MiB item in the demo case, a WebDAV remote and an age
/// recipient, and a send of it started in the background.
fn sending_big() -> (Env, common::servers::Dav, std::process::Child) {
    let env = Env::init();
    let case = env.json(&["demo"])["id"].as_str().unwrap().to_string();
    let big = env.path("big.bin");
    common::write_data(&big, 256 << 20, 3);
    env.ok(&["add", big.to_str().unwrap(), "--case", &case]);
    std::fs::remove_file(&big).unwrap();
    let (_identity, age) = common::age_identity(&env);
    let dav = common::servers::Dav::start(env.tmp.path(), "alice", "pw-cancel");
    let out = add_remote(
        &env,
        &["office", "--webdav", &dav.url, "--user", "alice"],
        "pw-cancel",
    );
    assert!(out.status.success(), "{}", text(&out));
    let child = env
        .cmd(&["send", "--case", &case, "--remote", "office", "--to", &age])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    (env, dav, child)
}

/// The files under the server's root, as names relative to it.
fn held_by(dav: &common::servers::Dav) -> Vec<String> {
    all_files(&dav.root)
        .iter()
        .map(|f| {
            f.strip_prefix(&dav.root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn wait_for_parts(dav: &common::servers::Dav, n: usize) {
    let start = Instant::now();
    while held_by(dav).iter().filter(|f| f.contains("part-")).count() < n {
        assert!(start.elapsed().as_secs() < 120, "no parts arrived");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn interrupt(child: &std::process::Child) {
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
}

#[test]
fn i17_11_ctrl_c_during_a_send_deletes_the_parts_it_wrote() {
    // Ctrl-C killed the process where it stood: the parts already sent
    // stayed on the organisation's server for good.
    let (_env, dav, child) = sending_big();
    wait_for_parts(&dav, 2);
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(text(&out).contains("cancelled"), "{}", text(&out));
    let left = held_by(&dav);
    assert!(left.is_empty(), "left on the server: {left:?}");
}

#[test]
fn i17_12_ctrl_c_while_the_server_is_down_stops_the_send_at_once() {
    // A send waiting out a server that is down retried for up to five
    // minutes whatever the user asked (and in the app, the keys of a locked
    // vault stayed in memory as long).
    let (_env, dav, child) = sending_big();
    wait_for_parts(&dav, 2);
    dav.stop();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let asked = Instant::now();
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        asked.elapsed().as_secs() < 20,
        "the send went on for {:?} after Ctrl-C",
        asked.elapsed()
    );
    // The server was down: the parts stay, but with no index nobody takes
    // them for a delivery.
    assert!(!held_by(&dav).iter().any(|f| f.ends_with("index.json")));
}

#[test]
fn i17_13_a_listing_that_does_not_parse_never_quotes_the_server() {
    // A malformed PROPFIND answer whose closing tag was the request's
    // Authorization header reached the message word for word, through the
    // XML parser's error ("expected </D:response>, but </Basic_…> was
    // found"), and was taken for a network failure (exit 4, retried).
    let env = Env::init();
    let url = hostile_http(|head| {
        let auth = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .map(|l| l["authorization:".len()..].trim().replace(' ', "_"))
            .unwrap_or_default();
        let body = format!(
            "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\"><D:response>\
             <D:href>/dav/casefile/</D:href></{auth}></D:multistatus>"
        );
        Some(
            format!(
                "HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    });
    let out = add_remote(
        &env,
        &["h", "--webdav", &url, "--user", "alice"],
        "S3cr3tPW-xyz",
    );
    assert!(out.status.success(), "{}", text(&out));
    let err = env.fails(&["inbox", "--remote", "h"], 2);
    // base64 of alice:S3cr3tPW-xyz
    assert!(!err.contains("YWxpY2U6UzNjcjN0UFcteHl6"), "{err}");
    assert!(!err.contains("Basic"), "{err}");
    assert!(err.contains("could not be understood"), "{err}");
}

/// A send of 256 MiB killed outright (as a power cut would) once the server
/// holds `parts` parts: it waits, interrupted, in the vault.
fn killed_send(parts: usize) -> (Env, common::servers::Dav) {
    let (env, dav, mut child) = sending_big();
    wait_for_parts(&dav, parts);
    child.kill().unwrap();
    child.wait().unwrap();
    (env, dav)
}

#[test]
fn i17_14_a_send_under_way_is_never_taken_for_an_interrupted_one() {
    // A second process saw a send still running as interrupted: its
    // `send --resume` deleted the index the running send had just written
    // (the running one said "delivered", and nothing was ever received).
    let (env, dav, child) = sending_big();
    wait_for_parts(&dav, 2);
    // The server goes away: the send waits it out, under way, for minutes.
    dav.stop();
    let err = env.fails(&["send", "--resume"], 2);
    assert!(
        err.contains("another send from this vault is under way"),
        "{err}"
    );
    let err = env.fails(&["send", "--abandon"], 2);
    assert!(
        err.contains("another send from this vault is under way"),
        "{err}"
    );
    dav.restart();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        held_by(&dav).iter().any(|f| f.ends_with("index.json")),
        "the delivery lost its index: {:?}",
        held_by(&dav)
    );
}

#[test]
fn i17_15_ctrl_c_during_a_resume_deletes_every_part_of_the_send() {
    // Ctrl-C during a resume deleted only the parts the resume had made,
    // not those kept from before, and the vault forgot the rest.
    let (env, dav) = killed_send(6);
    let child = env
        .cmd(&["send", "--resume"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let before = held_by(&dav).len();
    wait_for_parts(&dav, before + 2);
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let left: Vec<String> = held_by(&dav)
        .into_iter()
        .filter(|f| f.contains("part-"))
        .collect();
    assert!(left.is_empty(), "left on the server: {left:?}");
    assert!(
        env.ok(&["send", "--resume"])
            .contains("no interrupted send")
    );
}

#[test]
fn i17_21_a_send_killed_once_its_second_part_is_on_the_server_kept_the_first() {
    // A part the server confirmed was noted in the vault only when the next
    // part was handed to the writer, so a send killed while that part was
    // being made had noted none, and its resume sent every part again (the
    // desktop's end-to-end test saw "0 parts were already there" on CI).
    let (env, _dav) = killed_send(2);
    let resumed = env.json(&["send", "--resume"]);
    let kept = resumed[0]["kept"].as_u64().unwrap_or(0);
    assert!(kept >= 1, "the first part was sent again: {resumed}");
}

#[test]
fn i17_16_abandoning_while_the_server_is_down_keeps_the_send() {
    // `send --abandon` against a server that was down said it abandoned the
    // send (exit 0) and forgot it: its parts stayed for good.
    let (env, dav) = killed_send(2);
    dav.stop();
    let err = env.fails(&["send", "--abandon"], 4);
    assert!(err.contains("office"), "{err}");
    dav.restart();
    let out = env.ok(&["send", "--abandon"]);
    assert!(out.contains("abandoned delivery"), "{out}");
    assert!(
        held_by(&dav).iter().all(|f| !f.contains("part-")),
        "{:?}",
        held_by(&dav)
    );
}

#[test]
fn i17_17_a_remote_with_an_interrupted_send_is_not_removed() {
    // Removing the remote and adding another of the same name sent the
    // rest of the bundle to the new server; the parts on the old one could
    // no longer be deleted.
    let (env, dav) = killed_send(2);
    let err = env.fails(&["remote", "remove", "office"], 2);
    assert!(err.contains("interrupted send"), "{err}");
    env.ok(&["send", "--abandon"]);
    env.ok(&["remote", "remove", "office"]);
    drop(dav);
}

#[test]
fn i17_18_parts_added_after_the_end_of_a_delivery_are_refused() {
    // A server could add a part of its own (anyone with the recipient's
    // public key can make an age file) and rewrite the index: the import
    // ignored what followed the archive's end, so the receipt named other
    // bytes than were sent.
    let (_sender, recipient, dav, identity, delivery) = delivered_once();
    let dir = dav.root.join(format!("casefile/{delivery}"));
    let recipient_key = {
        let out = Command::new("age-keygen")
            .arg("-y")
            .arg(&identity)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let extra = dir.join("extra.age");
    let made = Command::new("sh")
        .args([
            "-c",
            &format!(
                "head -c 4096 /dev/urandom | age -r {recipient_key} > {}",
                extra.display()
            ),
        ])
        .status()
        .unwrap();
    assert!(made.success());
    let parts = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("part-"))
        .count();
    std::fs::rename(&extra, dir.join(format!("part-{:06}", parts + 1))).unwrap();
    common::rewrite_index(&dir);
    let _ = Command::new("chown")
        .args(["-R", "--reference"])
        .arg(&dav.root)
        .arg(&dir)
        .status();
    let before = recipient.json(&["list"]).as_array().unwrap().len();
    let err = recipient.fails(
        &[
            "inbox",
            "--remote",
            "office",
            "--import",
            "--identity",
            identity.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("more after the end"), "{err}");
    assert_eq!(recipient.json(&["list"]).as_array().unwrap().len(), before);
    // The sender is told it did not arrive as sent.
    let receipt: Value =
        serde_json::from_slice(&std::fs::read(dir.join("receipt.json")).unwrap()).unwrap();
    assert_eq!(receipt["verified"], false, "{receipt}");
}

#[test]
fn i17_19_one_interrupted_send_is_abandoned_without_the_others() {
    // `send --abandon` could not name a send: the advice given for one that
    // could not be resumed abandoned every other interrupted send too.
    let (env, dav) = killed_send(2);
    let first: Vec<String> = held_by(&dav);
    let case = env.json(&["case", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = env.path("second-identity.txt");
    assert!(
        Command::new("age-keygen")
            .arg("-o")
            .arg(&second)
            .output()
            .unwrap()
            .status
            .success()
    );
    let out = Command::new("age-keygen")
        .arg("-y")
        .arg(&second)
        .output()
        .unwrap();
    let age = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let mut child = env
        .cmd(&["send", "--case", &case, "--remote", "office", "--to", &age])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_parts(&dav, first.len() + 2);
    child.kill().unwrap();
    child.wait().unwrap();
    let folder = |f: &String| f.split('/').nth(1).unwrap_or_default().to_string();
    let old = folder(&first[0]);
    let pending = env.json(&["send", "--abandon", "--delivery", &old]);
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["delivery"], old.as_str());
    let left = held_by(&dav);
    assert!(left.iter().all(|f| folder(f) != old), "{left:?}");
    assert!(!left.is_empty(), "the other send lost its parts");
    let resumed = env.json(&["send", "--resume"]);
    assert_eq!(resumed.as_array().unwrap().len(), 1, "{resumed}");
    assert!(held_by(&dav).iter().any(|f| f.ends_with("index.json")));
}

// #17 (found while testing): a 128 MiB random binary item was refused for
// export because its "content names W1": the withheld witness's three-letter
// pseudonym turns up by chance, as a whole word, dozens of times in that many
// random bytes. Here it is planted as a whole word a thousand times in
// random bytes (a compressed archive, an encrypted container); the export
// goes ahead. The same name in a statement kept among random bytes still
// stops it.
#[test]
fn i17_20_random_bytes_do_not_name_a_withheld_witness_by_chance() {
    let a = ali_case();
    let noise = a.env.path("noise");
    common::write_data(&noise, 4 << 20, 20);
    let mut random = std::fs::read(&noise).unwrap();
    for at in (0..random.len() - 5).step_by(4099) {
        random[at..at + 5].copy_from_slice(b"\x00Ali\x00");
    }
    let id = add_to_ali_case(&a, "archive.7z", &random);
    let out = a.env.path("out-random");
    a.env.ok(&[
        "export",
        "--case",
        &a.case,
        "--out",
        out.to_str().unwrap(),
        "--for",
        "eu-global-human-rights",
        "--items",
        &id,
    ]);
    assert!(out.join("manifest-sha256.txt").exists());

    let mut kept = random[..1 << 20].to_vec();
    kept.extend_from_slice(&b"Statement taken on the 2nd of May: Ali saw it. ".repeat(30));
    kept.extend_from_slice(&random[1 << 20..]);
    let id = add_to_ali_case(&a, "container.bin", &kept);
    let err = eu_export_stops(&a, "out-kept", &id);
    assert!(
        err.contains("the content of item") && err.contains("W1"),
        "{err}"
    );
}

/// Adds a file and returns what `show --json` says of its media.
fn media_of(env: &Env, path: &Path) -> Value {
    let added = env.ok(&["add", path.to_str().unwrap()]);
    let id = added.split_whitespace().nth(1).unwrap().to_string();
    env.json(&["show", &id])["media"].clone()
}

// #18 review: GPS written as signed rationals got the sign twice. Negative
// degrees with S/W references came out north-east (9.5, 20), and negative
// degrees with N/E references south-west; exiftool puts the hemisphere the
// letter names. A reference that is neither letter passed silently.
#[test]
fn i18_1_signed_gps_rationals_land_in_the_hemisphere_their_letter_names() {
    use common::exif::{V, jpeg_with, tiff};
    let env = Env::init();
    let gps = |lat_ref: &'static str, lon_ref: &'static str| {
        vec![
            (0x0001, V::Ascii(lat_ref)),
            (0x0002, V::SRational(vec![(-10, 1), (30, 1), (0, 1)])),
            (0x0003, V::Ascii(lon_ref)),
            (0x0004, V::SRational(vec![(-20, 1), (0, 1), (0, 1)])),
        ]
    };
    let ifd0 = || vec![(0x010F, V::Ascii("Canon")), (0x8825, V::Dir(2))];
    for (name, lat_ref, lon_ref, lat, lon) in [
        ("sw.jpg", "S", "W", -9.5, -20.0),
        ("ne.jpg", "N", "E", 9.5, 20.0),
    ] {
        let photo = jpeg_with(&env, name, &tiff([ifd0(), vec![], gps(lat_ref, lon_ref)]));
        let media = media_of(&env, &photo);
        assert_eq!(media["position"]["latitude"], lat, "{name}: {media}");
        assert_eq!(media["position"]["longitude"], lon, "{name}: {media}");
    }
    let photo = jpeg_with(&env, "xq.jpg", &tiff([ifd0(), vec![], gps("X", "Q")]));
    let media = media_of(&env, &photo);
    let note = media["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("reference \"X\" is neither N nor S")
            && note.contains("reference \"Q\" is neither E nor W"),
        "{media}"
    );
}

// #18 review: an OffsetTimeOriginal of "+99:99" gave the capture time
// "2019-05-06T07:08:09+100:39", an impossible offset, with no note. GPS
// minutes of 75 were accepted too.
#[test]
fn i18_2_impossible_offsets_and_minutes_are_left_out_with_a_note() {
    use common::exif::{V, jpeg_with, tiff};
    let env = Env::init();
    let photo = jpeg_with(
        &env,
        "offset.jpg",
        &tiff([
            vec![
                (0x010F, V::Ascii("Canon")),
                (0x8769, V::Dir(1)),
                (0x8825, V::Dir(2)),
            ],
            vec![
                (0x9003, V::Ascii("2019:05:06 07:08:09")),
                (0x9011, V::Ascii("+99:99")),
            ],
            vec![
                (0x0001, V::Ascii("N")),
                (0x0002, V::Rational(vec![(10, 1), (75, 1), (0, 1)])),
                (0x0003, V::Ascii("E")),
                (0x0004, V::Rational(vec![(20, 1), (0, 1), (0, 1)])),
            ],
        ]),
    );
    let media = media_of(&env, &photo);
    assert_eq!(media["captured_at"], "2019-05-06T07:08:09", "{media}");
    assert!(media.get("position").is_none(), "{media}");
    let note = media["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("OffsetTimeOriginal \"+99:99\" is not a time zone offset")
            && note.contains("75 minutes or seconds"),
        "{note}"
    );
}

// #18 review: an MP3 cut to its first 8,000 bytes (of 48,900) still showed
// the full 3 s its Xing header promised, with no note.
#[test]
fn i18_3_a_cut_off_recording_shows_what_it_holds_and_says_so() {
    common::require_tool("ffmpeg");
    let env = Env::init();
    let full = env.path("a.mp3");
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=3",
            "-ac",
            "2",
        ])
        .arg(&full)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&full).unwrap();
    let torn = env.path("torn.mp3");
    std::fs::write(&torn, &bytes[..8000]).unwrap();
    let media = media_of(&env, &torn);
    let duration = media["duration"].as_f64().unwrap();
    assert!(duration < 1.0, "{media}");
    let note = media["note"].as_str().unwrap_or_default();
    assert!(note.contains("it may be cut off"), "{media}");
}

// #18 review: three damaged EXIF blocks got a note that named no part: the
// first directory's link to the next one looping to itself, an Exif
// directory's interoperability pointer looping back, and a GPS pointer of
// count 2 (reported as "runs past the end of the metadata").
#[test]
fn i18_4_every_broken_directory_is_named() {
    use common::exif::{V, jpeg_with, tiff};
    let env = Env::init();
    let ifd0 = || {
        vec![
            (0x010F, V::Ascii("Canon")),
            (0x8769, V::Dir(1)),
            (0x8825, V::Dir(2)),
        ]
    };
    let exif = || vec![(0x9003, V::Ascii("2019:05:06 07:08:09"))];
    let gps = || vec![(0x0001, V::Ascii("N"))];
    let mut next_loop = tiff([ifd0(), exif(), gps()]);
    let link = 8 + 2 + 12 * 3;
    next_loop[link..link + 4].copy_from_slice(&8u32.to_le_bytes());
    let mut interop = exif();
    interop.push((0xA005, V::Dir(1)));
    let mut counted = ifd0();
    counted[2] = (0x8825, V::Raw(4, 2, 0));
    for (name, bytes, says) in [
        (
            "next.jpg",
            next_loop,
            "the thumbnail directory (IFD1), whose pointer leads back",
        ),
        (
            "interop.jpg",
            tiff([ifd0(), interop, gps()]),
            "the interoperability directory, whose pointer leads back",
        ),
        (
            "count.jpg",
            tiff([counted, exif(), gps()]),
            "the GPS directory (position), whose pointer has the wrong count",
        ),
    ] {
        let photo = jpeg_with(&env, name, &bytes);
        let media = media_of(&env, &photo);
        assert_eq!(media["make"], "Canon", "{name}: {media}");
        let note = media["note"].as_str().unwrap_or_default();
        assert!(note.contains(says), "{name}: {note}");
    }
}

/// The demo case's id, in a new vault.
fn demo_case(env: &Env) -> String {
    env.json(&["demo"])["id"].as_str().unwrap().to_string()
}

// #19 review: `export --redacted` of a case whose photo had no redacted copy
// sent the original, unredacted, with exit 0 and no word.
#[test]
fn i19_1_redacted_export_names_what_had_no_redacted_copy() {
    let env = Env::init();
    let case = demo_case(&env);
    let out = env.path("x7");
    let run = env.run(&[
        "export",
        "--case",
        &case,
        "--out",
        out.to_str().unwrap(),
        "--redacted",
    ]);
    assert!(run.status.success());
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(err.contains("warning: no redacted copy exists of"), "{err}");
    let done = env.json(&[
        "export",
        "--case",
        &case,
        "--out",
        env.path("x8").to_str().unwrap(),
        "--redacted",
    ]);
    assert!(!done["unredacted"].as_array().unwrap().is_empty(), "{done}");
}

// #19 review: `export --out fresh/` failed with "Directory not empty" and
// left an empty folder; with --zip it aimed at a hidden file "fresh/.zip";
// `--out f.tar.age --zip` wrote a plaintext zip named f.tar.age.zip.
#[test]
fn i19_2_bundle_destinations_mean_what_they_say() {
    let env = Env::init();
    let case = demo_case(&env);
    let slash = format!("{}/", env.path("fresh").display());
    env.ok(&["export", "--case", &case, "--out", &slash]);
    assert!(env.path("fresh/data/VERIFY.txt").exists());
    let dir = format!("{}/", env.path("z").display());
    let err = env.fails(&["export", "--case", &case, "--out", &dir, "--zip"], 2);
    assert!(err.contains("names a folder"), "{err}");
    let age = env.path("f.tar.age");
    let err = env.fails(
        &[
            "export",
            "--case",
            &case,
            "--out",
            age.to_str().unwrap(),
            "--zip",
        ],
        2,
    );
    assert!(err.contains("a zip is not encrypted"), "{err}");
    assert!(!env.path("z").exists() && !env.path("f.tar.age.zip").exists());
}

// #19 review: for a bundle named "my bundle", the how-to-open note's
// command split the name in two and failed as written.
#[test]
fn i19_3_the_opening_note_command_works_as_written_for_any_name() {
    common::require_tool("age");
    let env = Env::init();
    let case = demo_case(&env);
    let (key, recipient) = common::age_identity(&env);
    let out = env.path("my b'undle");
    env.ok(&[
        "export",
        "--case",
        &case,
        "--out",
        out.to_str().unwrap(),
        "--to",
        &recipient,
    ]);
    common::open_as_the_note_says(&env, &env.path("my b'undle.tar.age.how-to-open.txt"), &key);
    assert!(
        std::fs::read_dir(env.tmp.path()).unwrap().any(|e| e
            .unwrap()
            .path()
            .join("data/VERIFY.txt")
            .exists())
    );
}

// #19 review: an MP4 whose place has no altitude (3GPP loci writes 0) was
// shown at "0 m altitude"; exiftool's own 37.15 written as 37° 8' 60" lost
// the whole GPS position.
#[test]
fn i19_4_no_altitude_is_invented_and_a_rounded_60_is_a_position() {
    use common::exif::{V, jpeg_with, tiff};
    let env = Env::init();
    let photo = jpeg_with(
        &env,
        "sixty.jpg",
        &tiff([
            vec![(0x010F, V::Ascii("Canon")), (0x8825, V::Dir(2))],
            vec![],
            vec![
                (0x0001, V::Ascii("N")),
                (0x0002, V::Rational(vec![(36, 1), (12, 1), (0, 1)])),
                (0x0003, V::Ascii("E")),
                (0x0004, V::Rational(vec![(37, 1), (8, 1), (60, 1)])),
            ],
        ]),
    );
    let media = media_of(&env, &photo);
    assert_eq!(media["position"]["longitude"], 37.15, "{media}");
    common::require_tool("ffmpeg");
    let clip = env.path("clip.mp4");
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=10:duration=1",
        ])
        .args([
            "-c:v",
            "libx264",
            "-metadata",
            "location=+36.2000+037.1500/",
        ])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(status.success());
    let media = media_of(&env, &clip);
    assert_eq!(media["position"]["latitude"], 36.2, "{media}");
    assert!(media["position"].get("altitude").is_none(), "{media}");
}

// #19 review: the report gained each item's media facts, and a PDF's bytes
// are not read for names: a PDF whose producer and creator name the
// withheld witnesses ("Ali's scanner", "梅 notes") put both names in the
// EU report. (A photo's metadata is read and stops the export: i19_9.)
#[test]
fn i19_5_media_facts_in_the_report_name_nobody_withheld() {
    let a = ali_case();
    let bytes = common::pdf::pdf(
        1,
        "/Producer (Ali's scanner) /Creator <FEFF68850020006E006F007400650073> /Author (Fictocam)",
        &[],
    );
    let id = add_to_ali_case(&a, "scan.pdf", &bytes);
    let media = &a.env.json(&["show", &id])["media"];
    assert!(
        media["software"]
            .as_str()
            .is_some_and(|s| s.contains("Ali"))
            && media["made_with"]
                .as_str()
                .is_some_and(|s| s.contains('梅')),
        "the PDF's producer and creator are read: {media}"
    );
    let out = a.env.path("eu");
    a.env.ok(&[
        "export",
        "--case",
        &a.case,
        "--out",
        out.to_str().unwrap(),
        "--for",
        "eu-global-human-rights",
        "--items",
        &id,
    ]);
    let report = std::fs::read_to_string(out.join("data/report.html")).unwrap();
    assert!(
        report.contains(&format!("id=\"i-{id}\"")),
        "the PDF is in the report"
    );
    assert!(
        report.contains("scanner") && report.contains("notes"),
        "its other facts are"
    );
    for name in ["Ali", "梅"] {
        assert!(!report.contains(name), "the EU report names {name}");
    }
}

// #19 review: `case template ID` of a case with content printed the invented
// example under the case's id; stored, it replaced the whole case (its
// evidence links too) and the change list said only `~ evidence`. A sheet
// saved by Notepad, with a byte order mark, was refused at line 1 column 1.
#[test]
fn i19_6_the_template_of_a_case_with_content_is_that_case() {
    let env = Env::init();
    let demo = env.json(&["demo"]);
    let case = demo["id"].as_str().unwrap();
    let before = env.json(&["case", "show", case]);
    let text = env.ok(&["case", "template", case]);
    assert!(
        text.contains("K.D.") && text.contains("// one of:"),
        "{text}"
    );
    let file = env.path("sheet.jsonc");
    std::fs::write(&file, format!("\u{feff}{text}")).unwrap();
    let out = env.json(&["case", "edit", case, "--file", file.to_str().unwrap()]);
    assert_eq!(out["changed"], json!([]));
    assert_eq!(env.json(&["case", "show", case]), before);
}

/// A small text item with a recorded source.
fn text_item(env: &Env, name: &str, source: &str) -> String {
    let path = env.path(name);
    std::fs::write(&path, name).unwrap();
    add_id(env, &path, &["--source", source])
}

/// The corroboration matrix's row for I1, as `case show --matrix` prints
/// it: its status and its sources.
fn i1_row(env: &Env, case: &str) -> (String, Vec<String>) {
    let text = env.ok(&["case", "show", case, "--matrix"]);
    let mut lines = text.lines().skip_while(|l| !l.contains("I1: killing"));
    let status = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let sources = lines
        .map_while(|l| l.trim_start().strip_prefix("- ").map(String::from))
        .collect();
    (status, sources)
}

// #19 review: the matrix counted one witness twice: a testimony of W1 about
// the victim (--party V1) was counted by its recorded source, another item
// linked to W1 as W1, so two sources and "corroborated". "Register A" and
// "register a " were two sources.
#[test]
fn i19_7_one_witness_and_one_register_are_one_source_each() {
    let env = Env::init();
    let case = env.json(&["case", "new", "--title", "T", "--type", "gross-violation"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.ok(&[
        "case",
        "add-person",
        &case,
        "--pseudonym",
        "Gamma",
        "--role",
        "witness",
    ]);
    env.ok(&[
        "case",
        "add-person",
        &case,
        "--pseudonym",
        "Delta",
        "--role",
        "victim",
    ]);
    env.ok(&[
        "case",
        "add-incident",
        &case,
        "--violation",
        "killing",
        "--start",
        "2024",
        "--person",
        "V1",
    ]);
    let text = env.path("statement.txt");
    std::fs::write(&text, "I saw it.").unwrap();
    env.ok(&[
        "testimony",
        "--case",
        &case,
        "--witness",
        "W1",
        "--interviewer",
        "M",
        "--date",
        "2024",
        "--place",
        "P",
        "--language",
        "en",
        "--text",
        text.to_str().unwrap(),
        "--incident",
        "I1",
        "--party",
        "V1",
    ]);
    let photo = text_item(&env, "photo.txt", "sent by Gamma");
    env.ok(&[
        "case",
        "link",
        &case,
        "--item",
        &photo,
        "--incident",
        "I1",
        "--party",
        "W1",
    ]);
    let (status, sources) = i1_row(&env, &case);
    assert_eq!(
        (status.as_str(), sources),
        ("single-source", vec!["Gamma (W1)".to_string()])
    );
    for (name, source) in [("a.txt", "Register A"), ("b.txt", "register  a ")] {
        let id = text_item(&env, name, source);
        env.ok(&["case", "link", &case, "--item", &id, "--incident", "I1"]);
    }
    let (status, sources) = i1_row(&env, &case);
    assert_eq!(status, "corroborated");
    let matrix = env.json(&["case", "show", &case, "--matrix"]);
    assert_eq!(matrix[0]["status"], "corroborated", "{matrix}");
    assert_eq!(sources.len(), 2, "{sources:?}");
}

// #19 review: a testimony refused for its recording (--audio of a file that
// is not there) still stored the statement, once more at each retry; a
// witness given as an id the case lacks (W9, P1) became a new witness
// pseudonymed "W9" or "P1", and a person called P1 then stopped every export.
#[test]
fn i19_8_a_refused_testimony_stores_nothing_and_an_unknown_id_is_no_witness() {
    let env = Env::init();
    let case = env.json(&["case", "new", "--title", "T", "--type", "gross-violation"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.ok(&["case", "add-perpetrator", &case, "--name", "Boss"]);
    let text = env.path("statement.txt");
    std::fs::write(&text, "I saw it.").unwrap();
    let before = (env.json(&["list"]), env.json(&["case", "show", &case]));
    let missing = env.path("missing.mp3");
    for (witness, extra, says) in [
        (
            "Gamma",
            vec!["--audio", missing.to_str().unwrap()],
            "missing.mp3",
        ),
        ("W9", vec![], "no person W9"),
        ("P1", vec![], "no person P1"),
    ] {
        let mut args = vec![
            "testimony",
            "--case",
            &case,
            "--witness",
            witness,
            "--interviewer",
            "M",
            "--date",
            "2024",
            "--place",
            "P",
            "--language",
            "en",
            "--text",
            text.to_str().unwrap(),
        ];
        args.extend(extra);
        let err = env.fails(&args, 2);
        assert!(err.contains(says), "{err}");
        assert_eq!(
            (env.json(&["list"]), env.json(&["case", "show", &case])),
            before,
            "{witness}"
        );
    }
}

// #19 review: a photo's bytes were never read for names, so a withheld
// witness's pseudonym written into it (EXIF Artist, UTF-16 as EXIF's XP
// fields hold it, XMP, a JPEG comment, bytes after the end of the image) went out
// in the EU bundle while the same words in a text file were refused. Then
// (attack review) a name beside a thumbnail was skipped as random data, and
// bytes past a segment's stated length were never read.
#[test]
fn i19_9_a_photo_whose_metadata_names_a_withheld_person_is_not_sent() {
    use common::exif::{V, jpeg_with, tiff};
    let a = ali_case();
    // EXIF's XP fields are UTF-16 without a byte order mark.
    let utf16: Vec<u8> = "XPAuthor: Ali"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let plain = |name: &str| {
        let path = a.env.path(name);
        small_jpeg(&path, 40);
        std::fs::read(&path).unwrap()
    };
    let with_segment = |name: &str, marker: u8, body: &[u8]| {
        let jpeg = plain(name);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&jpeg[2..]);
        out
    };
    // Bytes that look random (a thumbnail, a colour profile) beside the name.
    let noise: Vec<u8> = (0..1500u32).map(|i| (i * 167 + 13) as u8).collect();
    let beside_noise = [&noise[..], b" taken by Ali ", &noise[..]].concat();
    let mut short = b"\xFF\xD8\xFF\xFE\x00\x02by Ali".to_vec();
    short.extend_from_slice(&plain("short-src.jpg")[2..]);
    let mut trailer = plain("trailer.jpg");
    trailer.extend_from_slice(b"PK\x03\x04 notes: Ali was there");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "artist.jpg",
            std::fs::read(jpeg_with(
                &a.env,
                "artist-src.jpg",
                &tiff([vec![(0x013B, V::Ascii("Ali"))], vec![], vec![]]),
            ))
            .unwrap(),
        ),
        ("utf16.jpg", with_segment("utf16-src.jpg", 0xE2, &utf16)),
        (
            "xmp.jpg",
            with_segment(
                "xmp-src.jpg",
                0xE1,
                b"http://ns.adobe.com/xap/1.0/\0<dc:creator>ALI</dc:creator>",
            ),
        ),
        (
            "comment.jpg",
            with_segment("com-src.jpg", 0xFE, b"taken by Ali"),
        ),
        ("trailer.jpg", trailer),
        (
            "noise.jpg",
            with_segment("noise-src.jpg", 0xFE, &beside_noise),
        ),
        ("short.jpg", short),
    ];
    for (name, bytes) in cases {
        let id = add_to_ali_case(&a, name, &bytes);
        let err = eu_export_stops(&a, &format!("eu-{name}"), &id);
        assert!(
            err.contains(&format!("metadata of photo {id}")) && err.contains("--redacted"),
            "{name}: {err}"
        );
        assert!(err.contains("W1") || err.contains("W3"), "{name}: {err}");
    }
    // A photo that names nobody goes, and so does the redacted copy of one that does.
    let clean = add_to_ali_case(&a, "clean.jpg", &plain("clean-src.jpg"));
    let named = add_to_ali_case(
        &a,
        "named.jpg",
        &with_segment("named-src.jpg", 0xFE, b"taken by Ali"),
    );
    a.env.ok(&["redact", &named, "--strip-metadata"]);
    let out = a.env.path("eu-ok");
    a.env.ok(&[
        "export",
        "--case",
        &a.case,
        "--out",
        out.to_str().unwrap(),
        "--for",
        "eu-global-human-rights",
        "--items",
        &format!("{clean},{named}"),
        "--redacted",
    ]);
}

/// Adding a file looked for others with the same SHA-256 by reading every
/// item (no index on the hash): adding 8,000 small files took 77 s, and the
/// ten-thousandth file seconds on its own. The lookup now goes through an
/// index, checked in the query plan SQLite makes for it.
#[test]
fn an_item_is_found_by_its_hash_through_an_index_not_by_reading_every_item() {
    let env = Env::init();
    let file = env.path("a.txt");
    std::fs::write(&file, "one statement").unwrap();
    env.ok(&["add", file.to_str().unwrap()]);
    let conn = raw_db(&env.vault);
    let plan: Vec<String> = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT id FROM items WHERE sha256 = ?1 AND id != ?2 ORDER BY rowid",
        )
        .unwrap()
        .query_map(["0", "x"], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join("; ");
    assert!(plan.contains("USING INDEX items_by_sha256"), "{plan}");
    assert!(!plan.contains("SCAN items"), "{plan}");
}

/// A HEIC binds libheif to nothing it declares: one whose `ispe` box says
/// 640×480 over an 8300×8300 picture was decoded whole (200 MiB of pixels,
/// past the bound; a 9 KB grid the same way took 5 GB) and got a preview.
/// Decoding now runs in a child process with its memory capped, and the
/// size decoded is checked again: the picture is kept with a note.
#[test]
fn i18_review_a_heic_that_declares_a_small_size_over_a_large_picture_is_not_decoded() {
    common::require_tool("heif-enc");
    let env = Env::init();
    let (w, h) = (8300u32, 8300u32);
    let png = env.path("big.png");
    image::RgbImage::from_pixel(w, h, image::Rgb([128, 128, 128]))
        .save(&png)
        .unwrap();
    let heic = env.path("liar.heic");
    let status = Command::new("heif-enc")
        .args(["-q", "10", "-p", "preset=ultrafast"])
        .arg(&png)
        .arg("-o")
        .arg(&heic)
        .status()
        .unwrap();
    assert!(status.success());
    let mut bytes = std::fs::read(&heic).unwrap();
    let at = bytes.windows(4).position(|b| b == b"ispe").unwrap() + 8;
    assert_eq!(
        &bytes[at..at + 8],
        [w.to_be_bytes(), h.to_be_bytes()].concat()
    );
    bytes[at..at + 8].copy_from_slice(&[640u32.to_be_bytes(), 480u32.to_be_bytes()].concat());
    std::fs::write(&heic, &bytes).unwrap();

    let out = env.ok(&["add", heic.to_str().unwrap()]);
    let id = out.split_whitespace().nth(1).unwrap().to_string();
    let shown = env.json(&["show", &id]);
    assert_eq!(shown["sha256"], common::sha256_file(&heic).as_str());
    let note = shown["media"]["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("too large to preview or redact here (8300 x 8300 pixels)"),
        "{}",
        shown["media"]
    );
    assert!(shown["media"]["width"].is_null(), "{}", shown["media"]);
    let err = env.fails(&["redact", &id, "--strip-metadata"], 2);
    assert!(err.contains("too large"), "{err}");
}

/// Redaction dropped the alpha channel of a picture: what its transparent
/// pixels held (unseen in the original) came back in the "clean" copy, for
/// a HEIC and a PNG alike. Transparent pixels are now laid on white.
#[test]
fn i18_review_what_transparent_pixels_hold_does_not_come_back_in_a_redacted_copy() {
    common::require_tool("heif-enc");
    let env = Env::init();
    // Left half: red, fully transparent (nothing a viewer shows); right: opaque grey.
    let picture = image::RgbaImage::from_fn(128, 64, |x, _| {
        if x < 64 {
            image::Rgba([255, 0, 0, 0])
        } else {
            image::Rgba([90, 90, 90, 255])
        }
    });
    let png = env.path("hidden.png");
    picture.save(&png).unwrap();
    let heic = env.path("hidden.heic");
    let status = Command::new("heif-enc")
        .args(["-q", "95"])
        .arg(&png)
        .arg("-o")
        .arg(&heic)
        .status()
        .unwrap();
    assert!(status.success());
    for file in [&png, &heic] {
        let out = env.ok(&["add", file.to_str().unwrap()]);
        let id = out.split_whitespace().nth(1).unwrap().to_string();
        let redacted = env.ok(&["redact", &id, "--strip-metadata"]);
        let copy = redacted.split_whitespace().nth(3).unwrap().to_string();
        let path = env.path(&format!(
            "{}.copy",
            file.file_name().unwrap().to_string_lossy()
        ));
        env.ok(&["extract", &copy, "--out", path.to_str().unwrap()]);
        let seen = image::load_from_memory(&std::fs::read(&path).unwrap())
            .unwrap()
            .into_rgb8();
        let hidden = seen.get_pixel(16, 32).0;
        assert!(
            hidden.iter().all(|&c| c > 235),
            "{}: the transparent half came back as {hidden:?}",
            file.display()
        );
        let opaque = seen.get_pixel(100, 32).0;
        assert!(
            opaque.iter().all(|&c| (80..=100).contains(&c)),
            "{}: {opaque:?}",
            file.display()
        );
    }
}

/// Issue 19.4: a search matching more than the 200 results it shows said
/// nothing, so "200 of 10000 items" read as if only 200 matched. The
/// command line now says more matched; --json keeps its list of hits.
#[test]
fn i19_a_search_that_matches_more_than_it_shows_says_so() {
    let env = Env::init();
    let dir = env.path("many");
    std::fs::create_dir(&dir).unwrap();
    for n in 0..205 {
        std::fs::write(dir.join(format!("zebra crossing {n}.txt")), format!("{n}")).unwrap();
    }
    env.ok(&["add", dir.to_str().unwrap()]);
    let out = env.ok(&["search", "zebra"]);
    assert!(
        out.contains("these are the best 200 matches; more matched"),
        "{out}"
    );
    let hits = env.json(&["search", "zebra"]);
    assert_eq!(hits.as_array().unwrap().len(), 200);
    // With --json too, on standard error (review of issue 19.4).
    let out = env.run(&["--json", "search", "zebra"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("more matched"), "{err}");
    let out = env.ok(&["search", "zebra crossing 204"]);
    assert!(!out.contains("more matched"), "{out}");
}

/// Typesets `blocks` with the system's fonts and gives the PDF's path.
fn typeset_to(dir: &Path, blocks: &[casefile::typeset::Block], title: &str) -> PathBuf {
    let fonts = casefile::typeset::Fonts::system().unwrap();
    let info = casefile::typeset::Info {
        title,
        footer: title,
        created: "2026-12-04T12:00:00Z",
    };
    let pdf = casefile::typeset::pdf(&fonts, blocks, &info).unwrap();
    let path = dir.join("typeset.pdf");
    std::fs::write(&path, pdf).unwrap();
    path
}

/// The words pdftotext finds in a PDF, with their boxes: (page, x min, y
/// min, x max, word).
fn pdf_words(pdf: &Path) -> Vec<(usize, f32, f32, f32, String)> {
    let out = Command::new("pdftotext")
        .args(["-bbox", pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    let attr = |tag: &str, name: &str| -> f32 {
        let at = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[at..].split('"').next().unwrap().parse().unwrap()
    };
    let mut page = 0;
    let mut words = Vec::new();
    for piece in html.split('<').skip(1) {
        if piece.starts_with("page ") {
            page += 1;
        } else if let Some(tag) = piece.strip_prefix("word ") {
            let (attrs, word) = tag.split_once('>').unwrap();
            words.push((
                page,
                attr(attrs, "xMin"),
                attr(attrs, "yMin"),
                attr(attrs, "xMax"),
                word.to_string(),
            ));
        }
    }
    words
}

/// Review of issue 19.3: a long word without spaces (a paste with no
/// spaces, or Chinese or Arabic with none) was typeset in time quadratic in
/// its length: each glyph's text was found by a linear search of the
/// clusters, and each shaping built HarfBuzz's plan anew (100,000 letters
/// took 11 s, a mebibyte more than five minutes). Every letter must reach
/// the page, in a time this test's run shows.
#[test]
fn i19_review_a_long_word_without_spaces_is_typeset_in_one_pass() {
    use casefile::typeset::Block;
    let dir = tempfile::tempdir().unwrap();
    let latin = "q".repeat(120_000);
    let chinese = "警".repeat(20_000);
    let arabic = "ب".repeat(20_000);
    let blocks = [
        Block::Paragraph {
            text: latin,
            grey: false,
        },
        Block::Paragraph {
            text: chinese,
            grey: false,
        },
        Block::Paragraph {
            text: arabic,
            grey: false,
        },
    ];
    let started = Instant::now();
    let pdf = typeset_to(dir.path(), &blocks, "Long words");
    eprintln!("typeset in {:?}", started.elapsed());
    let text = Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert_eq!(text.matches('q').count(), 120_000);
    assert_eq!(text.matches('警').count(), 20_000);
    assert_eq!(text.matches('ب').count(), 20_000);
}

/// Review of issue 19.3: a paragraph's direction was taken line by line,
/// so an Arabic paragraph quoting English words had each line that began
/// with an English word set flush left and ordered left to right. Every
/// line of a right-to-left paragraph is now set flush right.
#[test]
fn i19_review_every_line_of_a_right_to_left_paragraph_is_set_flush_right() {
    use casefile::typeset::Block;
    let dir = tempfile::tempdir().unwrap();
    let text = format!("قال الشاهد {}", "Ministry ".repeat(120));
    let pdf = typeset_to(
        dir.path(),
        &[Block::Paragraph { text, grey: false }],
        "Direction",
    );
    let words = pdf_words(&pdf);
    let mut lines: std::collections::BTreeMap<i32, f32> = Default::default();
    // The footer, at 800, is set left to right.
    for (_, _, y, x_max, _) in words.iter().filter(|w| w.2 < 780.0) {
        let right = lines.entry(y.round() as i32).or_insert(0.0);
        *right = right.max(*x_max);
    }
    assert!(lines.len() >= 3, "{lines:?}");
    for (y, right) in &lines {
        assert!(
            *right > 530.0,
            "the line at {y} ends at {right}, not at the right margin (539): {lines:?}"
        );
    }
}

/// Review of issue 19.3: the footer was not wrapped or cut, so a case with
/// a long title pushed "page N of M" off the page. The title is cut short
/// with an ellipsis and the page number stays inside the margin.
#[test]
fn i19_review_a_long_title_leaves_the_page_number_on_the_page() {
    use casefile::typeset::Block;
    let dir = tempfile::tempdir().unwrap();
    let title =
        "Arbitrary detention of the members of the Independent Lawyers' Association ".repeat(6);
    let pdf = typeset_to(
        dir.path(),
        &[Block::Paragraph {
            text: "Text.".into(),
            grey: false,
        }],
        &title,
    );
    let words = pdf_words(&pdf);
    let last = words.iter().rev().take(4).collect::<Vec<_>>();
    let tail: Vec<&str> = last.iter().rev().map(|w| w.4.as_str()).collect();
    assert_eq!(tail, ["page", "1", "of", "1"], "{words:?}");
    for w in last {
        assert!(w.3 <= 595.28 - 56.0 + 0.5, "{w:?} runs past the margin");
    }
    assert!(words.iter().any(|w| w.4.ends_with('…')), "{words:?}");
}

/// Review of issue 19: a case sheet over the 16 MiB limit was cut at the
/// limit and parsed, so the user read "EOF while parsing … column
/// 16777217" instead of what was wrong. The size is now said first.
#[test]
fn i19_review_a_sheet_over_the_limit_is_refused_for_its_size() {
    let env = Env::init();
    let case = env.json(&["case", "new", "--title", "T", "--type", "gross-violation"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sheet = env.path("big.json");
    let filler = "a".repeat(17 * 1024 * 1024);
    std::fs::write(&sheet, format!("{{\"title\": \"{filler}\"}}")).unwrap();
    let err = env.fails(
        &["case", "edit", &case, "--file", sheet.to_str().unwrap()],
        2,
    );
    assert!(
        err.contains("the case sheet is larger than the 16 MiB it may be"),
        "{err}"
    );
    assert!(!err.contains("EOF"), "{err}");
    assert_eq!(
        env.json(&["case", "show", &case])["title"].as_str(),
        Some("T")
    );
}

/// Review of issue 18.2: the first 12 bytes of a HEIC (a phone photo cut
/// short in transfer) and an empty file were both stored as text/plain,
/// because NUL bytes are valid UTF-8; the desktop then offered them as
/// text. A sample holding NUL is binary, and an empty file is said to be
/// empty, as `file --mime-type` says.
#[test]
fn i18_review_a_truncated_photo_and_an_empty_file_are_not_text() {
    let env = Env::init();
    let heic = env.path("IMG_0001.HEIC");
    std::fs::write(&heic, b"\0\0\0\x18ftyphe").unwrap();
    let empty = env.path("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let note = env.path("note.txt");
    std::fs::write(&note, "seen at the checkpoint\r\n").unwrap();
    for (path, expected) in [
        (&heic, "application/octet-stream"),
        (&empty, "inode/x-empty"),
        (&note, "text/plain"),
    ] {
        let added = env.json(&["add", path.to_str().unwrap()]);
        assert_eq!(added[0]["mime"], expected, "{}: {added}", path.display());
        // file(1) agrees, but for the cut photo, which it calls
        // application/octet-stream or image/heic by its version.
        if expected != "application/octet-stream" {
            let out = Command::new("file")
                .args(["--brief", "--mime-type"])
                .arg(path)
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stdout);
            assert_eq!(said.trim(), expected, "file(1) on {}", path.display());
        }
    }
}
