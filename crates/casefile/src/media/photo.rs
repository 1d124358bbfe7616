//! Decoding pictures (oriented as they are meant to be seen) and thumbnails.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::MediaError;

/// Longest side of a thumbnail, pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// Most bytes a decoded picture may take (its pixels, before orientation):
/// with the oriented copy and the thumbnail, adding or redacting any
/// picture stays under 512 MiB. A 50-megapixel RGB photo takes 150 MiB.
pub const MAX_DECODED_BYTES: u64 = 192 << 20;
/// Longest side decoded, whatever the memory (the formats allow 65,535 or more).
pub const MAX_SIDE: u32 = 30_000;

/// Decodes an image and applies its EXIF orientation.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, MediaError> {
    if super::heif::is_heif(bytes) {
        return super::heif::decode(bytes);
    }
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
    limits.max_alloc = Some(MAX_DECODED_BYTES + (16 << 20));
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| MediaError::Decode(e.to_string()))?;
    // The header's dimensions decide before any pixel memory is taken: a
    // 69-byte PNG may declare 100,000 x 100,000 pixels.
    let (w, h) = decoder.dimensions();
    within_bounds(w, h, decoder.color_type().bytes_per_pixel())?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| MediaError::Decode(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Refuses a picture of `w`×`h` pixels of `bytes_per_pixel` that would pass
/// [`MAX_SIDE`] or [`MAX_DECODED_BYTES`] once decoded.
pub(super) fn within_bounds(w: u32, h: u32, bytes_per_pixel: u8) -> Result<(), MediaError> {
    let bytes = u64::from(w) * u64::from(h) * u64::from(bytes_per_pixel);
    if w > MAX_SIDE || h > MAX_SIDE || bytes > MAX_DECODED_BYTES {
        return Err(MediaError::TooLarge {
            width: w,
            height: h,
        });
    }
    Ok(())
}

fn unsupported(bytes: &[u8]) -> String {
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some(m) => format!("{m} pictures cannot be decoded by this version"),
        None => "the picture's format is not recognised".to_string(),
    }
}

/// A JPEG no larger than [`THUMBNAIL_SIDE`] on either side.
pub fn thumbnail(image: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    // `thumbnail` would also enlarge a picture smaller than the target.
    let small = if image.width().max(image.height()) > THUMBNAIL_SIDE {
        flatten(image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    } else {
        flatten(image.clone())
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(out)
}

/// The picture as RGB, its transparent pixels laid on white as a viewer
/// shows them: dropping the alpha channel instead would bring back whatever
/// the transparent pixels hold, which no one saw in the original.
pub fn flatten(image: DynamicImage) -> image::RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    image::RgbImage::from_fn(w, h, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        image::Rgb([on_white(r, a), on_white(g, a), on_white(b, a)])
    })
}

/// One channel `c` of a pixel of opacity `a`, laid on white.
pub(super) fn on_white(c: u8, a: u8) -> u8 {
    let (c, a) = (u16::from(c), u16::from(a));
    ((c * a + 255 * (255 - a) + 127) / 255) as u8
}
