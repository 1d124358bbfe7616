//! Damaged and unusual EXIF, as phones and editors write it: each photo is
//! built here byte by byte, added through the real `casefile` binary, and
//! what `show` reports is compared with what exiftool reads from the same
//! file. Salvage what can be read, say what could not, never invent.

mod common;

use std::path::Path;

use common::exif::{V, jpeg_with, tiff};
use common::{Env, require_tool};
use serde_json::Value;

/// What exiftool reads: maker, capture and modify times, signed position.
fn exiftool(path: &Path) -> Value {
    let out = std::process::Command::new("exiftool")
        .args([
            "-j",
            "-n",
            "-Make",
            "-Model",
            "-DateTimeOriginal",
            "-ModifyDate",
            "-GPSDateTime",
            "-Composite:GPSLatitude",
            "-Composite:GPSLongitude",
        ])
        .arg(path)
        .output()
        .expect("run exiftool");
    let all: Value = serde_json::from_slice(&out.stdout).expect("exiftool JSON");
    all[0].clone()
}

/// An ordinary phone photo's tags, with `change` applied to them.
fn photo(change: impl FnOnce(&mut [Vec<(u16, V)>; 3])) -> Vec<u8> {
    let mut dirs = [
        vec![
            (0x010F, V::Ascii("Nokia")),
            (0x0110, V::Ascii("Lumia 1020")),
            (0x0132, V::Ascii("2024:05:03 09:00:00")),
            (0x8769, V::Dir(1)),
            (0x8825, V::Dir(2)),
        ],
        vec![(0x9003, V::Ascii("2024:05:01 14:03:22"))],
        vec![
            (0x0001, V::Ascii("N")),
            (0x0002, V::Rational(vec![(33, 1), (30, 1), (3600, 100)])),
            (0x0003, V::Ascii("E")),
            (0x0004, V::Rational(vec![(36, 1), (16, 1), (3540, 100)])),
        ],
    ];
    change(&mut dirs);
    tiff(dirs)
}

fn set(dir: &mut Vec<(u16, V)>, tag: u16, v: V) {
    match dir.iter_mut().find(|(t, _)| *t == tag) {
        Some(e) => e.1 = v,
        None => dir.push((tag, v)),
    }
}

/// Adds the photo and returns what `show --json` says of its media.
fn casefile_says(env: &Env, path: &Path) -> Value {
    let added = env.ok(&["add", path.to_str().unwrap()]);
    let id = added.split_whitespace().nth(1).unwrap().to_string();
    env.json(&["show", &id])["media"].clone()
}

/// Where [`photo`] puts the Exif directory: after the first one's five entries.
const EXIF_AT: u32 = 8 + 2 + 12 * 5 + 4;

const LAT: f64 = 33.0 + 30.0 / 60.0 + 36.0 / 3600.0;
const LON: f64 = 36.0 + 16.0 / 60.0 + 35.4 / 3600.0;

