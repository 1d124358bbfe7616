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

    // A torn recording: the bytes are kept; the note says what is missing.
    let bytes = std::fs::read(&cases[2].1).unwrap();
    let torn = env.path("torn.ogg");
    std::fs::write(&torn, [&bytes[..60], &[0u8; 3000][..]].concat()).unwrap();
    let ours = casefile_says(&env, &torn);
    let note = ours["note"].as_str().unwrap_or_default();
    assert!(!note.is_empty(), "never an empty {{}}: {ours}");
}
