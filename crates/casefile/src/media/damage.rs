//! Naming what is wrong in a damaged EXIF (TIFF) block, so a note can say
//! which part could not be read, and repairing the one fault exiftool reads
//! through: a directory pointer written with the wrong type.
//!
//! Works on a copy of the block only; the original file is never altered.

use exif::{Context, Tag};

/// Directories reached from the first one, with what they hold.
const POINTERS: [(u16, Context, &str); 2] = [
    (
        0x8769,
        Context::Exif,
        "the Exif directory (capture time, exposure)",
    ),
    (0x8825, Context::Gps, "the GPS directory (position)"),
];

/// Bytes of one value of each TIFF type (0: unknown type).
fn unit(typ: u16) -> usize {
    match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => 0,
    }
}

/// Types a pointer may have and still be followed.
fn followed(typ: u16) -> bool {
    matches!(typ, 1 | 3 | 4)
}

/// Reads a TIFF block's integers in its byte order, bounds-checked.
struct Block<'a> {
    buf: &'a [u8],
    le: bool,
}

/// One 12-byte directory entry.
struct Entry {
    at: usize,
    tag: u16,
    typ: u16,
    count: u32,
    value: u32,
}

impl Block<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.buf.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.buf.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// The entries of the directory at `at`, as far as the block holds
    /// them, and whether it holds them all (with the next-directory link).
    fn entries(&self, at: usize) -> (Vec<Entry>, bool) {
        let Some(count) = self.u16(at) else {
            return (Vec::new(), false);
        };
        let mut entries = Vec::new();
        for i in 0..usize::from(count) {
            let e = at + 2 + 12 * i;
            let (Some(tag), Some(typ), Some(n), Some(value)) = (
                self.u16(e),
                self.u16(e + 2),
                self.u32(e + 4),
                self.u32(e + 8),
            ) else {
                return (entries, false);
            };
            entries.push(Entry {
                at: e,
                tag,
                typ,
                count: n,
                value,
            });
        }
        let whole = self.u32(at + 2 + 12 * usize::from(count)).is_some();
        (entries, whole)
    }

    /// Why the directory a pointer names cannot be read, if it cannot.
    fn pointer_fault(&self, e: &Entry, seen: &[usize]) -> Option<&'static str> {
        if !followed(e.typ) {
            return Some("whose pointer has the wrong type");
        }
        if e.count != 1 {
            return Some("whose pointer has the wrong count");
        }
        let at = e.value as usize;
        if at == 0 {
            Some("whose pointer is empty")
        } else if seen.contains(&at) {
            Some("whose pointer leads back to a directory already read")
        } else if self.u16(at).is_none() {
            Some("whose pointer leads outside the metadata")
        } else if !self.entries(at).1 {
            Some("which runs past the end of the metadata")
        } else {
            None
        }
    }

    /// Tags of a directory whose values lie outside the block.
    fn values_outside(&self, ctx: Context, entries: &[Entry], out: &mut Vec<String>) {
        for e in entries {
            let len = unit(e.typ).checked_mul(e.count as usize);
            let fits = match len {
                None => false,
                Some(n) if n <= 4 => true,
                Some(n) => (e.value as usize)
                    .checked_add(n)
                    .is_some_and(|end| end <= self.buf.len()),
            };
            if !fits {
                out.push(format!("the value of {}", Tag(ctx, e.tag)));
            }
        }
    }
}

/// A part of a damaged block that cannot be read as it stands.
pub(super) struct Fault {
    /// What it is and why, in words.
    pub text: String,
    /// The directory lost with it, whose tags (if the reader found any)
    /// are not to be believed.
    pub lost: Option<Context>,
    /// A pointer of the wrong type, which [`retype_pointers`] mends.
    pub wrong_type: bool,
}

