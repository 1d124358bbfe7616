//! Redacted copies of photos: metadata dropped by re-encoding the pixels
//! alone, chosen regions painted black or blurred beyond recovery.

use std::fmt;
use std::str::FromStr;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::{self, FilterType};
use image::{GenericImageView, ImageEncoder, Rgb, RgbImage};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::{MediaError, photo};

/// Cells on the longer side of a blurred region: all that is kept of it is
/// the average colour of each cell, then smoothed and dithered with noise.
const BLUR_CELLS: u32 = 6;
/// JPEG quality of redacted JPEGs.
const JPEG_QUALITY: u8 = 90;

/// A rectangle in pixels of the picture as displayed (EXIF orientation applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

impl FromStr for Region {
    type Err = MediaError;
    fn from_str(s: &str) -> Result<Self, MediaError> {
        let bad = || {
            MediaError::Region(format!(
                "{s:?} is not a region; write x,y,width,height in pixels, e.g. 10,20,300,200"
            ))
        };
        let parts: Vec<u32> = s
            .split(',')
            .map(|p| p.trim().parse::<u32>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        match parts[..] {
            [x, y, w, h] if w > 0 && h > 0 => Ok(Region { x, y, w, h }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{},{},{}", self.x, self.y, self.w, self.h)
    }
}

/// What to hide in a picture. Metadata is always dropped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Redaction {
    /// Regions painted solid black.
    #[serde(default)]
    pub boxes: Vec<Region>,
    /// Regions blurred beyond recovery.
    #[serde(default)]
    pub blurs: Vec<Region>,
}

/// A redacted picture, encoded.
pub struct Redacted {
    /// The encoded bytes (no metadata of any kind).
    pub bytes: Vec<u8>,
    /// File extension matching the encoding.
    pub extension: &'static str,
    /// Width and height of the result.
    pub size: (u32, u32),
}

impl Redaction {
    /// Applies the redaction to an encoded picture. JPEGs stay JPEG, HEIF
    /// pictures become JPEG; every other format becomes PNG.
    pub fn apply(&self, original: &[u8]) -> Result<Redacted, MediaError> {
        let image = photo::decode(original)?;
        let (width, height) = image.dimensions();
        for r in self.boxes.iter().chain(&self.blurs) {
            if u64::from(r.x) + u64::from(r.w) > u64::from(width)
                || u64::from(r.y) + u64::from(r.h) > u64::from(height)
            {
                return Err(MediaError::Region(format!(
                    "region {r} lies outside the picture ({width}×{height} as displayed)"
                )));
            }
        }
        let mut rgb = photo::flatten(image);
        for r in &self.blurs {
            blur(&mut rgb, r);
        }
        // Painted in place: a box as large as the picture costs no second copy.
        for r in &self.boxes {
            for y in r.y..r.y + r.h {
                for x in r.x..r.x + r.w {
                    rgb.put_pixel(x, y, Rgb([0, 0, 0]));
                }
            }
        }
        // A phone's HEIC becomes a JPEG: what every recipient can open, and
        // what a photograph was.
        let jpeg = image::guess_format(original).ok() == Some(image::ImageFormat::Jpeg)
            || super::heif::is_heif(original);
        let mut bytes = Vec::new();
        let encoded = if jpeg {
            JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY).encode_image(&rgb)
        } else {
            PngEncoder::new(&mut bytes).write_image(
                &rgb,
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )
        };
        encoded.map_err(|e| MediaError::Encode(e.to_string()))?;
        Ok(Redacted {
            bytes,
            extension: if jpeg { "jpg" } else { "png" },
            size: (width, height),
        })
    }
}

/// Replaces a region by a coarse average of itself: nothing finer than a
/// sixth of the region survives, and random noise hides the cell edges.
fn blur(image: &mut RgbImage, r: &Region) {
    let long = r.w.max(r.h);
    let cells_w = (r.w * BLUR_CELLS).div_ceil(long).max(1);
    let cells_h = (r.h * BLUR_CELLS).div_ceil(long).max(1);
    // Shrunk straight from the picture: no copy of the region is made.
    let small = imageops::resize(
        &*image.view(r.x, r.y, r.w, r.h),
        cells_w,
        cells_h,
        FilterType::Triangle,
    );
    let mut smooth = imageops::resize(&small, r.w, r.h, FilterType::Triangle);
    // Noise of ±6 per channel, drawn in bulk: per-sample calls cost a
    // minute on a large picture.
    let mut rng = rand::thread_rng();
    let mut noise = vec![0u8; 64 * 1024];
    for chunk in smooth.chunks_mut(noise.len()) {
        rng.fill_bytes(&mut noise[..chunk.len()]);
        for (c, n) in chunk.iter_mut().zip(&noise) {
            *c = (i16::from(*c) + i16::from(n % 13) - 6).clamp(0, 255) as u8;
        }
    }
    imageops::replace(image, &smooth, r.x.into(), r.y.into());
}
