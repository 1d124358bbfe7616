//! The tracks and place of an ISO media file (MP4, MOV, 3GP): video codec,
//! dimensions as displayed (the track's rotation applied) and frame rate;
//! audio codec, channels and sample rate; and the location a phone writes
//! (`©xyz`, ISO 6709, or 3GPP `loci`). Read box by box, bounded, never decoded.

use std::io::SeekFrom;

use super::probe::{ReadSeek, find_box};
use super::{MediaInfo, Position};

/// Tracks looked at, at most.
const MAX_TRACKS: usize = 16;

/// Reads `n` bytes at `at`, when they are there.
fn bytes_at(content: &mut dyn ReadSeek, at: u64, n: usize) -> Option<Vec<u8>> {
    content.seek(SeekFrom::Start(at)).ok()?;
    let mut b = vec![0u8; n];
    content.read_exact(&mut b).ok()?;
    Some(b)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The name ffprobe gives a sample entry's codec.
fn codec_name(fourcc: &[u8]) -> String {
    match fourcc {
        b"avc1" | b"avc3" => "h264".into(),
        b"hvc1" | b"hev1" => "hevc".into(),
        b"mp4v" => "mpeg4".into(),
        b"av01" => "av1".into(),
        b"vp09" => "vp9".into(),
        b"mp4a" => "aac".into(),
        b"Opus" => "opus".into(),
        b"ac-3" => "ac3".into(),
        b"ec-3" => "eac3".into(),
        b"alac" => "alac".into(),
        b"samr" => "amr_nb".into(),
        b"sawb" => "amr_wb".into(),
        b".mp3" => "mp3".into(),
        other => String::from_utf8_lossy(other)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect(),
    }
}

/// Fills `info` from the tracks in `moov` and its `udta` location.
pub(super) fn read(content: &mut dyn ReadSeek, moov: u64, moov_end: u64, info: &mut MediaInfo) {
    let mut at = moov;
    for _ in 0..MAX_TRACKS {
        let Some((trak, trak_end)) = find_box(content, at, moov_end, b"trak") else {
            break;
        };
        track(content, trak, trak_end, info);
        at = trak_end;
    }
    let Some((udta, udta_end)) = find_box(content, moov, moov_end, b"udta") else {
        return;
    };
    // QuickTime and Android write ISO 6709 text (©xyz); 3GPP and ffmpeg's
    // MP4 a binary point (loci).
    for (kind, parse, name) in [
        (b"\xa9xyz", xyz as fn(&[u8]) -> Option<Position>, "©xyz"),
        (b"loci", loci, "loci"),
    ] {
        if let Some((at, end)) = find_box(content, udta, udta_end, kind) {
            let len = usize::try_from(end - at).unwrap_or(0).min(512);
            match bytes_at(content, at, len).and_then(|b| parse(&b)) {
                Some(p) => info.position = Some(p),
                None => info.add_note(&format!(
                    "the recording's location ({name}) could not be read"
                )),
            }
            return;
        }
    }
}

/// A `©xyz` body: a length, a language, then ISO 6709 text.
fn xyz(body: &[u8]) -> Option<Position> {
    iso6709(body.get(4..)?)
}

/// A 3GPP `loci` body: version and flags, language, a name ending in a
/// zero, a role, then longitude, latitude and altitude in 16.16 fixed point.
fn loci(body: &[u8]) -> Option<Position> {
    let name_end = 6 + body.get(6..)?.iter().position(|&b| b == 0)?;
    let at = name_end + 2;
    let fixed = |i: usize| be32(body, at + 4 * i).map(|v| f64::from(v as i32) / 65536.0);
    let (longitude, latitude, altitude) = (fixed(0)?, fixed(1)?, fixed(2)?);
    if latitude.abs() > 90.0 || longitude.abs() > 180.0 {
        return None;
    }
    let round = |v: f64| (v * 1e4).round() / 1e4;
    Some(Position {
        latitude: round(latitude),
        longitude: round(longitude),
        // loci always has the field; 0 is how writers say "not known".
        altitude: (altitude != 0.0).then(|| round(altitude)),
        accuracy: None,
    })
}

/// The channel count an AAC track's decoder configuration gives (the
/// sample entry's own field is 2 whatever the track holds).
fn aac_channels(entry: &[u8]) -> Option<u32> {
    let at = entry.windows(4).position(|w| w == b"esds")? + 8;
    // Descriptors: a tag, a length in up to four 7-bit bytes, the body.
    let mut i = at;
    let mut want = 0x03;
    while i < entry.len() {
        let tag = *entry.get(i)?;
        i += 1;
        let mut len = 0usize;
        for _ in 0..4 {
            let b = *entry.get(i)?;
            i += 1;
            len = (len << 7) | usize::from(b & 0x7F);
            if b & 0x80 == 0 {
                break;
            }
        }
        match (tag, want) {
            (0x03, 0x03) => {
                let flags = *entry.get(i + 2)?;
                i += 3;
                if flags & 0x80 != 0 {
                    i += 2;
                }
                if flags & 0x40 != 0 {
                    i += 1 + usize::from(*entry.get(i)?);
                }
                if flags & 0x20 != 0 {
                    i += 2;
                }
                want = 0x04;
            }
            (0x04, 0x04) => {
                i += 13;
                want = 0x05;
            }
            (0x05, 0x05) => {
                let config = entry.get(i..i + 2)?;
                let channels = (config[1] >> 3) & 0x0F;
                return (1..=7).contains(&channels).then(|| {
                    if channels == 7 {
                        8
                    } else {
                        u32::from(channels)
                    }
                });
            }
            _ => i += len,
        }
    }
    None
}

/// One track: its handler says whether it is video or sound.
fn track(content: &mut dyn ReadSeek, trak: u64, end: u64, info: &mut MediaInfo) -> Option<()> {
    let (mdia, mdia_end) = find_box(content, trak, end, b"mdia")?;
    let (hdlr, _) = find_box(content, mdia, mdia_end, b"hdlr")?;
    let handler = bytes_at(content, hdlr + 8, 4)?;
    let (minf, minf_end) = find_box(content, mdia, mdia_end, b"minf")?;
    let (stbl, stbl_end) = find_box(content, minf, minf_end, b"stbl")?;
    let (stsd, stsd_end) = find_box(content, stbl, stbl_end, b"stsd")?;
    let entry = bytes_at(
        content,
        stsd + 8,
        usize::try_from(stsd_end.saturating_sub(stsd + 8))
            .ok()?
            .min(256),
    )?;
    let fourcc = entry.get(4..8)?;
    match handler.as_slice() {
        b"vide" if info.video_codec.is_none() => {
            info.video_codec = Some(codec_name(fourcc));
            let (w, h) = (be16(&entry, 32)?, be16(&entry, 34)?);
            let quarter = rotated(content, trak, end).unwrap_or(false);
            let (w, h) = if quarter { (h, w) } else { (w, h) };
            if w > 0 && h > 0 {
                info.width = Some(w.into());
                info.height = Some(h.into());
            }
            info.frame_rate = frame_rate(content, mdia, mdia_end, stbl, stbl_end);
        }
        b"soun" if info.codec.is_none() => {
            info.codec = Some(codec_name(fourcc));
            info.channels = match fourcc {
                b"mp4a" => aac_channels(&entry),
                _ => None,
            }
            .or_else(|| be16(&entry, 24).filter(|c| *c > 0).map(u32::from));
            info.sample_rate = be32(&entry, 32).map(|r| r >> 16).filter(|r| *r > 0);
        }
        _ => {}
    }
    Some(())
}

/// Whether the track's matrix turns it a quarter (phones record portrait
/// video as landscape frames turned by the player).
fn rotated(content: &mut dyn ReadSeek, trak: u64, end: u64) -> Option<bool> {
    let (tkhd, _) = find_box(content, trak, end, b"tkhd")?;
    let version = bytes_at(content, tkhd, 1)?[0];
    // The matrix follows the times, the track id and the layer fields.
    let matrix_at = tkhd + if version == 1 { 52 } else { 40 };
    let m = bytes_at(content, matrix_at, 8)?;
    let (a, b) = (be32(&m, 0)? as i32, be32(&m, 4)? as i32);
    Some(a == 0 && b != 0)
}

/// Frames per second: samples in the time-to-sample table over the media
/// duration.
fn frame_rate(
    content: &mut dyn ReadSeek,
    mdia: u64,
    mdia_end: u64,
    stbl: u64,
    stbl_end: u64,
) -> Option<f64> {
    let (mdhd, _) = find_box(content, mdia, mdia_end, b"mdhd")?;
    let version = bytes_at(content, mdhd, 1)?[0];
    let head = bytes_at(content, mdhd, if version == 1 { 32 } else { 20 })?;
    let (timescale, duration) = if version == 1 {
        (
            be32(&head, 20)?,
            u64::from_be_bytes(head.get(24..32)?.try_into().ok()?),
        )
    } else {
        (be32(&head, 12)?, u64::from(be32(&head, 16)?))
    };
    let (stts, stts_end) = find_box(content, stbl, stbl_end, b"stts")?;
    let count = be32(&bytes_at(content, stts + 4, 4)?, 0)?;
    // Eight bytes an entry; a count beyond the box is a lie.
    let room = (stts_end.saturating_sub(stts + 8)) / 8;
    if u64::from(count) > room || count > 1 << 20 {
        return None;
    }
    let table = bytes_at(content, stts + 8, count as usize * 8)?;
    let samples: u64 = table
        .chunks_exact(8)
        .map(|e| u64::from(be32(e, 0).unwrap_or(0)))
        .sum();
    if timescale == 0 || duration == 0 {
        return None;
    }
    let rate = samples as f64 * f64::from(timescale) / duration as f64;
    (rate.is_finite() && rate > 0.0 && rate < 10_000.0).then(|| (rate * 1000.0).round() / 1000.0)
}

/// An ISO 6709 point (`+37.7858-122.4064+012.345/`), as phones write it.
fn iso6709(bytes: &[u8]) -> Option<Position> {
    let s = std::str::from_utf8(bytes).ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let s = s.strip_suffix('/').unwrap_or(s);
    // Split before each sign.
    let mut parts = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c == '+' || c == '-' {
            if let Some(st) = start {
                parts.push(&s[st..i]);
            }
            start = Some(i);
        }
    }
    parts.push(&s[start?..]);
    let number = |p: &str| p.parse::<f64>().ok().filter(|v| v.is_finite());
    let latitude = number(parts.first()?)?;
    let longitude = number(parts.get(1)?)?;
    if latitude.abs() > 90.0 || longitude.abs() > 180.0 {
        return None;
    }
    Some(Position {
        latitude,
        longitude,
        altitude: parts.get(2).and_then(|p| number(p)),
        accuracy: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso6709_points_as_phones_write_them() {
        let p = iso6709(b"+37.7858-122.4064+012.345/").unwrap();
        assert_eq!(
            (p.latitude, p.longitude, p.altitude),
            (37.7858, -122.4064, Some(12.345))
        );
        let p = iso6709(b"-33.5138+036.2765/").unwrap();
        assert_eq!(
            (p.latitude, p.longitude, p.altitude),
            (-33.5138, 36.2765, None)
        );
        assert!(iso6709(b"+95.0000+036.2765/").is_none());
        assert!(iso6709(b"somewhere").is_none());
        assert!(iso6709(b"").is_none());
    }
}