/// The parts of a damaged block that cannot be read, each with why: the
/// Exif and GPS directories, and any tag whose value lies outside the block.
pub(super) fn unreadable(buf: &[u8], le: bool) -> Vec<Fault> {
    let fault = |text: String| Fault {
        text,
        lost: None,
        wrong_type: false,
    };
    let b = Block { buf, le };
    let Some(first) = b.u32(4).map(|o| o as usize) else {
        return vec![fault("the whole metadata (it is cut short)".into())];
    };
    let (entries, whole) = b.entries(first);
    let mut texts = Vec::new();
    if !whole {
        texts
            .push("the end of the first directory, which runs past the end of the metadata".into());
    }
    b.values_outside(Context::Tiff, &entries, &mut texts);
    let mut out: Vec<Fault> = texts.drain(..).map(fault).collect();
    let mut seen = vec![first];
    for (tag, ctx, part) in POINTERS {
        let Some(e) = entries.iter().find(|e| e.tag == tag) else {
            continue;
        };
        match b.pointer_fault(e, &seen) {
            Some(why) => out.push(Fault {
                text: format!("{part}, {why}"),
                lost: Some(ctx),
                wrong_type: !followed(e.typ),
            }),
            None => {
                seen.push(e.value as usize);
                let (inner, _) = b.entries(e.value as usize);
                b.values_outside(ctx, &inner, &mut texts);
                out.extend(texts.drain(..).map(fault));
                if ctx == Context::Exif
                    && let Some(interop) = inner.iter().find(|e| e.tag == 0xA005)
                    && let Some(why) = b.pointer_fault(interop, &seen)
                {
                    out.push(fault(format!("the interoperability directory, {why}")));
                }
            }
        }
    }
    // The first directory's link to the next one (the thumbnail's).
    let next_at = first + 2 + 12 * entries.len();
    if whole && let Some(next) = b.u32(next_at).filter(|n| *n != 0) {
        let link = Entry {
            at: next_at,
            tag: 0,
            typ: 4,
            count: 1,
            value: next,
        };
        if let Some(why) = b.pointer_fault(&link, &seen) {
            out.push(fault(format!("the thumbnail directory (IFD1), {why}")));
        }
    }
    out
}

/// A copy of the block in which each pointer of the wrong type whose value
/// is held in the entry itself is made an ordinary LONG, as exiftool reads
/// it; `None` when there is no such pointer.
pub(super) fn retype_pointers(buf: &[u8], le: bool) -> Option<Vec<u8>> {
    let b = Block { buf, le };
    let first = b.u32(4)? as usize;
    let mut fixed = None::<Vec<u8>>;
    for e in b.entries(first).0 {
        let inline = unit(e.typ)
            .checked_mul(e.count as usize)
            .is_some_and(|n| (1..=4).contains(&n));
        if POINTERS.iter().any(|(t, ..)| *t == e.tag) && !followed(e.typ) && inline {
            let copy = fixed.get_or_insert_with(|| buf.to_vec());
            let (typ, count) = if le {
                (4u16.to_le_bytes(), 1u32.to_le_bytes())
            } else {
                (4u16.to_be_bytes(), 1u32.to_be_bytes())
            };
            copy[e.at + 2..e.at + 4].copy_from_slice(&typ);
            copy[e.at + 4..e.at + 8].copy_from_slice(&count);
        }
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IFD0 (Make "Ab", a GPS pointer), then a GPS directory of one entry.
    fn block() -> Vec<u8> {
        let mut b = b"II*\0\x08\0\0\0".to_vec();
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&[0x0F, 0x01, 2, 0, 3, 0, 0, 0, b'A', b'b', 0, 0]);
        b.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&[1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
        b.extend_from_slice(&0u32.to_le_bytes());
        b
    }

    #[test]
    fn a_whole_block_has_no_fault_and_any_damage_is_survived() {
        assert!(unreadable(&block(), true).is_empty());
        assert!(retype_pointers(&block(), true).is_none());
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let mut b = block();
            for _ in 0..3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed % b.len() as u64) as usize;
                b[at] = (seed >> 32) as u8;
            }
            b.truncate(b.len() - (seed >> 60) as usize);
            let _ = unreadable(&b, true);
            let _ = unreadable(&b, false);
            if let Some(fixed) = retype_pointers(&b, true) {
                assert_eq!(fixed.len(), b.len());
            }
            let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
            jpeg.extend_from_slice(&((b.len() + 8) as u16).to_be_bytes());
            jpeg.extend_from_slice(b"Exif\0\0");
            jpeg.extend_from_slice(&b);
            jpeg.extend_from_slice(&[0xFF, 0xD9]);
            let mut info = crate::media::MediaInfo::default();
            super::super::tags::read_exif(&jpeg, &mut info);
        }
    }
}
