//! HEIF pictures (HEIC from phones, AVIF) decoded through libheif, the
//! library Debian packages: no maintained pure-Rust decoder exists.
//!
//! libheif is C code fed hostile files, and the sizes a file declares do not
//! bind it (a 9 KB grid that declares 640×480 made it take 5 GB). So it runs
//! in a child process: this same program started afresh with
//! [`CHILD_ARG`], holding no vault key, with no environment, its address
//! space capped and its time bounded. The parent takes back only RGB pixels
//! of a size it checks.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use image::{DynamicImage, RgbImage};
use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

use super::MediaError;
use super::photo::{MAX_DECODED_BYTES, on_white, within_bounds};

/// The first argument that makes a Casefile program decode one HEIF picture
/// from its standard input instead of starting (see [`serve_if_asked`]).
pub const CHILD_ARG: &str = "--casefile-decode-heif";
/// Address space the decoding process may take: a 50-megapixel phone photo
/// needs under 1 GiB.
const CHILD_MEMORY: u64 = 3 << 29;
/// Time the decoding process may take.
const CHILD_TIME: Duration = Duration::from_secs(120);

/// Decodes the primary picture of a HEIF file in a child process (see the
/// module's comment).
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, MediaError> {
    let exe = std::env::current_exe().map_err(MediaError::Io)?;
    let mut child = Command::new(exe)
        .arg(CHILD_ARG)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(MediaError::Io)?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(MediaError::Decode(
            "the HEIF decoder could not be started".into(),
        ));
    };
    let (status, out, said) = std::thread::scope(|s| {
        s.spawn(move || {
            // A decoder that stops reading early is not an error here.
            let _ = stdin.write_all(bytes);
        });
        let said = s.spawn(move || {
            let mut e = String::new();
            let _ = stderr.take(4096).read_to_string(&mut e);
            e
        });
        let out = s.spawn(move || {
            let mut v = Vec::new();
            let _ = stdout.take(8 + MAX_DECODED_BYTES + 1).read_to_end(&mut v);
            v
        });
        let deadline = Instant::now() + CHILD_TIME;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        (
            status,
            out.join().unwrap_or_default(),
            said.join().unwrap_or_default(),
        )
    });
    let Some(status) = status else {
        return Err(MediaError::Decode(format!(
            "the HEIF decoder took longer than {} s and was stopped",
            CHILD_TIME.as_secs()
        )));
    };
    if !status.success() {
        let said = said.trim();
        if let Some(size) = said.strip_prefix("too-large ") {
            let mut n = size.split(' ').filter_map(|x| x.parse::<u32>().ok());
            if let (Some(width), Some(height)) = (n.next(), n.next()) {
                return Err(MediaError::TooLarge { width, height });
            }
        }
        return Err(MediaError::Decode(match said.strip_prefix("decode ") {
            Some(m) => m.to_string(),
            None => format!(
                "the HEIF decoder stopped without finishing (it needed more than {} MiB, or the file broke it)",
                CHILD_MEMORY >> 20
            ),
        }));
    }
    pixels(out)
}

/// The child's answer: width and height (u32, little-endian), then RGB.
fn pixels(mut out: Vec<u8>) -> Result<DynamicImage, MediaError> {
    let bad = || MediaError::Decode("the HEIF decoder's answer is malformed".into());
    if out.len() < 8 {
        return Err(bad());
    }
    let w = u32::from_le_bytes([out[0], out[1], out[2], out[3]]);
    let h = u32::from_le_bytes([out[4], out[5], out[6], out[7]]);
    if w == 0 || h == 0 || within_bounds(w, h, 3).is_err() {
        return Err(bad());
    }
    if out.len() as u64 != 8 + u64::from(w) * u64::from(h) * 3 {
        return Err(bad());
    }
    out.drain(..8);
    RgbImage::from_raw(w, h, out)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(bad)
}

/// In a Casefile program started with [`CHILD_ARG`]: decodes the HEIF
/// picture on standard input, writes its pixels to standard output and
/// exits. Otherwise returns at once. The command line and the desktop call
/// this first thing.
pub fn serve_if_asked() {
    if std::env::args_os().nth(1).as_deref() != Some(OsStr::new(CHILD_ARG)) {
        return;
    }
    let code = match serve() {
        Ok(()) => 0,
        Err(MediaError::TooLarge { width, height }) => {
            eprintln!("too-large {width} {height}");
            1
        }
        Err(MediaError::Decode(m)) => {
            eprintln!("decode {m}");
            1
        }
        Err(e) => {
            eprintln!("decode {e}");
            1
        }
    };
    std::process::exit(code);
}

