//! Photos and recordings: metadata read at ingest, oriented thumbnails,
//! redacted copies checked with exiftool and by their pixels, and many photos.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use casefile::vault::{NewItem, Secret};
use casefile::{Task, Vault};
use common::{Env, PASS, require_tool, sha256_file};
use image::{GenericImageView, Rgb, RgbImage};
use serde_json::Value;

/// A picture whose left half is white and right half a fine black/white
/// checkerboard (4-pixel cells): detail a blur must destroy.
fn pattern(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        if x < w / 2 || ((x / 4) + (y / 4)) % 2 == 0 {
            Rgb([255, 255, 255])
        } else {
            Rgb([0, 0, 0])
        }
    })
}

fn save(image: &RgbImage, path: &Path) {
    image.save(path).expect("write test picture");
}

/// Writes EXIF with a position, device, capture time and `orientation` into `path`.
fn tag(path: &Path, orientation: u32) {
    let status = std::process::Command::new("exiftool")
        .args([
            "-q",
            "-overwrite_original",
            "-Make=Acme",
            "-Model=Field Phone 7",
            "-Software=Camera 2.1",
            "-DateTimeOriginal=2024:05:01 14:03:22",
            "-OffsetTimeOriginal=+03:00",
            "-GPSLatitude=33.5138",
            "-GPSLatitudeRef=S",
            "-GPSLongitude=36.2765",
            "-GPSLongitudeRef=E",
            "-GPSAltitude=680",
            "-GPSHPositioningError=12",
            "-XMP-dc:Creator=Witness W3",
            "-IPTC:By-line=Witness W3",
            &format!("-Orientation#={orientation}"),
        ])
        .arg(path)
        .status()
        .expect("run exiftool");
    assert!(
        status.success(),
        "exiftool could not tag {}",
        path.display()
    );
}

/// A patterned picture of `size` at `name`, tagged with EXIF (see [`tag`]).
fn tagged_photo(env: &Env, name: &str, size: (u32, u32), orientation: u32) -> PathBuf {
    let photo = env.path(name);
    save(&pattern(size.0, size.1), &photo);
    tag(&photo, orientation);
    photo
}

/// Adds one file through the command line; returns its id.
fn add(env: &Env, path: &Path) -> String {
    id_of(&env.ok(&["add", path.to_str().unwrap()]))
}

fn id_of(added: &str) -> String {
    added
        .split_whitespace()
        .nth(1)
        .expect("`added ID ...` line")
        .to_string()
}

fn open(env: &Env) -> Vault {
    Vault::open(&env.vault, Secret::Passphrase(PASS)).expect("open vault")
}

/// Every metadata group exiftool finds in a file, beyond the file system's own.
fn metadata_groups(path: &Path) -> Vec<String> {
    let out = std::process::Command::new("exiftool")
        .args(["-j", "-G", "-a", "-u"])
        .arg(path)
        .output()
        .expect("run exiftool");
    let all: Value = serde_json::from_slice(&out.stdout).expect("exiftool JSON");
    let mut groups: Vec<String> = all[0]
        .as_object()
        .expect("one file")
        .keys()
        .filter_map(|k| k.split(':').next().map(String::from))
        .filter(|g| {
            !["SourceFile", "ExifTool", "File", "Composite", "JFIF", "PNG"].contains(&g.as_str())
        })
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

#[test]
fn photo_metadata_is_read_and_kept_apart_from_stated_and_ingest_times() {
    require_tool("exiftool");
    let env = Env::init();
    let photo = tagged_photo(&env, "photo.jpg", (400, 200), 6);
    let before = sha256_file(&photo);
    let id = id_of(&env.ok(&[
        "add",
        photo.to_str().unwrap(),
        "--captured-at",
        "2024-05-02",
    ]));

    let shown = env.json(&["show", &id]);
    assert_eq!(
        shown["sha256"],
        before.as_str(),
        "the original's hash is fixed"
    );
    assert_eq!(
        shown["captured_at"], "2024-05-02",
        "the collector's stated time"
    );
    assert_ne!(shown["ingested_at"], shown["captured_at"]);
    let media = &shown["media"];
    assert_eq!(media["captured_at"], "2024-05-01T14:03:22+03:00");
    assert_eq!(media["make"], "Acme");
    assert_eq!(media["model"], "Field Phone 7");
    assert_eq!(media["software"], "Camera 2.1");
    assert_eq!(media["orientation"], 6);
    assert_eq!(
        (media["width"].as_u64(), media["height"].as_u64()),
        (Some(200), Some(400)),
        "as displayed"
    );
    let lat = media["position"]["latitude"].as_f64().unwrap();
    let lon = media["position"]["longitude"].as_f64().unwrap();
    assert!((lat + 33.5138).abs() < 1e-6, "south is negative: {lat}");
    assert!((lon - 36.2765).abs() < 1e-6, "{lon}");
    assert_eq!(media["position"]["altitude"], 680.0);
    assert_eq!(media["position"]["accuracy"], 12.0);

    let text = env.ok(&["show", &id]);
    assert!(
        text.contains("captured (device): 2024-05-01T14:03:22+03:00"),
        "{text}"
    );
    assert!(text.contains("captured (stated): 2024-05-02"), "{text}");
    assert!(text.contains("-33.513800, 36.276500"), "{text}");

    // The original comes back byte for byte, metadata and all.
    let out = env.path("back.jpg");
    env.ok(&["extract", &id, "--out", out.to_str().unwrap()]);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&photo).unwrap());
}

