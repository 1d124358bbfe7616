//! Basic facts about documents and recordings, read from their headers.

use std::io::{Read, Seek, SeekFrom};

use super::MediaInfo;

/// Channels, sample rate and duration of a RIFF/WAVE file.
pub(super) fn wav(content: &mut dyn ReadSeek, info: &mut MediaInfo) {
    let mut riff = [0u8; 12];
    if content.read_exact(&mut riff).is_err() || &riff[..4] != b"RIFF" || &riff[8..] != b"WAVE" {
        return;
    }
    let mut byte_rate = 0u32;
    for _ in 0..64 {
        let mut header = [0u8; 8];
        if content.read_exact(&mut header).is_err() {
            return;
        }
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        match &header[..4] {
            b"fmt " if len >= 16 => {
                let mut fmt = [0u8; 16];
                if content.read_exact(&mut fmt).is_err() {
                    return;
                }
                info.channels = Some(u16::from_le_bytes([fmt[2], fmt[3]]).into());
                info.sample_rate = Some(u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]));
                byte_rate = u32::from_le_bytes([fmt[8], fmt[9], fmt[10], fmt[11]]);
                let skip = i64::from(len - 16 + (len & 1));
                if content.seek(SeekFrom::Current(skip)).is_err() {
                    return;
                }
            }
            b"data" => {
                if byte_rate > 0 {
                    info.duration = Some(f64::from(len) / f64::from(byte_rate));
                }
                return;
            }
            _ => {
                if content
                    .seek(SeekFrom::Current(i64::from(len) + i64::from(len & 1)))
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Readers that can also seek.
pub(super) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Seconds between 1904-01-01 (the MP4 epoch) and 1970-01-01.
const MP4_EPOCH_OFFSET: i64 = 2_082_844_800;

/// Duration and creation time of an ISO media file (MP4, MOV, M4A, 3GP),
/// from the movie header box, and its tracks and place (see `movie`).
pub(super) fn mp4(content: &mut dyn ReadSeek, size: u64, info: &mut MediaInfo) {
    let Some((moov, moov_end)) = find_box(content, 0, size, b"moov") else {
        return;
    };
    super::movie::read(content, moov, moov_end, info);
    let Some((mvhd, _)) = find_box(content, moov, moov_end, b"mvhd") else {
        return;
    };
    if content.seek(SeekFrom::Start(mvhd)).is_err() {
        return;
    }
    let mut head = [0u8; 4];
    if content.read_exact(&mut head).is_err() {
        return;
    }
    let (created, timescale, duration) = if head[0] == 1 {
        let mut b = [0u8; 28];
        if content.read_exact(&mut b).is_err() {
            return;
        }
        (
            u64::from_be_bytes(b[0..8].try_into().unwrap_or_default()),
            u32::from_be_bytes(b[16..20].try_into().unwrap_or_default()),
            u64::from_be_bytes(b[20..28].try_into().unwrap_or_default()),
        )
    } else {
        let mut b = [0u8; 16];
        if content.read_exact(&mut b).is_err() {
            return;
        }
        (
            u32::from_be_bytes(b[0..4].try_into().unwrap_or_default()).into(),
            u32::from_be_bytes(b[8..12].try_into().unwrap_or_default()),
            u32::from_be_bytes(b[12..16].try_into().unwrap_or_default()).into(),
        )
    };
    if timescale > 0 {
        info.duration = Some(duration as f64 / f64::from(timescale));
    }
    if created > 0
        && let Ok(secs) = i64::try_from(created)
        && let Ok(at) = time::OffsetDateTime::from_unix_timestamp(secs - MP4_EPOCH_OFFSET)
        && let Ok(s) = at.format(&time::format_description::well_known::Rfc3339)
    {
        info.captured_at = Some(s);
    }
}

/// Finds a box of type `kind` among the boxes in `[start, end)`; returns
/// where its body starts and where it ends.
pub(super) fn find_box(
    content: &mut dyn ReadSeek,
    start: u64,
    end: u64,
    kind: &[u8; 4],
) -> Option<(u64, u64)> {
    let mut at = start;
    for _ in 0..4096 {
        if at + 8 > end {
            return None;
        }
        content.seek(SeekFrom::Start(at)).ok()?;
        let mut header = [0u8; 8];
        content.read_exact(&mut header).ok()?;
        let mut len = u64::from(u32::from_be_bytes(header[..4].try_into().ok()?));
        let mut body = at + 8;
        if len == 1 {
            let mut large = [0u8; 8];
            content.read_exact(&mut large).ok()?;
            len = u64::from_be_bytes(large);
            body += 8;
        } else if len == 0 {
            len = end - at;
        }
        let box_end = at.checked_add(len)?;
        if len < body - at || box_end > end {
            return None;
        }
        if &header[4..] == kind {
            return Some((body, box_end));
        }
        at = box_end;
    }
    None
}

/// True when a JPEG's segments and scans run through to the end-of-image
/// marker. Decoders fill a truncated scan with grey without complaint, so a
/// cut-off photo would otherwise get a preview that is partly invented.
pub(super) fn jpeg_complete(bytes: &[u8]) -> bool {
    let mut at = 2; // after SOI
    while at + 2 <= bytes.len() {
        if bytes[at] != 0xFF {
            return false;
        }
        let marker = bytes[at + 1];
        match marker {
            0xD9 => return true,
            0xFF => at += 1,
            0x01 | 0xD0..=0xD7 => at += 2,
            _ if at + 4 > bytes.len() => return false,
            _ => {
                let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
                at += 2 + len;
                if marker == 0xDA {
                    // Entropy-coded data: a marker is an FF not followed by 00 or a restart.
                    while at + 1 < bytes.len() && !is_marker(bytes[at], bytes[at + 1]) {
                        at += 1;
                    }
                }
            }
        }
    }
    false
}

/// Inside scan data, FF 00 is an escaped FF and FF D0–D7 a restart; any other
/// FF xx is the next marker.
fn is_marker(a: u8, b: u8) -> bool {
    a == 0xFF && !matches!(b, 0x00 | 0xD0..=0xD7)
}
