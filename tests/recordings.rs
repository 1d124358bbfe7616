//! Sound recordings as phones and recorders write them: MP3 (with and
//! without a Xing header), Ogg Vorbis, Opus, FLAC and WebM, encoded here by
//! ffmpeg, added through the real `casefile` binary, and compared with what
//! ffprobe reads from the same file. A torn file gets a note, never `{}`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Env, require_tool};
use serde_json::Value;

/// Three seconds of a tone, stereo at 48 kHz (44.1 kHz for MP3), encoded
/// with `args`, tagged with a recording date, an encoder and an artist.
fn encode(env: &Env, name: &str, args: &[&str]) -> PathBuf {
    let out = env.path(name);
    let rate = if name.ends_with(".mp3") {
        "44100"
    } else {
        "48000"
    };
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=frequency=440:duration=3")
        .args(["-ac", "2", "-ar", rate])
        .args(args)
        .args([
            "-metadata",
            "date=2024-05-01",
            "-metadata",
            "artist=Witness W3",
        ])
        .arg(&out)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg {name}");
    out
}

/// What ffprobe says: the container's duration and the first audio
/// stream's codec, channels and sample rate.
fn ffprobe(path: &Path) -> Option<Value> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "format=duration:stream=codec_name,channels,sample_rate",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    (out.status.success() && v["streams"].get(0).is_some()).then_some(v)
}

fn casefile_says(env: &Env, path: &Path) -> Value {
    let added = env.ok(&["add", path.to_str().unwrap()]);
    let id = added.split_whitespace().nth(1).unwrap().to_string();
    env.json(&["show", &id])["media"].clone()
}