#[test]
fn thumbnails_are_oriented_small_and_made_for_every_readable_format() {
    require_tool("exiftool");
    let env = Env::init();
    let mut ids = Vec::new();
    for (name, orientation) in [("a.jpg", 6), ("b.png", 0), ("c.webp", 0), ("d.tiff", 0)] {
        let path = env.path(name);
        save(&pattern(800, 400), &path);
        if orientation != 0 {
            tag(&path, orientation);
        }
        ids.push((name, add(&env, &path)));
    }
    let mut vault = open(&env);
    for (name, id) in &ids {
        let thumb = vault
            .thumbnail(id)
            .unwrap()
            .unwrap_or_else(|| panic!("{name} has a thumbnail"));
        let small = image::load_from_memory(&thumb).expect("thumbnail is a picture");
        let expected = if *name == "a.jpg" {
            (160, 320)
        } else {
            (320, 160)
        };
        assert_eq!(small.dimensions(), expected, "{name}");
        // The white half is where the orientation puts it: on top when turned.
        let corner = small.get_pixel(5, 5).0;
        assert!(corner[0] > 200, "{name}: top-left is white ({corner:?})");
        let far = if *name == "a.jpg" {
            small.get_pixel(80, 310).0
        } else {
            small.get_pixel(315, 80).0
        };
        assert!(
            far[0] < 200,
            "{name}: the checkerboard half is grey when small ({far:?})"
        );
    }
}

#[test]
fn broken_and_unsupported_pictures_are_kept_with_a_note() {
    let env = Env::init();
    let full = env.path("full.jpg");
    save(&pattern(300, 300), &full);
    let bytes = std::fs::read(&full).unwrap();
    let cut = env.path("cut.jpg");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let heic = env.path("photo.heic");
    let mut h = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    h.extend_from_slice(&[7u8; 4000]);
    std::fs::write(&heic, &h).unwrap();

    for (path, says) in [
        (&cut, "no preview"),
        (&heic, "the HEIF picture is damaged or unsupported"),
    ] {
        let id = add(&env, path);
        let shown = env.json(&["show", &id]);
        assert_eq!(
            shown["sha256"],
            sha256_file(path).as_str(),
            "stored as evidence anyway"
        );
        let note = shown["media"]["note"].as_str().unwrap_or_default();
        assert!(note.contains(says), "{}: {note}", path.display());
        assert!(open(&env).thumbnail(&id).unwrap().is_none());
        let err = env.fails(&["redact", &id, "--strip-metadata"], 2);
        assert!(err.contains("decode"), "{err}");
    }
}

