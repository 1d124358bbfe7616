//! Looking for withheld names in an item's own bytes, in constant memory.
//!
//! An original is never altered, so a text that names a withheld person
//! cannot be scrubbed: it stops the export. A sender may have written it in
//! any of the encodings documenters meet, so each window of bytes is read
//! both as UTF-8 and as Windows-1252 (a superset of Latin-1 in practice), and
//! as UTF-16 when the file says so with a byte-order mark or looks like it
//! (most bytes of one parity are zero). Pictures, sound, video and PDFs are
//! not read: their words are not in their bytes as text.

use std::io::{self, Read};

use super::consent::Matcher;

/// Bytes read at a time.
const WINDOW: usize = 1 << 20;

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
pub fn find_in(m: &Matcher, mut reader: impl Read) -> io::Result<Option<String>> {
    if m.is_empty() {
        return Ok(None);
    }
    // The longest mention, plus a character either side for word edges;
    // NFKD can widen one character into several, so keep more than enough.
    let keep = m.longest() * 4 + 8;
    let mut buf = vec![0u8; WINDOW];
    let mut pending: Vec<u8> = Vec::new();
    let mut carried = [String::new(), String::new()];
    let mut encoding = None;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        pending.extend_from_slice(&buf[..n]);
        let end = n == 0;
        let enc = *encoding.get_or_insert_with(|| sniff(&pending[..pending.len().min(4096)]));
        let whole = match (end, enc) {
            (true, _) => pending.len(),
            (false, Encoding::Bytes) => utf8_whole(&pending),
            (false, _) => pending.len() & !1,
        };
        let bytes: Vec<u8> = pending.drain(..whole).collect();
        let readings = match enc {
            Encoding::Bytes => [
                String::from_utf8_lossy(&bytes).into_owned(),
                windows_1252(&bytes),
            ],
            Encoding::Utf16Le => [utf16(&bytes, false), String::new()],
            Encoding::Utf16Be => [utf16(&bytes, true), String::new()],
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
