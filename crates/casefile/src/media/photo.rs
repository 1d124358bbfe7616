//! Decoding pictures (oriented as they are meant to be seen) and thumbnails.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::MediaError;

/// Longest side of a thumbnail, pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// Decoding stops beyond this much memory, so a hostile file cannot exhaust it.
const MAX_DECODE_BYTES: u64 = 1 << 30;

/// Decodes an image and applies its EXIF orientation.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, MediaError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(MediaError::Io)?;
    let Some(format) = reader.format() else {
        return Err(MediaError::Unsupported(unsupported(bytes)));
    };
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Tiff
    ) {
        return Err(MediaError::Unsupported(unsupported(bytes)));
    }
    if format == ImageFormat::Jpeg && !super::probe::jpeg_complete(bytes) {
        return Err(MediaError::Decode(
            "the JPEG is truncated or damaged (it stops before its end)".into(),
        ));
    }
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| MediaError::Decode(e.to_string()))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| MediaError::Decode(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn unsupported(bytes: &[u8]) -> String {
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some(m @ ("image/heif" | "image/heic" | "image/avif")) => format!(
            "{m} pictures cannot be decoded by this version (no maintained pure-Rust decoder); \
             the original is kept unchanged and can be extracted"
        ),
        Some(m) => format!("{m} pictures cannot be decoded by this version"),
        None => "the picture's format is not recognised".to_string(),
    }
}

/// A JPEG no larger than [`THUMBNAIL_SIDE`] on either side.
pub fn thumbnail(image: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    // `thumbnail` would also enlarge a picture smaller than the target.
    let small = if image.width().max(image.height()) > THUMBNAIL_SIDE {
        image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).into_rgb8()
    } else {
        image.to_rgb8()
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(out)
}