/// Prints the comparison as a row of the table the closing note gives.
fn row(case: &str, reference: &Value, ours: &Value) {
    let pick = |v: &Value, keys: &[&str]| {
        keys.iter()
            .filter_map(|k| v.get(*k).map(|x| format!("{k}={x}")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    eprintln!(
        "| {case} | {} | {} |",
        pick(
            reference,
            &[
                "Make",
                "DateTimeOriginal",
                "ModifyDate",
                "GPSLatitude",
                "GPSLongitude"
            ]
        ),
        pick(
            ours,
            &["make", "captured_at", "modified_at", "position", "note"]
        )
    );
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-6)
}

#[test]
fn signed_rational_gps_and_time_are_read_as_exiftool_reads_them() {
    require_tool("exiftool");
    let env = Env::init();
    // A Nokia phone writes the GPS directory in signed rationals; south and
    // west come from the reference letters as usual.
    let path = jpeg_with(
        &env,
        "srational.jpg",
        &photo(|d| {
            set(&mut d[2], 0x0001, V::Ascii("S"));
            set(
                &mut d[2],
                0x0002,
                V::SRational(vec![(33, 1), (30, 1), (3600, 100)]),
            );
            set(&mut d[2], 0x0003, V::Ascii("W"));
            set(
                &mut d[2],
                0x0004,
                V::SRational(vec![(36, 1), (16, 1), (3540, 100)]),
            );
            set(&mut d[2], 0x0006, V::SRational(vec![(-4130, 10)]));
            set(
                &mut d[2],
                0x0007,
                V::SRational(vec![(6, 1), (5, 1), (0, 1)]),
            );
            set(&mut d[2], 0x001D, V::Ascii("2024:05:01"));
        }),
    );
    let reference = exiftool(&path);
    let ours = casefile_says(&env, &path);
    row("GPS as signed rationals", &reference, &ours);
    assert!(close(&reference["GPSLatitude"], -LAT), "{reference}");
    assert!(close(&ours["position"]["latitude"], -LAT), "{ours}");
    assert!(close(&ours["position"]["longitude"], -LON), "{ours}");
    assert_eq!(ours["position"]["altitude"], -413.0, "{ours}");
    assert_eq!(reference["GPSDateTime"], "2024:05:01 06:05:00Z");
    assert_eq!(ours["gps_time"], "2024-05-01T06:05:00Z");
    assert_eq!(ours["captured_at"], "2024-05-01T14:03:22");
    assert!(ours.get("note").is_none(), "nothing was wrong: {ours}");
}

#[test]
fn one_bad_pointer_costs_only_its_own_tags_and_is_named() {
    require_tool("exiftool");
    let env = Env::init();
    type Damage = fn(&mut [Vec<(u16, V)>; 3]);
    // (case, damage, exiftool reads the capture time, Casefile does, the
    // position is read, the note says)
    let cases: [(&str, Damage, bool, bool, bool, &str); 6] = [
        (
            "empty GPSInfo pointer",
            |d| set(&mut d[0], 0x8825, V::Raw(4, 1, 0)),
            true,
            true,
            false,
            "the GPS directory (position), whose pointer is empty, could not be read",
        ),
        (
            "GPSInfo pointer out of range",
            |d| set(&mut d[0], 0x8825, V::Raw(4, 1, 0x00FF_FFF0)),
            true,
            true,
            false,
            "the GPS directory (position), whose pointer leads outside the metadata, could not be read",
        ),
        (
            "ExifOffset pointing at its own directory",
            |d| set(&mut d[0], 0x8769, V::Raw(4, 1, 8)),
            false,
            false,
            true,
            "the Exif directory (capture time, exposure), whose pointer leads back to a directory already read, could not be read",
        ),
        (
            // TIFF's own IFD type, which exiftool follows.
            "ExifOffset of type IFD",
            |d| set(&mut d[0], 0x8769, V::Raw(13, 1, EXIF_AT)),
            true,
            true,
            true,
            "the Exif directory (capture time, exposure), whose pointer has the wrong type, was read all the same",
        ),
        (
            // exiftool gives up on this one; the directory is whole, so
            // Casefile reads it and says so.
            "ExifOffset of type UNDEFINED",
            |d| set(&mut d[0], 0x8769, V::Raw(7, 4, EXIF_AT)),
            false,
            true,
            true,
            "the Exif directory (capture time, exposure), whose pointer has the wrong type, was read all the same",
        ),
        (
            "Model with an oversized count",
            |d| set(&mut d[0], 0x0110, V::Raw(2, 0x0800_0000, 200)),
            true,
            true,
            true,
            "the value of Model could not be read",
        ),
    ];
    for (case, damage, reference_capture, capture_kept, position_kept, says) in cases {
        let path = jpeg_with(
            &env,
            &format!("{}.jpg", case.replace(' ', "-")),
            &photo(damage),
        );
        let reference = exiftool(&path);
        let ours = casefile_says(&env, &path);
        row(case, &reference, &ours);
        assert_eq!(reference["Make"], "Nokia", "{case}: {reference}");
        assert_eq!(ours["make"], "Nokia", "{case}: salvaged: {ours}");
        assert_eq!(ours["modified_at"], "2024-05-03T09:00:00", "{case}: {ours}");
        assert_eq!(
            reference.get("DateTimeOriginal").is_some(),
            reference_capture,
            "{case}: {reference}"
        );
        if capture_kept {
            assert_eq!(ours["captured_at"], "2024-05-01T14:03:22", "{case}: {ours}");
        } else {
            assert!(ours.get("captured_at").is_none(), "{case}: {ours}");
        }
        assert_eq!(
            reference.get("GPSLatitude").is_some(),
            position_kept,
            "{case}: {reference}"
        );
        if position_kept {
            assert!(close(&ours["position"]["latitude"], LAT), "{case}: {ours}");
        } else {
            assert!(ours.get("position").is_none(), "{case}: {ours}");
        }
        let note = ours["note"].as_str().unwrap_or_default();
        assert!(
            note.contains("the EXIF metadata is damaged") && note.contains(says),
            "{case}: {note}"
        );
    }
}

#[test]
fn a_save_time_is_not_a_capture_time_and_impossible_values_are_noted() {
    require_tool("exiftool");
    let env = Env::init();
    // An editor's save time, and no DateTimeOriginal.
    let path = jpeg_with(
        &env,
        "edited.jpg",
        &tiff([
            vec![
                (0x010F, V::Ascii("Canon")),
                (0x0131, V::Ascii("Photo Editor 3")),
                (0x0132, V::Ascii("2024:06:10 18:30:00")),
            ],
            vec![],
            vec![],
        ]),
    );
    let reference = exiftool(&path);
    let ours = casefile_says(&env, &path);
    row("only IFD0 DateTime (saved by an editor)", &reference, &ours);
    assert_eq!(reference["ModifyDate"], "2024:06:10 18:30:00");
    assert!(reference.get("DateTimeOriginal").is_none());
    assert!(ours.get("captured_at").is_none(), "{ours}");
    assert_eq!(ours["modified_at"], "2024-06-10T18:30:00");
    let id = {
        let added = env.ok(&["add", path.to_str().unwrap(), "--title", "again"]);
        added.split_whitespace().nth(1).unwrap().to_string()
    };
    let text = env.ok(&["show", &id]);
    assert!(
        text.contains("modified (device): 2024-06-10T18:30:00"),
        "{text}"
    );
    assert!(!text.contains("captured (device)"), "{text}");

    type Change = fn(&mut [Vec<(u16, V)>; 3]);
    let cases: [(&str, Change, &str); 4] = [
        (
            "latitude 95",
            |d| {
                set(
                    &mut d[2],
                    0x0002,
                    V::Rational(vec![(95, 1), (0, 1), (0, 1)]),
                )
            },
            "the GPS latitude recorded (95) is out of range",
        ),
        (
            "latitude with a zero denominator",
            |d| {
                set(
                    &mut d[2],
                    0x0002,
                    V::Rational(vec![(33, 0), (30, 1), (0, 1)]),
                )
            },
            "the GPS latitude recorded has a zero denominator",
        ),
        (
            "capture time in month 13",
            |d| set(&mut d[1], 0x9003, V::Ascii("2024:13:01 14:03:22")),
            "DateTimeOriginal \"2024:13:01 14:03:22\" is not a valid time",
        ),
        (
            "orientation 9",
            |d| set(&mut d[0], 0x0112, V::Short(9)),
            "the EXIF orientation recorded (9) is not one of 1 to 8",
        ),
    ];
    for (case, change, says) in cases {
        let path = jpeg_with(
            &env,
            &format!("{}.jpg", case.replace(' ', "-")),
            &photo(change),
        );
        let reference = exiftool(&path);
        let ours = casefile_says(&env, &path);
        row(case, &reference, &ours);
        assert_eq!(ours["make"], "Nokia", "{case}: {ours}");
        let note = ours["note"].as_str().unwrap_or_default();
        assert!(note.contains(says), "{case}: {note}");
        if case.starts_with("latitude") {
            assert!(ours.get("position").is_none(), "{case}: {ours}");
        }
        if case.starts_with("capture") {
            assert!(ours.get("captured_at").is_none(), "{case}: {ours}");
        }
        assert!(ours.get("orientation").is_none(), "{case}: {ours}");
    }
}
