//! Looking for withheld names in an item's own bytes, in constant memory.
//!
//! An original is never altered, so a text that names a withheld person
//! cannot be scrubbed: it stops the export. A sender may have written it in
//! any of the encodings documenters meet, so each window of bytes is read
//! both as UTF-8 and as Windows-1252 (a superset of Latin-1 in practice),
//! also as Windows-1251 and KOI8-R when a name is written in Cyrillic, and
//! as UTF-16 when the file says so with a byte-order mark or looks like it
//! (most bytes of one parity are zero). Pictures, sound, video and PDFs are
//! not read: their words are not in their bytes as text.
//!
//! Nor are the stretches of a file that are compressed, encrypted or random:
//! a short pseudonym ("W1") turns up by chance, as a whole word, thousands of
//! times in a gigabyte of random bytes, and such a chance match would stop
//! every export of that item. Each aligned block of [`BLOCK`] bytes holding
//! at least [`RANDOM_DISTINCT`] different byte values is blanked before it is
//! read. Random bytes give 251 in 1024 (spread 2); text in any script and
//! byte encoding (GB18030 Chinese, the busiest, about 190), binary formats
//! that store text as text (old Word and Excel files, SQLite databases), and
//! a block less than about half random give fewer. UTF-16 is not blanked:
//! a name there is two bytes a letter, which chance does not make.

use std::io::{self, Read};

use super::consent::Matcher;
use crate::crypto::stream::read_full;

/// Bytes read at a time: a whole number of blocks.
const WINDOW: usize = 1 << 20;

/// Bytes judged at a time for being random.
const BLOCK: usize = 1024;

/// Distinct byte values from which a block is taken as random: eleven
/// spreads under the 251 of random blocks, far above text's.
const RANDOM_DISTINCT: usize = 228;

/// Whether a block's bytes look compressed, encrypted or random.
fn random_looking(block: &[u8]) -> bool {
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in block {
        if !std::mem::replace(&mut seen[usize::from(b)], true) {
            distinct += 1;
        }
    }
    distinct >= RANDOM_DISTINCT
}

/// Zeroes every whole block of `bytes` that looks random, so nothing is
/// found in it and a zero (no word) stands at its edges.
fn blank_random(bytes: &mut [u8]) {
    for block in bytes.chunks_exact_mut(BLOCK) {
        if random_looking(block) {
            block.fill(0);
        }
    }
}

/// How the bytes are taken to encode text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// UTF-8, and Windows-1252 as well.
    Bytes,
    Utf16Le,
    Utf16Be,
}

/// The encoding the first bytes of a file suggest.
fn sniff(head: &[u8]) -> Encoding {
    match head {
        [0xFF, 0xFE, ..] => return Encoding::Utf16Le,
        [0xFE, 0xFF, ..] => return Encoding::Utf16Be,
        _ => {}
    }
    let pairs = head.len() / 2;
    if pairs < 4 {
        return Encoding::Bytes;
    }
    let zero_at = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    // Latin text in UTF-16 has a zero in nearly every other byte.
    if zero_at(1) * 10 >= pairs * 7 {
        Encoding::Utf16Le
    } else if zero_at(0) * 10 >= pairs * 7 {
        Encoding::Utf16Be
    } else {
        Encoding::Bytes
    }
}