/// A HEIC made from `jpeg` by libheif's own encoder (x265), as a phone's
/// would be; the EXIF of the JPEG goes with it.
fn heic_from(env: &Env, jpeg: &Path, name: &str) -> PathBuf {
    require_tool("heif-enc");
    let heic = env.path(name);
    let status = std::process::Command::new("heif-enc")
        .args(["-q", "92"])
        .arg(jpeg)
        .arg("-o")
        .arg(&heic)
        .status()
        .expect("run heif-enc");
    assert!(status.success(), "heif-enc failed");
    heic
}

/// What exiftool reads from a file, as one JSON object (numbers as numbers).
fn exiftool_json(path: &Path) -> Value {
    let out = std::process::Command::new("exiftool")
        .args([
            "-j",
            "-n",
            "-MIMEType",
            "-ImageWidth",
            "-ImageHeight",
            "-Make",
            "-GPSLatitude",
        ])
        .arg(path)
        .output()
        .expect("run exiftool");
    let all: Value = serde_json::from_slice(&out.stdout).expect("exiftool JSON");
    all[0].clone()
}

#[test]
fn a_phone_heic_gets_a_preview_and_a_clean_jpeg_copy() {
    require_tool("exiftool");
    let env = Env::init();
    let jpeg = tagged_photo(&env, "source.jpg", (800, 400), 1);
    let heic = heic_from(&env, &jpeg, "IMG_0042.HEIC");
    let reference = exiftool_json(&heic);
    assert_eq!(reference["MIMEType"], "image/heic", "{reference}");
    assert_eq!(reference["Make"], "Acme", "the EXIF went into the HEIC");
    let original = sha256_file(&heic);
    let id = add(&env, &heic);

    let shown = env.json(&["show", &id]);
    assert_eq!(shown["sha256"], original.as_str());
    let media = &shown["media"];
    assert_eq!(media["width"], reference["ImageWidth"], "{media}");
    assert_eq!(media["height"], reference["ImageHeight"], "{media}");
    assert_eq!(media["make"], "Acme");
    assert!(
        media["note"].as_str().unwrap_or_default().is_empty(),
        "no note: {media}"
    );
    let thumb = open(&env).thumbnail(&id).unwrap().expect("a preview");
    let small = image::load_from_memory(&thumb).unwrap();
    assert_eq!(
        small.dimensions(),
        (320, 160),
        "the preview keeps the shape"
    );
    // The picture itself came through: white on the left, the checkerboard
    // on the right (grey when small).
    assert!(
        small.get_pixel(40, 80).0[0] > 240,
        "{:?}",
        small.get_pixel(40, 80)
    );
    assert!(
        small.get_pixel(280, 80).0[0] < 200,
        "{:?}",
        small.get_pixel(280, 80)
    );

    let out = env.ok(&[
        "redact",
        &id,
        "--strip-metadata",
        "--box",
        "40,40,200,100",
        "--blur",
        "500,100,240,200",
    ]);
    assert!(out.contains("metadata stripped"), "{out}");
    let copy = open(&env).latest_redaction(&id).unwrap().expect("a copy");
    let path = env.path("redacted.out");
    env.ok(&["extract", &copy, "--out", path.to_str().unwrap()]);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        image::guess_format(&bytes).unwrap(),
        image::ImageFormat::Jpeg,
        "a redacted HEIC is a JPEG"
    );
    assert_eq!(exiftool_json(&path)["MIMEType"], "image/jpeg");
    assert_eq!(
        metadata_groups(&path),
        Vec::<String>::new(),
        "no metadata survives"
    );
    let picture = image::load_from_memory(&bytes).unwrap();
    assert_eq!(picture.dimensions(), (800, 400));
    let (mean, _) = stats(&picture, 44, 44, 192, 92);
    assert!(mean < 8.0, "box mean {mean}");
    let (_, dev) = stats(&picture, 504, 104, 232, 192);
    assert!(dev < 12.0, "blurred region keeps detail (deviation {dev})");
    let (mean, _) = stats(&picture, 300, 250, 50, 50);
    assert!(mean > 240.0, "untouched area {mean}");
    let name = env.json(&["show", &copy])["original_name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(name.ends_with(".jpg"), "{name}");
    assert_eq!(env.json(&["show", &id])["sha256"], original.as_str());

    // A HEIC cut short is kept as evidence with a note, and not redacted.
    let whole = std::fs::read(&heic).unwrap();
    let cut = env.path("cut.heic");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let cut_id = add(&env, &cut);
    let shown = env.json(&["show", &cut_id]);
    assert_eq!(shown["sha256"], sha256_file(&cut).as_str());
    let note = shown["media"]["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("no preview: the image cannot be decoded: the HEIF picture is damaged"),
        "{note}"
    );
    let err = env.fails(&["redact", &cut_id, "--strip-metadata"], 2);
    assert!(err.contains("decode"), "{err}");
}

