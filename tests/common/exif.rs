//! EXIF blocks built byte by byte, as damaged as a test needs, inside a
//! small real JPEG.

use std::path::PathBuf;

use super::Env;

/// One value of a directory entry.
pub enum V {
    Ascii(&'static str),
    Rational(Vec<(u32, u32)>),
    SRational(Vec<(i32, i32)>),
    Short(u16),
    /// The offset of directory 1 (Exif) or 2 (GPS), as a LONG.
    Dir(usize),
    /// An entry written as given: type, count, value field.
    Raw(u16, u32, u32),
}

/// A little-endian TIFF block of three directories: the first (IFD0),
/// the Exif one and the GPS one, laid out one after the other with their
/// values behind them.
pub fn tiff(dirs: [Vec<(u16, V)>; 3]) -> Vec<u8> {
    let size = |d: &Vec<(u16, V)>| 2 + 12 * d.len() + 4;
    let at = [8, 8 + size(&dirs[0]), 8 + size(&dirs[0]) + size(&dirs[1])];
    let mut data_at = at[2] + size(&dirs[2]);
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    let mut data = Vec::new();
    for dir in &dirs {
        out.extend_from_slice(&(dir.len() as u16).to_le_bytes());
        for (tag, v) in dir {
            let (typ, count, bytes): (u16, u32, Vec<u8>) = match v {
                V::Ascii(s) => {
                    let mut b = s.as_bytes().to_vec();
                    b.push(0);
                    (2, b.len() as u32, b)
                }
                V::Rational(r) => (
                    5,
                    r.len() as u32,
                    r.iter()
                        .flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()].concat())
                        .collect(),
                ),
                V::SRational(r) => (
                    10,
                    r.len() as u32,
                    r.iter()
                        .flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()].concat())
                        .collect(),
                ),
                V::Short(n) => (3, 1, [n.to_le_bytes(), [0, 0]].concat()),
                V::Dir(k) => (4, 1, (at[*k] as u32).to_le_bytes().to_vec()),
                V::Raw(t, c, value) => (*t, *c, value.to_le_bytes().to_vec()),
            };
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            if bytes.len() <= 4 {
                let mut field = bytes.clone();
                field.resize(4, 0);
                out.extend_from_slice(&field);
            } else {
                out.extend_from_slice(&((data_at) as u32).to_le_bytes());
                data_at += bytes.len();
                data.extend_from_slice(&bytes);
            }
        }
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out.extend_from_slice(&data);
    out
}

/// A small real JPEG carrying `tiff` as its EXIF block (APP1).
pub fn jpeg_with(env: &Env, name: &str, tiff: &[u8]) -> PathBuf {
    let plain = env.path(&format!("{name}.plain.jpg"));
    image::RgbImage::from_pixel(64, 48, image::Rgb([90, 120, 150]))
        .save(&plain)
        .unwrap();
    let jpeg = std::fs::read(&plain).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    let path = env.path(name);
    std::fs::write(&path, out).unwrap();
    path
}