/// Windows-1252: Latin-1 with printable characters where Latin-1 has C1 controls.
fn windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// Length of the longest prefix of `bytes` that ends on a whole UTF-8
/// character, so a character cut by the window is read with the next one.
fn utf8_whole(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=4.min(n) {
        let b = bytes[n - back];
        if b & 0xC0 != 0x80 {
            let width = match b {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if width > back { n - back } else { n };
        }
    }
    n
}

fn utf16(bytes: &[u8], big_endian: bool) -> String {
    let units = bytes.chunks_exact(2).map(|p| {
        if big_endian {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        }
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// The last `n` characters of `text`.
fn tail(text: &str, n: usize) -> String {
    let skip = text.chars().count().saturating_sub(n);
    text.chars().skip(skip).collect()
}

/// The person whose name the text read from `reader` mentions, if any.
/// Reads to the end in windows of a mebibyte, keeping enough of each
/// window's end that a mention across two windows is still seen.
pub fn find_in(m: &Matcher, reader: impl Read) -> io::Result<Option<String>> {
    find(m, reader, true)
}

/// As [`find_in`], for what is all words and numbers by construction (a
/// picture's metadata): nothing is skipped as random, since a thumbnail
/// or colour profile beside a name would otherwise hide it.
pub fn find_in_metadata(m: &Matcher, reader: impl Read) -> io::Result<Option<String>> {
    find(m, reader, false)
}

fn find(m: &Matcher, mut reader: impl Read, skip_random: bool) -> io::Result<Option<String>> {
    if m.is_empty() {
        return Ok(None);
    }
    // The longest mention, plus a character either side for word edges;
    // NFKD can widen one character into several, so keep more than enough.
    let keep = m.longest() * 4 + 8;
    let mut buf = vec![0u8; WINDOW];
    let mut pending: Vec<u8> = Vec::new();
    // Single-byte encodings of Cyrillic read too only when a name needs them:
    // each reading is a pass over the text.
    let cyrillic: &[&'static encoding_rs::Encoding] = if m.has_cyrillic() {
        &[encoding_rs::WINDOWS_1251, encoding_rs::KOI8_R]
    } else {
        &[]
    };
    let mut carried = vec![String::new(); 2 + cyrillic.len()];
    let mut encoding = None;
    loop {
        let n = read_full(&mut reader, &mut buf)?;
        let end = n < WINDOW;
        let enc = *encoding.get_or_insert_with(|| sniff(&buf[..n.min(4096)]));
        if skip_random && enc == Encoding::Bytes {
            blank_random(&mut buf[..n]);
        }
        pending.extend_from_slice(&buf[..n]);
        let whole = match (end, enc) {
            (true, _) => pending.len(),
            (false, Encoding::Bytes) => utf8_whole(&pending),
            (false, _) => pending.len() & !1,
        };
        let bytes: Vec<u8> = pending.drain(..whole).collect();
        let readings: Vec<String> = match enc {
            Encoding::Bytes => [
                String::from_utf8_lossy(&bytes).into_owned(),
                windows_1252(&bytes),
            ]
            .into_iter()
            .chain(
                cyrillic
                    .iter()
                    .map(|e| e.decode_without_bom_handling(&bytes).0.into_owned()),
            )
            .collect(),
            Encoding::Utf16Le => vec![utf16(&bytes, false)],
            Encoding::Utf16Be => vec![utf16(&bytes, true)],
        };
        for (carry, reading) in carried.iter_mut().zip(readings) {
            let text = std::mem::take(carry) + &reading;
            if let Some(person) = m.find(&text) {
                return Ok(Some(person.to_string()));
            }
            *carry = tail(&text, keep);
        }
        if end {
            return Ok(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Matcher {
        Matcher::new([("p1", "Zoë Hassan"), ("p2", "Ali")])
    }

    fn found(bytes: &[u8]) -> Option<String> {
        find_in(&m(), bytes).unwrap()
    }

    #[test]
    fn cyrillic_in_its_byte_encodings() {
        let ivan = Matcher::new([("W1", "Иван")]);
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Иван был там");
        let (koi8, _, _) = encoding_rs::KOI8_R.encode("там был ИВАН.");
        assert_eq!(find_in(&ivan, &cp1251[..]).unwrap().as_deref(), Some("W1"));
        assert_eq!(find_in(&ivan, &koi8[..]).unwrap().as_deref(), Some("W1"));
        let (other, _, _) = encoding_rs::WINDOWS_1251.encode("Пётр был там");
        assert_eq!(find_in(&ivan, &other[..]).unwrap(), None);
    }

    #[test]
    fn every_encoding_a_sender_may_use() {
        assert_eq!(
            found("and Zoë Hassan said".as_bytes()).as_deref(),
            Some("p1")
        );
        assert_eq!(found(b"and Zo\xeb Hassan said").as_deref(), Some("p1"));
        let le: Vec<u8> = "\u{feff}she met Ali there"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(found(&le).as_deref(), Some("p2"));
        let be: Vec<u8> = "she met Ali there, and nobody else at all"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(found(&be).as_deref(), Some("p2"));
        assert_eq!(found(b"nobody named here, Alice or Bali"), None);
    }

    #[test]
    fn a_mention_across_two_windows_is_seen() {
        for cut in [WINDOW - 5, WINDOW - 4, WINDOW - 1, WINDOW, WINDOW + 1] {
            let mut text = vec![b' '; cut];
            text.extend_from_slice("Zoë Hassan ".as_bytes());
            text.extend(std::iter::repeat_n(b'x', 100));
            assert_eq!(found(&text).as_deref(), Some("p1"), "cut at {cut}");
        }
    }

    /// Deterministic bytes that pass for random (xorshift).
    fn noise(len: usize, mut seed: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn chance_matches_in_random_bytes_are_not_names() {
        let w1 = Matcher::new([("w1", "W1")]);
        let mut bytes = noise(4 << 20, 7);
        // The name as a whole word at a thousand places in random bytes.
        for at in (0..bytes.len() - 4).step_by(4099) {
            bytes[at..at + 4].copy_from_slice(b"\x00W1\x00");
        }
        assert_eq!(find_in(&w1, &bytes[..]).unwrap(), None);
        // The same name in a statement kept inside random bytes is found.
        let mut doc = noise(1 << 20, 9);
        doc.extend_from_slice(&b"Statement of W1, taken at the office. ".repeat(20));
        doc.extend(noise(1 << 20, 11));
        assert_eq!(find_in(&w1, &doc[..]).unwrap().as_deref(), Some("w1"));
    }

    #[test]
    fn text_in_any_script_is_never_taken_for_random() {
        // The busiest byte encodings of text stay far under the threshold.
        let mut seed = 3u64;
        let cjk: String = (0..4096)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                char::from_u32(0x4E00 + ((seed >> 33) as u32 % 0x51A6)).unwrap()
            })
            .collect();
        for block in cjk.as_bytes().chunks_exact(BLOCK) {
            assert!(!random_looking(block));
        }
        assert!(noise(BLOCK * 64, 5).chunks_exact(BLOCK).all(random_looking));
    }

    #[test]
    fn windows_1252_and_utf8_cuts() {
        assert_eq!(windows_1252(b"\x80\xe9"), "€é");
        let s = "aé€😀".as_bytes();
        for n in 0..=s.len() {
            let w = utf8_whole(&s[..n]);
            assert!(std::str::from_utf8(&s[..w]).is_ok(), "{n}");
        }
    }
}