#[test]
fn documents_and_recordings_report_basic_facts() {
    let env = Env::init();
    // A PDF with three pages.
    let mut pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >> endobj\n".to_vec();
    for n in 3..6 {
        pdf.extend_from_slice(
            format!("{n} 0 obj << /Type /Page /Parent 2 0 R >> endobj\n").as_bytes(),
        );
    }
    pdf.extend_from_slice(b"trailer << /Root 1 0 R >>\n%%EOF\n");
    let p = env.path("register.pdf");
    std::fs::write(&p, &pdf).unwrap();
    // Two seconds of 8 kHz mono 16-bit silence.
    let data_len: u32 = 2 * 8000 * 2;
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.resize(wav.len() + data_len as usize, 0);
    let w = env.path("interview.wav");
    std::fs::write(&w, &wav).unwrap();
    // An MP4 whose movie header says 90 s at timescale 600, made 2024-05-01T12:00:00Z.
    let created: u32 = (1_714_564_800i64 + 2_082_844_800) as u32;
    let mut mvhd = vec![0u8; 4];
    mvhd.extend_from_slice(&created.to_be_bytes());
    mvhd.extend_from_slice(&created.to_be_bytes());
    mvhd.extend_from_slice(&600u32.to_be_bytes());
    mvhd.extend_from_slice(&(90 * 600u32).to_be_bytes());
    mvhd.resize(100, 0);
    let boxed = |kind: &[u8], body: &[u8]| {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    };
    let mut mp4 = boxed(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
    mp4.extend(boxed(b"mdat", &[1u8; 5000]));
    mp4.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
    let v = env.path("clip.mp4");
    std::fs::write(&v, &mp4).unwrap();

    let pdf_media = &env.json(&["show", &add(&env, &p)])["media"];
    assert_eq!(pdf_media["pages"], 3);
    assert_eq!(pdf_media["pdf_version"], "1.7");
    let wav_media = &env.json(&["show", &add(&env, &w)])["media"];
    assert_eq!(wav_media["duration"], 2.0);
    assert_eq!(wav_media["channels"], 1);
    assert_eq!(wav_media["sample_rate"], 8000);
    let mp4_media = &env.json(&["show", &add(&env, &v)])["media"];
    assert_eq!(mp4_media["duration"], 90.0);
    assert_eq!(mp4_media["captured_at"], "2024-05-01T12:00:00Z");
}

/// Mean and standard deviation of the red channel over a region.
fn stats(image: &image::DynamicImage, x: u32, y: u32, w: u32, h: u32) -> (f64, f64) {
    let values: Vec<f64> = (y..y + h)
        .flat_map(|yy| (x..x + w).map(move |xx| (xx, yy)))
        .map(|(xx, yy)| f64::from(image.get_pixel(xx, yy).0[0]))
        .collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
    (mean, var.sqrt())
}

#[test]
fn redaction_strips_metadata_blacks_out_and_blurs_and_is_logged() {
    require_tool("exiftool");
    let env = Env::init();
    for (name, lossless) in [("scene.png", true), ("scene.jpg", false)] {
        let photo = tagged_photo(&env, name, (800, 400), 1);
        assert!(
            !metadata_groups(&photo).is_empty(),
            "the test photo carries metadata"
        );
        let original = sha256_file(&photo);
        let id = add(&env, &photo);
        let out = env.ok(&[
            "redact",
            &id,
            "--strip-metadata",
            "--box",
            "40,40,200,100",
            "--blur",
            "500,100,240,200",
        ]);
        assert!(out.contains("metadata stripped"), "{out}");
        let copy = env
            .json(&["list"])
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["parent"] == id.as_str())
            .expect("the redacted copy is listed")
            .clone();
        let copy_id = copy["id"].as_str().unwrap();
        let path = env.path(&format!("redacted-{name}"));
        env.ok(&["extract", copy_id, "--out", path.to_str().unwrap()]);

        assert_eq!(
            metadata_groups(&path),
            Vec::<String>::new(),
            "{name}: no metadata survives"
        );
        let picture = image::open(&path).unwrap();
        assert_eq!(picture.dimensions(), (800, 400));
        // Inside the box: black (exactly, or within JPEG's rounding).
        let (mean, _) = stats(&picture, 44, 44, 192, 92);
        assert!(
            if lossless { mean == 0.0 } else { mean < 8.0 },
            "{name}: box mean {mean}"
        );
        // The checkerboard under the blur is gone: its 4-pixel detail would
        // give a deviation near 127; what is left is a smooth grey.
        let (before_mean, before_dev) = stats(&image::open(&photo).unwrap(), 500, 100, 240, 200);
        assert!(
            before_dev > 100.0,
            "the test pattern has detail ({before_dev})"
        );
        let (mean, dev) = stats(&picture, 504, 104, 232, 192);
        assert!(
            dev < 12.0,
            "{name}: blurred region keeps detail (deviation {dev})"
        );
        assert!(
            (mean - before_mean).abs() < 30.0,
            "{name}: the blur keeps the average tone"
        );
        // Outside the regions the picture is intact.
        let (mean, _) = stats(&picture, 300, 250, 50, 50);
        assert!(mean > 245.0, "{name}: untouched area {mean}");

        // The original is unchanged and the derivation is in the custody log.
        assert_eq!(env.json(&["show", &id])["sha256"], original.as_str());
        let log = env.json(&["log", "--item", copy_id]);
        let derived = log
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "item_derived")
            .expect("derivation logged");
        let d = &derived["details"];
        assert_eq!(d["parent"], id.as_str());
        assert_eq!(d["parent_sha256"], original.as_str());
        assert_eq!(d["derivation"]["operation"], "redaction");
        assert_eq!(d["derivation"]["strip_metadata"], true);
        assert_eq!(
            d["derivation"]["boxes"][0],
            serde_json::json!({"x": 40, "y": 40, "w": 200, "h": 100})
        );
        assert_eq!(d["derivation"]["blurs"][0]["w"], 240);
    }
    env.ok(&["log", "verify"]);
}

