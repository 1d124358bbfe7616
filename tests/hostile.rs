//! Property tests: random and mutated key-slot files, case sheets, bundles,
//! manifests, blobs and pictures fed to the parsers. Each must answer with a
//! value or an error: no panic, no hang, memory within the parsers' bounds.

mod common;

use std::io::Read;
use std::path::Path;

use casefile::bundle::{Limits, Source, verify};
use casefile::store::keyslots::{KeySlots, SlotKind};
use casefile::{Task, media};
use common::{Env, PASS};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Byte edits: (position as a fraction of the length, new byte), and an
/// optional cut, as a fraction of the length.
fn edits() -> impl Strategy<Value = (Vec<(f64, u8)>, Option<f64>)> {
    (
        prop::collection::vec((0.0..1.0f64, any::<u8>()), 1..8),
        prop::option::of(0.0..1.0f64),
    )
}

fn mutate(original: &[u8], (edits, cut): &(Vec<(f64, u8)>, Option<f64>)) -> Vec<u8> {
    let mut b = original.to_vec();
    for (at, byte) in edits {
        if !b.is_empty() {
            let i = ((b.len() as f64) * at) as usize % b.len();
            b[i] = *byte;
        }
    }
    if let Some(c) = cut {
        b.truncate(((b.len() as f64) * c) as usize);
    }
    b
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn key_slot_files() {
    let env = Env::init();
    let valid = std::fs::read(env.vault.join("keyslots.json")).unwrap();
    let path = env.path("slots.json");
    runner(48)
        .run(&edits(), |e| {
            std::fs::write(&path, mutate(&valid, &e)).unwrap();
            // Loading and unlocking must end in a value or an error.
            if let Ok(slots) = KeySlots::load(&path) {
                let _ = slots.unlock(SlotKind::Passphrase, PASS.as_bytes());
            }
            Ok(())
        })
        .unwrap();
    runner(64)
        .run(&prop::collection::vec(any::<u8>(), 0..2048), |bytes| {
            std::fs::write(&path, &bytes).unwrap();
            prop_assert!(KeySlots::load(&path).is_err());
            Ok(())
        })
        .unwrap();
}

#[test]
fn case_sheets() {
    let env = Env::init();
    let sheet = serde_json::to_string(&env.json(&["demo"])).unwrap();
    runner(256)
        .run(&edits(), |e| {
            let text = String::from_utf8_lossy(&mutate(sheet.as_bytes(), &e)).into_owned();
            let _ = casefile::case::parse_sheet(&text);
            Ok(())
        })
        .unwrap();
    runner(128)
        .run(&".{0,400}", |text| {
            prop_assert!(casefile::case::parse_sheet(&text).is_err());
            Ok(())
        })
        .unwrap();
}

fn exported_bundle(env: &Env) -> std::path::PathBuf {
    let sheet = env.json(&["demo"]);
    let id = sheet["id"].as_str().unwrap();
    let out = env.path("demo.zip");
    env.ok(&[
        "export",
        "--case",
        id,
        "--out",
        out.to_str().unwrap(),
        "--zip",
    ]);
    out
}

fn check(path: &Path) {
    if let Ok(source) = Source::open(path, None) {
        let _ = verify(
            &source,
            &Limits::default(),
            &Default::default(),
            &Task::none(),
        );
    }
}

#[test]
fn bundles_and_manifests() {
    let env = Env::init();
    let zip = exported_bundle(&env);
    let valid = std::fs::read(&zip).unwrap();
    let path = env.path("mutated.zip");
    runner(48)
        .run(&edits(), |e| {
            // Whatever was changed, opening and verifying end in a verdict or an error.
            std::fs::write(&path, mutate(&valid, &e)).unwrap();
            check(&path);
            Ok(())
        })
        .unwrap();

    // A folder bag whose manifest lines are arbitrary text, hostile paths included.
    let folder = env.path("bag");
    let sheet = env.json(&["case", "list"]);
    let id = sheet[0]["id"].as_str().unwrap();
    env.ok(&["export", "--case", id, "--out", folder.to_str().unwrap()]);
    let line = prop_oneof![
        "[0-9a-f]{64} [ -~]{0,40}",
        Just(format!("{} ../../etc/passwd", "0".repeat(64))),
        Just(format!("{} /etc/passwd", "0".repeat(64))),
        Just(format!("{} data/%2e%2e/x", "0".repeat(64))),
        ".{0,80}",
    ];
    let manifest = folder.join("manifest-sha256.txt");
    let original = std::fs::read(&manifest).unwrap();
    runner(64)
        .run(&prop::collection::vec(line, 0..6), |lines| {
            std::fs::write(&manifest, lines.join("\n")).unwrap();
            let source = Source::open(&folder, None).unwrap();
            if let Ok(v) = verify(
                &source,
                &Limits::default(),
                &Default::default(),
                &Task::none(),
            ) {
                prop_assert!(!v.ok, "a rewritten manifest never verifies");
            }
            Ok(())
        })
        .unwrap();
    std::fs::write(&manifest, original).unwrap();
    check(&folder);
}

#[test]
fn blobs() {
    let key = [7u8; 32];
    let mut w = casefile::crypto::stream::EncryptWriter::new(&key, Vec::new()).unwrap();
    std::io::Write::write_all(&mut w, &vec![3u8; 200_000]).unwrap();
    let valid = w.finish().unwrap();
    runner(128)
        .run(&edits(), |e| {
            let bytes = mutate(&valid, &e);
            let mut out = Vec::new();
            let result = casefile::crypto::stream::DecryptReader::new(&key, &bytes[..])
                .and_then(|mut r| r.read_to_end(&mut out));
            if bytes != valid {
                prop_assert!(result.is_err() || out == vec![3u8; 200_000]);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn pictures_and_recordings() {
    let mut jpeg = Vec::new();
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    img.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let samples: [(&str, &[u8]); 2] = [("image/jpeg", &jpeg), ("image/png", &png)];
    runner(96)
        .run(&(0..2usize, edits()), |(which, e)| {
            let (mime, valid) = samples[which];
            let bytes = mutate(valid, &e);
            let _ = media::analyze_bytes(mime, &bytes);
            let redaction = media::Redaction {
                boxes: vec![media::Region {
                    x: 1,
                    y: 1,
                    w: 10,
                    h: 10,
                }],
                blurs: vec![media::Region {
                    x: 20,
                    y: 5,
                    w: 30,
                    h: 30,
                }],
            };
            let _ = redaction.apply(&bytes);
            Ok(())
        })
        .unwrap();
    let mimes = [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/tiff",
        "application/pdf",
        "audio/x-wav",
        "video/mp4",
    ];
    runner(128)
        .run(
            &(0..mimes.len(), prop::collection::vec(any::<u8>(), 0..4096)),
            |(m, bytes)| {
                let _ = media::analyze_bytes(mimes[m], &bytes);
                Ok(())
            },
        )
        .unwrap();
}
