//! EXIF tags of photos (JPEG, TIFF, PNG, WebP, HEIF) via kamadak-exif.

use std::io::Cursor;

use exif::{Exif, Field, In, Tag, Value};

use super::{MediaInfo, Position};

/// Fills `info` with what the photo's EXIF block says; a photo without one,
/// or with a damaged one, leaves `info` as it was.
pub(super) fn read_exif(bytes: &[u8], info: &mut MediaInfo) {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return;
    };
    info.make = text(&exif, Tag::Make);
    info.model = text(&exif, Tag::Model);
    info.software = text(&exif, Tag::Software);
    info.orientation = field(&exif, Tag::Orientation)
        .and_then(|f| f.value.get_uint(0))
        .filter(|o| (2..=8).contains(o));
    info.captured_at = capture_time(&exif);
    info.position = position(&exif);
}

fn field(exif: &Exif, tag: Tag) -> Option<&Field> {
    exif.get_field(tag, In::PRIMARY)
}

fn text(exif: &Exif, tag: Tag) -> Option<String> {
    match &field(exif, tag)?.value {
        Value::Ascii(parts) => {
            let s = String::from_utf8_lossy(parts.first()?);
            let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            (!s.is_empty()).then(|| s.to_string())
        }
        _ => None,
    }
}

fn ascii(exif: &Exif, tag: Tag) -> Option<&[u8]> {
    match &field(exif, tag)?.value {
        Value::Ascii(parts) => parts.first().map(Vec::as_slice),
        _ => None,
    }
}

/// DateTimeOriginal (else DateTime) with its offset when recorded.
fn capture_time(exif: &Exif) -> Option<String> {
    let (raw, offset_tag) = ascii(exif, Tag::DateTimeOriginal)
        .map(|r| (r, Tag::OffsetTimeOriginal))
        .or_else(|| ascii(exif, Tag::DateTime).map(|r| (r, Tag::OffsetTime)))?;
    let mut dt = exif::DateTime::from_ascii(raw).ok()?;
    if let Some(offset) = ascii(exif, offset_tag) {
        let _ = dt.parse_offset(offset);
    }
    if !(1..=12).contains(&dt.month) || !(1..=31).contains(&dt.day) || dt.hour > 23 {
        return None;
    }
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
    );
    if let Some(minutes) = dt.offset {
        let sign = if minutes < 0 { '-' } else { '+' };
        let m = minutes.unsigned_abs();
        s.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
    }
    Some(s)
}

fn rational(exif: &Exif, tag: Tag) -> Option<f64> {
    match &field(exif, tag)?.value {
        Value::Rational(v) => v.first().map(|r| r.to_f64()).filter(|f| f.is_finite()),
        _ => None,
    }
}

fn degrees(exif: &Exif, tag: Tag, reference: Tag, negative: u8) -> Option<f64> {
    let Value::Rational(dms) = &field(exif, tag)?.value else {
        return None;
    };
    if dms.len() < 3 {
        return None;
    }
    let value = dms[0].to_f64() + dms[1].to_f64() / 60.0 + dms[2].to_f64() / 3600.0;
    let sign = match ascii(exif, reference).and_then(|r| r.first()) {
        Some(&c) if c.eq_ignore_ascii_case(&negative) => -1.0,
        _ => 1.0,
    };
    value.is_finite().then_some(sign * value)
}

fn position(exif: &Exif) -> Option<Position> {
    let latitude = degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let longitude = degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    if latitude.abs() > 90.0 || longitude.abs() > 180.0 {
        return None;
    }
    let below_sea = matches!(
        field(exif, Tag::GPSAltitudeRef).and_then(|f| f.value.get_uint(0)),
        Some(1)
    );
    let altitude = rational(exif, Tag::GPSAltitude).map(|a| if below_sea { -a } else { a });
    Some(Position {
        latitude,
        longitude,
        altitude,
        accuracy: rational(exif, Tag::GPSHPositioningError),
    })
}