#[test]
fn redaction_regions_follow_the_displayed_orientation_and_bad_regions_are_refused() {
    require_tool("exiftool");
    let env = Env::init();
    let photo = tagged_photo(&env, "turned.jpg", (400, 200), 6);
    let id = add(&env, &photo);
    // Displayed 200 wide, 400 tall: a region 300 wide cannot fit.
    let err = env.fails(&["redact", &id, "--box", "0,0,300,10"], 2);
    assert!(err.contains("outside the picture (200×400"), "{err}");
    let err = env.fails(&["redact", &id, "--box", "0,0,-3,10"], 2);
    assert!(err.contains("x,y,width,height"), "{err}");
    let err = env.fails(&["redact", &id], 2);
    assert!(err.contains("say what to redact"), "{err}");
    env.ok(&["redact", &id, "--box", "0,300,200,100"]);
    let vault = open(&env);
    let copy = vault
        .latest_redaction(&id)
        .unwrap()
        .expect("a redacted copy");
    let (_, mut reader) = vault.open_item(&copy).unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
    let picture = image::load_from_memory(&bytes).unwrap();
    assert_eq!(picture.dimensions(), (200, 400), "stored upright");
    assert!(
        stats(&picture, 4, 304, 192, 92).0 < 8.0,
        "the bottom, as displayed, is black"
    );
    assert!(stats(&picture, 4, 4, 192, 92).0 > 100.0, "the top is not");
}

