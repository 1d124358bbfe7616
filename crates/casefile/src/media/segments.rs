//! The parts of a JPEG that are not its pictures' compressed data: every
//! marker segment (EXIF, XMP, IPTC, comments, maker notes, ICC profiles)
//! and whatever follows the end of the image. What a person wrote into a
//! photo is there, and only there; the compressed data would match a short
//! name by chance.

use std::io::{self, BufReader, Read};

use crate::crypto::stream::read_full as read_some;

/// The metadata bytes of the JPEG read from `r`, segment after segment, or
/// None when they exceed `most` bytes. A file that does not begin as a JPEG
/// is returned whole, as all of it may be words.
pub fn jpeg_metadata(r: impl Read, most: usize) -> io::Result<Option<Vec<u8>>> {
    let mut r = BufReader::new(r);
    let mut out = Vec::new();
    let mut head = [0u8; 2];
    let got = read_some(&mut r, &mut head)?;
    out.extend_from_slice(&head[..got]);
    if head[..got] != [0xFF, 0xD8] {
        return rest(&mut r, out, most);
    }
    out.clear();
    let mut next: Option<u8> = None;
    loop {
        let marker = match next.take() {
            Some(m) => m,
            None => match marker(&mut r, &mut out)? {
                Some(m) => m,
                None => return Ok(Some(out)),
            },
        };
        if out.len() > most {
            return Ok(None);
        }
        match marker {
            0xD9 => return rest(&mut r, out, most),
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let mut len = [0u8; 2];
                if read_some(&mut r, &mut len)? < 2 {
                    return Ok(Some(out));
                }
                let len = usize::from(u16::from_be_bytes(len)).saturating_sub(2);
                if out.len() + len + 1 > most {
                    return Ok(None);
                }
                // Each segment is a text of its own: a word ends with it.
                out.push(b'\n');
                let start = out.len();
                out.resize(start + len, 0);
                let got = read_some(&mut r, &mut out[start..])?;
                out.truncate(start + got);
                if got < len {
                    return Ok(Some(out));
                }
                if marker == 0xDA {
                    next = skip_scan(&mut r)?;
                    if next.is_none() {
                        return Ok(Some(out));
                    }
                }
            }
        }
    }
}

fn byte(r: &mut impl Read) -> io::Result<Option<u8>> {
    let mut b = [0u8; 1];
    Ok((read_some(r, &mut b)? == 1).then_some(b[0]))
}

/// The next marker code, past any fill bytes. Whatever lies between one
/// segment and the next (a segment longer than its length says, bytes
/// slipped in between) goes into `out`: a reader may still show it. Stops
/// adding once `out` is a byte past `most`.
fn marker(r: &mut impl Read, out: &mut Vec<u8>) -> io::Result<Option<u8>> {
    let mut seen_ff = false;
    while let Some(b) = byte(r)? {
        match (seen_ff, b) {
            (_, 0xFF) => seen_ff = true,
            (true, 0x00) => {
                seen_ff = false;
                out.extend_from_slice(&[0xFF, 0x00]);
            }
            (true, m) => return Ok(Some(m)),
            (false, b) => {
                out.push(b);
                if out.len() > MOST_BETWEEN && out.len().is_multiple_of(MOST_BETWEEN) {
                    // The caller checks its bound after each marker; a file of
                    // nothing but stray bytes must still end the walk.
                    return Ok(Some(0x01));
                }
            }
        }
    }
    Ok(None)
}

/// How many stray bytes are read between two checks of the bound.
const MOST_BETWEEN: usize = 1 << 20;

/// Skips compressed picture data up to the marker that ends it; that marker.
fn skip_scan(r: &mut impl Read) -> io::Result<Option<u8>> {
    let mut seen_ff = false;
    while let Some(b) = byte(r)? {
        match (seen_ff, b) {
            (_, 0xFF) => seen_ff = true,
            // Stuffed zero and restart markers belong to the data.
            (true, 0x00 | 0xD0..=0xD7) => seen_ff = false,
            (true, m) => return Ok(Some(m)),
            (false, _) => {}
        }
    }
    Ok(None)
}

/// `out` with the rest of `r` appended, or None past `most` bytes.
fn rest(r: &mut impl Read, mut out: Vec<u8>, most: usize) -> io::Result<Option<Vec<u8>>> {
    let room = most.saturating_sub(out.len()) as u64;
    r.take(room + 1).read_to_end(&mut out)?;
    Ok((out.len() <= most).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_trailer_are_kept_and_picture_data_is_not() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(&[0xFF, 0xFE, 0, 7]);
        jpeg.extend_from_slice(b"hello");
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 4, 1, 2]);
        jpeg.extend_from_slice(b"SCANDATA\xFF\x00MORE\xFF\xD3STILL");
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        jpeg.extend_from_slice(b"after the end");
        let meta = jpeg_metadata(&jpeg[..], 1 << 20).unwrap().unwrap();
        let text = String::from_utf8_lossy(&meta);
        assert!(text.contains("hello") && text.contains("after the end"));
        // Bytes past a segment's stated length are kept.
        let short = b"\xFF\xD8\xFF\xFE\x00\x02by Nightjar\xFF\xD9";
        let meta = jpeg_metadata(&short[..], 1 << 20).unwrap().unwrap();
        assert!(String::from_utf8_lossy(&meta).contains("by Nightjar"));
        assert!(!text.contains("SCANDATA") && !text.contains("MORE") && !text.contains("STILL"));
        assert_eq!(jpeg_metadata(&jpeg[..], 5).unwrap(), None);
        assert_eq!(
            jpeg_metadata(&b"plain words"[..], 100).unwrap().unwrap(),
            b"plain words"
        );
    }
}