fn serve() -> Result<(), MediaError> {
    let _ = crate::harden::harden_process();
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        setrlimit(
            Resource::As,
            Rlimit {
                current: Some(CHILD_MEMORY),
                maximum: Some(CHILD_MEMORY),
            },
        )
        .map_err(|e| MediaError::Io(e.into()))?;
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(super::MAX_IN_MEMORY)
        .read_to_end(&mut bytes)
        .map_err(MediaError::Io)?;
    let image = decode_here(&bytes)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&image.width().to_le_bytes())
        .and_then(|()| out.write_all(&image.height().to_le_bytes()))
        .and_then(|()| out.write_all(image.as_raw()))
        .and_then(|()| out.flush())
        .map_err(MediaError::Io)
}

/// libheif's message as one sentence: its first line, without control
/// characters (they come from the file).
fn failed(e: libheif_rs::HeifError) -> MediaError {
    let line = e.message.lines().next().unwrap_or_default();
    let clean: String = line.chars().filter(|c| !c.is_control()).collect();
    MediaError::Decode(format!(
        "the HEIF picture is damaged or unsupported ({})",
        clean.trim()
    ))
}

/// Decodes in this process, turned and mirrored as the file's own
/// transformations say. Its EXIF orientation is not applied again: in HEIF
/// the container's transformations are the ones that count, and phones
/// write both. Transparent pixels are laid on white, as a viewer shows
/// them: what lies under them must not appear in a copy.
fn decode_here(bytes: &[u8]) -> Result<RgbImage, MediaError> {
    let lib = LibHeif::new_checked().map_err(failed)?;
    let context = HeifContext::read_from_bytes(bytes).map_err(failed)?;
    let handle = context.primary_image_handle().map_err(failed)?;
    // The declared size decides first; the decoded one is checked again
    // below, since libheif does not hold a file to what it declares.
    let (w, h) = (handle.width(), handle.height());
    if w == 0 || h == 0 {
        return Err(MediaError::Decode(
            "the HEIF picture declares no size".into(),
        ));
    }
    within_bounds(w, h, 3)?;
    let alpha = handle.has_alpha_channel();
    let chroma = if alpha {
        RgbChroma::Rgba
    } else {
        RgbChroma::Rgb
    };
    let decoded = lib
        .decode(&handle, ColorSpace::Rgb(chroma), None)
        .map_err(failed)?;
    let planes = decoded.planes();
    let Some(plane) = planes.interleaved else {
        return Err(MediaError::Decode(
            "the HEIF picture decoded to no pixels".into(),
        ));
    };
    let (pw, ph) = (plane.width, plane.height);
    within_bounds(pw, ph, 3)?;
    let channels = if alpha { 4 } else { 3 };
    let row = pw as usize * channels;
    // libheif gives the bits of one channel here.
    if plane.bits_per_pixel != 8 || plane.stride < row {
        return Err(MediaError::Decode(format!(
            "the HEIF picture decoded to an unexpected layout ({} bits per channel)",
            plane.bits_per_pixel
        )));
    }
    let mut rgb = Vec::with_capacity(pw as usize * ph as usize * 3);
    for y in 0..ph as usize {
        let start = y * plane.stride;
        let Some(line) = plane.data.get(start..start + row) else {
            return Err(MediaError::Decode(
                "the HEIF picture decoded to fewer rows than it declares".into(),
            ));
        };
        if alpha {
            for p in line.chunks_exact(4) {
                rgb.extend(p[..3].iter().map(|&c| on_white(c, p[3])));
            }
        } else {
            rgb.extend_from_slice(line);
        }
    }
    RgbImage::from_raw(pw, ph, rgb)
        .ok_or_else(|| MediaError::Decode("the HEIF picture's pixels do not fill it".into()))
}

/// Whether `bytes` begin as a HEIF file (HEIC, HEIF or AVIF) does.
pub fn is_heif(bytes: &[u8]) -> bool {
    matches!(
        infer::get(bytes).map(|t| t.mime_type()),
        Some("image/heif" | "image/heic" | "image/avif")
    )
}