#[test]
fn export_can_send_the_redacted_copy_instead_of_the_original() {
    require_tool("exiftool");
    let env = Env::init();
    let photo = tagged_photo(&env, "witness.jpg", (320, 240), 1);
    let id = add(&env, &photo);
    let case = env.json(&[
        "case",
        "new",
        "--title",
        "Redaction case",
        "--type",
        "gross-violation",
        "--regime",
        "us-global-magnitsky",
    ]);
    let case_id = case["id"].as_str().unwrap().to_string();
    env.ok(&["case", "link", &case_id, "--item", &id]);
    env.ok(&["redact", &id, "--strip-metadata", "--blur", "0,0,100,100"]);
    let copy = open(&env).latest_redaction(&id).unwrap().unwrap();

    let out = env.path("bundle");
    env.ok(&[
        "export",
        "--case",
        &case_id,
        "--out",
        out.to_str().unwrap(),
        "--redacted",
    ]);
    env.ok(&["verify", out.to_str().unwrap()]);
    let files = common::all_files(&out.join("data"));
    let evidence: Vec<_> = files
        .iter()
        .filter(|f| f.starts_with(out.join("data/evidence")))
        .collect();
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    assert!(
        evidence[0].to_string_lossy().contains(&copy),
        "{evidence:?}"
    );
    for f in &evidence {
        assert_eq!(metadata_groups(f), Vec::<String>::new());
    }
    let bytes: Vec<u8> = files
        .iter()
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("Witness W3"),
        "nothing of the original's metadata is in the bundle"
    );
}

#[test]
fn many_photos_get_thumbnails_and_a_cancelled_import_leaves_no_half_item() {
    let env = Env::init();
    let folder = env.path("phone");
    std::fs::create_dir(&folder).unwrap();
    for i in 0..1000u32 {
        let img = RgbImage::from_fn(96, 72, |x, y| {
            Rgb([(x * 2 + i) as u8, (y * 3) as u8, (i % 251) as u8])
        });
        img.save(folder.join(format!("IMG_{i:04}.jpg"))).unwrap();
    }
    let paths: Vec<_> = {
        let mut p: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        p.sort();
        p
    };
    let total: u64 = paths.iter().map(|p| p.metadata().unwrap().len()).sum();

    // Cancel part-way: whole batches are kept, the one in progress leaves nothing.
    let mut vault = open(&env);
    let cancel = AtomicBool::new(false);
    let read = AtomicU64::new(0);
    let progress = |n: u64| {
        if read.fetch_add(n, Ordering::Relaxed) + n > total / 3 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let task = Task::none().with_progress(&progress).with_cancel(&cancel);
    let mut seen = 0;
    let result = vault
        .add_files(&paths, &NewItem::default(), &task, &mut |_| seen += 1)
        .map(|a| a.items);
    assert!(
        matches!(result, Err(casefile::VaultError::Cancelled)),
        "{:?}",
        result.err()
    );
    let kept = vault.list().unwrap();
    assert_eq!(kept.len(), seen, "exactly the committed batches are kept");
    assert!(
        kept.len() < 1000 && kept.len().is_multiple_of(64),
        "{} kept",
        kept.len()
    );
    for item in &kept {
        assert!(
            vault.thumbnail(&item.id).unwrap().is_some(),
            "{} has its thumbnail",
            item.id
        );
    }
    vault.close().unwrap();
    let blobs = std::fs::read_dir(env.vault.join("blobs")).unwrap().count();
    assert_eq!(blobs, kept.len(), "no stray blob of the cancelled batch");

    // The whole folder through the command line.
    let fresh = Env::init();
    let out = fresh.json(&["add", folder.to_str().unwrap()]);
    assert_eq!(out.as_array().map(Vec::len), Some(1000));
    let mut vault = open(&fresh);
    let items = vault.list().unwrap();
    assert_eq!(items.len(), 1000);
    for item in items.iter().step_by(37) {
        let thumb = vault.thumbnail(&item.id).unwrap().expect("thumbnail");
        assert_eq!(
            image::load_from_memory(&thumb).unwrap().dimensions(),
            (96, 72)
        );
    }
    drop(vault);
    fresh.ok(&["log", "verify"]);
}
