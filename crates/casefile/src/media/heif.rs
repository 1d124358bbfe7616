//! HEIF pictures (HEIC from phones, AVIF) decoded through libheif, the
//! library Debian packages: no maintained pure-Rust decoder exists.

use image::{DynamicImage, RgbImage};
use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

use super::MediaError;
use super::photo::{MAX_DECODED_BYTES, MAX_SIDE};

fn failed(e: libheif_rs::HeifError) -> MediaError {
    // Shown after "the image cannot be decoded: ".
    MediaError::Decode(format!("HEIF: {}", e.message))
}

/// Decodes the primary picture of a HEIF file, turned and mirrored as its
/// own transformations say. Its EXIF orientation is not applied again: in
/// HEIF the container's transformations are the ones that count, and phones
/// write both.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, MediaError> {
    let lib = LibHeif::new_checked().map_err(failed)?;
    let context = HeifContext::read_from_bytes(bytes).map_err(failed)?;
    let handle = context.primary_image_handle().map_err(failed)?;
    // The header decides before any pixel memory is taken, as for the other
    // formats; a grid picture's size is that of the whole.
    let (w, h) = (handle.width(), handle.height());
    if w == 0 || h == 0 {
        return Err(MediaError::Decode(
            "the HEIF picture declares no size".into(),
        ));
    }
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) * 3 > MAX_DECODED_BYTES {
        return Err(MediaError::TooLarge {
            width: w,
            height: h,
        });
    }
    let decoded = lib
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(failed)?;
    let planes = decoded.planes();
    let Some(plane) = planes.interleaved else {
        return Err(MediaError::Decode(
            "the HEIF picture decoded to no pixels".into(),
        ));
    };
    let (pw, ph) = (plane.width, plane.height);
    let row = pw as usize * 3;
    // libheif gives the bits of one channel here.
    if plane.bits_per_pixel != 8 || plane.stride < row {
        return Err(MediaError::Decode(format!(
            "the HEIF picture decoded to an unexpected layout ({} bits per channel)",
            plane.bits_per_pixel
        )));
    }
    let mut rgb = Vec::with_capacity(row * ph as usize);
    for y in 0..ph as usize {
        let start = y * plane.stride;
        let Some(line) = plane.data.get(start..start + row) else {
            return Err(MediaError::Decode(
                "the HEIF picture decoded to fewer rows than it declares".into(),
            ));
        };
        rgb.extend_from_slice(line);
    }
    RgbImage::from_raw(pw, ph, rgb)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(|| MediaError::Decode("the HEIF picture's pixels do not fill it".into()))
}

/// Whether `bytes` begin as a HEIF file (HEIC, HEIF or AVIF) does.
pub fn is_heif(bytes: &[u8]) -> bool {
    matches!(
        infer::get(bytes).map(|t| t.mime_type()),
        Some("image/heif" | "image/heic" | "image/avif")
    )
}