#[test]
fn duration_codec_and_tags_agree_with_ffprobe() {
    require_tool("ffmpeg");
    require_tool("ffprobe");
    let env = Env::init();
    let cases = [
        (
            "mp3 with a Xing header",
            encode(&env, "tone.mp3", &["-c:a", "libmp3lame", "-b:a", "128k"]),
        ),
        (
            "mp3 without a Xing header",
            encode(
                &env,
                "bare.mp3",
                &["-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"],
            ),
        ),
        (
            "Ogg Vorbis",
            encode(&env, "tone.ogg", &["-c:a", "libvorbis"]),
        ),
        (
            "Opus in Ogg",
            encode(&env, "tone.opus", &["-c:a", "libopus"]),
        ),
        ("FLAC", encode(&env, "tone.flac", &["-c:a", "flac"])),
        (
            "WebM (Opus)",
            encode(&env, "tone.webm", &["-c:a", "libopus"]),
        ),
    ];
    for (case, path) in &cases {
        let reference = ffprobe(path).expect("ffprobe reads it");
        let ours = casefile_says(&env, path);
        let stream = &reference["streams"][0];
        let theirs: f64 = reference["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .expect("ffprobe duration");
        eprintln!(
            "| {case} | {} {} ch {} Hz {theirs:.3} s | {} {} ch {} Hz {:.3} s {} |",
            stream["codec_name"],
            stream["channels"],
            stream["sample_rate"],
            ours["codec"],
            ours["channels"],
            ours["sample_rate"],
            ours["duration"].as_f64().unwrap_or(f64::NAN),
            ours.get("note").map(|n| n.to_string()).unwrap_or_default()
        );
        assert_eq!(ours["codec"], stream["codec_name"], "{case}: {ours}");
        assert_eq!(ours["channels"], stream["channels"], "{case}: {ours}");
        assert_eq!(
            ours["sample_rate"].to_string(),
            stream["sample_rate"].as_str().unwrap_or_default(),
            "{case}: {ours}"
        );
        let duration = ours["duration"].as_f64().expect("a duration");
        assert!(
            (duration - theirs).abs() < 0.1,
            "{case}: {duration} against ffprobe's {theirs}"
        );
        assert!(ours.get("note").is_none(), "{case}: {ours}");
        let text = serde_json::to_string(&ours).unwrap();
        assert!(
            !text.contains("Witness"),
            "{case}: the artist is not kept: {text}"
        );
    }

    // The encoder's name and the recording date, as the tags give them.
    let ogg = casefile_says(&env, &cases[2].1);
    assert!(
        ogg["software"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Lavc"),
        "{ogg}"
    );
    assert_eq!(ogg["created_at"], "2024-05-01", "{ogg}");

    let mp3 = casefile_says(&env, &cases[0].1);
    assert_eq!(mp3["created_at"], "2024-05-01", "ID3v2 TDRC: {mp3}");
    assert!(
        mp3["software"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Lavf"),
        "{mp3}"
    );

    // A torn recording: the bytes are kept; the note says what is missing.
    let bytes = std::fs::read(&cases[2].1).unwrap();
    let torn = env.path("torn.ogg");
    std::fs::write(&torn, [&bytes[..60], &[0u8; 3000][..]].concat()).unwrap();
    let ours = casefile_says(&env, &torn);
    let note = ours["note"].as_str().unwrap_or_default();
    assert!(!note.is_empty(), "never an empty {{}}: {ours}");
}

/// What ffprobe says of a movie's first video and audio streams and tags.
fn ffprobe_movie(path: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name,width,height,r_frame_rate,channels,sample_rate:stream_side_data=rotation:format_tags=location",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    serde_json::from_slice(&out.stdout).expect("ffprobe JSON")
}

/// Writes a quarter-turn matrix into the first track's header, as a phone
/// held upright does (this ffmpeg cannot set one).
fn turn_first_track(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.windows(4).position(|w| w == b"tkhd").unwrap() + 4;
    assert_eq!(bytes[at], 0, "a version 0 track header");
    let matrix: [u32; 9] = [0, 0x0001_0000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000];
    for (i, v) in matrix.iter().enumerate() {
        bytes[at + 40 + 4 * i..at + 44 + 4 * i].copy_from_slice(&v.to_be_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_phone_video_gives_codecs_size_as_displayed_frame_rate_and_place() {
    require_tool("ffmpeg");
    require_tool("ffprobe");
    let env = Env::init();
    // MP4 carries the place as 3GPP loci, MOV as ISO 6709 text (©xyz).
    for (name, rotate) in [
        ("clip.mp4", None),
        ("portrait.mp4", Some(())),
        ("clip.mov", None),
    ] {
        let path = env.path(name);
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-v", "error", "-y", "-f", "lavfi", "-i"])
            .arg("testsrc=size=320x240:rate=25:duration=2")
            .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
            .args([
                "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "1", "-ar", "44100",
            ])
            .args(["-metadata", "location=+37.7858-122.4064/"]);
        assert!(cmd.arg(&path).status().expect("run ffmpeg").success());
        if rotate.is_some() {
            turn_first_track(&path);
        }
        let reference = ffprobe_movie(&path);
        let ours = casefile_says(&env, &path);
        let streams = reference["streams"].as_array().unwrap();
        let video = streams.iter().find(|s| s["codec_type"] == "video").unwrap();
        let sound = streams.iter().find(|s| s["codec_type"] == "audio").unwrap();
        eprintln!(
            "| {name} | {} {}x{} {} rotation {} / {} {} ch {} Hz / {} | {} {}x{} {} / {} {} ch {} Hz / {} |",
            video["codec_name"],
            video["width"],
            video["height"],
            video["r_frame_rate"],
            video["side_data_list"][0]["rotation"],
            sound["codec_name"],
            sound["channels"],
            sound["sample_rate"],
            reference["format"]["tags"]["location"],
            ours["video_codec"],
            ours["width"],
            ours["height"],
            ours["frame_rate"],
            ours["codec"],
            ours["channels"],
            ours["sample_rate"],
            ours["position"]
        );
        assert_eq!(ours["video_codec"], video["codec_name"], "{name}: {ours}");
        assert_eq!(ours["codec"], sound["codec_name"], "{name}: {ours}");
        assert_eq!(ours["channels"], sound["channels"], "{name}: {ours}");
        assert_eq!(
            ours["sample_rate"].to_string(),
            sound["sample_rate"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(video["r_frame_rate"], "25/1");
        assert_eq!(ours["frame_rate"], 25.0, "{name}: {ours}");
        // Stored 320x240; a quarter turn is shown 240 wide.
        let (w, h) = if rotate.is_some() {
            (240, 320)
        } else {
            (320, 240)
        };
        assert_eq!(
            (ours["width"].as_u64(), ours["height"].as_u64()),
            (Some(w), Some(h)),
            "{name}: {ours}"
        );
        assert_eq!(
            reference["format"]["tags"]["location"],
            "+37.7858-122.4064/"
        );
        assert_eq!(ours["position"]["latitude"], 37.7858, "{name}: {ours}");
        assert_eq!(ours["position"]["longitude"], -122.4064, "{name}: {ours}");
        assert!(
            (ours["duration"].as_f64().unwrap() - 2.0).abs() < 0.1,
            "{name}: {ours}"
        );
    }
}
