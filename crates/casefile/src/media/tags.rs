//! EXIF tags of photos (JPEG, TIFF, PNG, WebP, HEIF) via kamadak-exif.
//!
//! Real collections hold phones and editors that write EXIF slightly wrong,
//! so this reads as forgivingly as exiftool: a damaged directory costs only
//! the tags inside it, signed rationals are taken where rationals belong,
//! and every value left out is named in a note rather than dropped silently.

use std::io::Cursor;

use exif::{Exif, Field, In, Tag, Value};

use super::{MediaInfo, Position, damage};

/// Fills `info` with what the photo's EXIF block says, and notes what of it
/// could not be read. A photo without EXIF leaves `info` as it was.
pub(super) fn read_exif(bytes: &[u8], info: &mut MediaInfo) {
    let mut notes = Vec::new();
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    let exif = match reader.read_from_container(&mut Cursor::new(bytes)) {
        Ok(exif) => Tags {
            exif,
            lost: Vec::new(),
        },
        Err(exif::Error::PartialResult(partial)) => {
            let (exif, _) = partial.into_inner();
            salvage(&reader, exif, &mut notes)
        }
        Err(exif::Error::NotFound(_)) => return,
        Err(e) => {
            info.add_note(&format!("the EXIF metadata could not be read ({e})"));
            return;
        }
    };
    info.make = text(&exif, Tag::Make);
    info.model = text(&exif, Tag::Model);
    info.software = text(&exif, Tag::Software);
    info.orientation = orientation(&exif, &mut notes);
    info.captured_at = time(
        &exif,
        Tag::DateTimeOriginal,
        Tag::OffsetTimeOriginal,
        &mut notes,
    )
    .or_else(|| {
        time(
            &exif,
            Tag::DateTimeDigitized,
            Tag::OffsetTimeDigitized,
            &mut notes,
        )
    });
    // DateTime is when the file was last saved, by the camera or an editor.
    info.modified_at = time(&exif, Tag::DateTime, Tag::OffsetTime, &mut notes)
        .filter(|m| info.captured_at.as_ref() != Some(m));
    info.gps_time = gps_time(&exif, &mut notes);
    info.position = position(&exif, &mut notes);
    for note in notes {
        info.add_note(&note);
    }
}

/// What can be read of a damaged block. A pointer to the Exif or GPS
/// directory written with the wrong type (exiftool follows it all the same)
/// is retyped in a copy and the copy read again; the parts still unreadable
/// are named in `notes`, and whatever the reader took from them is ignored.
fn salvage(reader: &exif::Reader, exif: Exif, notes: &mut Vec<String>) -> Tags {
    let faults = damage::unreadable(exif.buf(), exif.little_endian());
    let mut exif = exif;
    let mut mended = false;
    if let Some(fixed) = damage::retype_pointers(exif.buf(), exif.little_endian()) {
        let again = match reader.read_raw(fixed) {
            Ok(e) => Some(e),
            Err(exif::Error::PartialResult(p)) => Some(p.into_inner().0),
            Err(_) => None,
        };
        if let Some(again) = again {
            exif = again;
            mended = true;
        }
    }
    let (read_anyway, lost): (Vec<_>, Vec<_>) = faults.iter().partition(|f| mended && f.wrong_type);
    // "the GPS directory, whose pointer is empty, could not be read" but
    // "the value of Model could not be read".
    let words = |fs: &[&damage::Fault]| {
        let w = fs
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join("; and ");
        let comma = if w.contains(", wh") { "," } else { "" };
        w + comma
    };
    let mut note = String::from("the EXIF metadata is damaged");
    if !lost.is_empty() {
        note += &format!(": {} could not be read", words(&lost));
    }
    if !read_anyway.is_empty() {
        note += &format!(
            "{} {} was read all the same",
            if lost.is_empty() { ":" } else { ";" },
            words(&read_anyway)
        );
    }
    if faults.is_empty() {
        note += "; the tags that could be read are shown";
    } else {
        note += "; the other tags are shown";
    }
    notes.push(note);
    Tags {
        lost: lost.iter().filter_map(|f| f.lost).collect(),
        exif,
    }
}

/// The tags read, less those of directories that could not be read.
struct Tags {
    exif: Exif,
    lost: Vec<exif::Context>,
}

fn field(exif: &Tags, tag: Tag) -> Option<&Field> {
    if exif.lost.contains(&tag.context()) {
        return None;
    }
    exif.exif.get_field(tag, In::PRIMARY)
}

fn text(exif: &Tags, tag: Tag) -> Option<String> {
    let s = String::from_utf8_lossy(ascii(exif, tag)?);
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!s.is_empty()).then(|| s.to_string())
}

fn ascii(exif: &Tags, tag: Tag) -> Option<&[u8]> {
    match &field(exif, tag)?.value {
        Value::Ascii(parts) => parts.first().map(Vec::as_slice),
        _ => None,
    }
}

/// The numbers of a rational field, signed or not (some phones write GPS
/// as signed rationals), or of an integer field.
fn numbers(exif: &Tags, tag: Tag) -> Option<Vec<f64>> {
    let v: Vec<f64> = match &field(exif, tag)?.value {
        Value::Rational(v) => v.iter().map(|r| r.to_f64()).collect(),
        Value::SRational(v) => v.iter().map(|r| r.to_f64()).collect(),
        Value::Short(v) => v.iter().map(|&n| f64::from(n)).collect(),
        Value::Long(v) => v.iter().map(|&n| f64::from(n)).collect(),
        _ => return None,
    };
    (!v.is_empty()).then_some(v)
}

/// A number that must be finite and within `range`; anything else is left
/// out and said so.
fn checked(
    exif: &Tags,
    tag: Tag,
    what: &str,
    range: std::ops::RangeInclusive<f64>,
    notes: &mut Vec<String>,
) -> Option<f64> {
    let v = *numbers(exif, tag)?.first()?;
    if v.is_finite() && range.contains(&v) {
        Some(v)
    } else {
        notes.push(out_of_range(what, v));
        None
    }
}

fn out_of_range(what: &str, v: f64) -> String {
    if v.is_finite() {
        format!("the {what} recorded ({v}) is out of range and left out")
    } else {
        format!("the {what} recorded has a zero denominator and is left out")
    }
}

fn orientation(exif: &Tags, notes: &mut Vec<String>) -> Option<u32> {
    let o = field(exif, Tag::Orientation)?.value.get_uint(0)?;
    match o {
        1 => None,
        2..=8 => Some(o),
        _ => {
            notes.push(format!(
                "the EXIF orientation recorded ({o}) is not one of 1 to 8; the picture is shown as stored"
            ));
            None
        }
    }
}

/// A date and time field with its offset when recorded, as
/// `YYYY-MM-DDTHH:MM:SS[+HH:MM]`. A blank or all-zero value is the
/// standard's "unknown"; any other unreadable one is noted.
fn time(exif: &Tags, tag: Tag, offset_tag: Tag, notes: &mut Vec<String>) -> Option<String> {
    let raw = ascii(exif, tag)?;
    if raw.iter().all(|&b| matches!(b, b'0' | b':' | b' ' | b'\0')) {
        return None;
    }
    let parsed = exif::DateTime::from_ascii(raw).ok().filter(|dt| {
        (1..=12).contains(&dt.month)
            && (1..=31).contains(&dt.day)
            && dt.hour <= 23
            && dt.minute <= 59
            && dt.second <= 60
    });
    let Some(mut dt) = parsed else {
        notes.push(format!(
            "{tag} \"{}\" is not a valid time and is left out",
            String::from_utf8_lossy(raw).trim_end_matches('\0')
        ));
        return None;
    };
    if let Some(offset) = ascii(exif, offset_tag)
        && !offset.iter().all(|&b| matches!(b, b' ' | b':' | b'\0'))
    {
        if valid_offset(offset) {
            let _ = dt.parse_offset(offset);
        } else {
            notes.push(format!(
                "{offset_tag} \"{}\" is not a time zone offset and is left out",
                String::from_utf8_lossy(offset).trim_end_matches('\0')
            ));
        }
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

/// Whether an EXIF offset (`+03:00`) is one the world uses: at most 14
/// hours, minutes under 60.
fn valid_offset(raw: &[u8]) -> bool {
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    match raw {
        [b'+' | b'-', h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()) =>
        {
            let hours = (h1 - b'0') * 10 + (h2 - b'0');
            let minutes = (m1 - b'0') * 10 + (m2 - b'0');
            hours <= 14 && minutes < 60
        }
        _ => false,
    }
}

/// The satellites' UTC time of the fix: GPSDateStamp with GPSTimeStamp.
/// Unlike the camera's clock it does not depend on the device's settings.
fn gps_time(exif: &Tags, notes: &mut Vec<String>) -> Option<String> {
    let date = String::from_utf8_lossy(ascii(exif, Tag::GPSDateStamp)?).into_owned();
    let hms = numbers(exif, Tag::GPSTimeStamp)?;
    let date = date.trim_end_matches('\0').trim();
    let valid_date = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b':',
            _ => b.is_ascii_digit(),
        });
    let (h, m, s) = match hms.as_slice() {
        [h, m, s, ..] => (*h, *m, *s),
        _ => (f64::NAN, 0.0, 0.0),
    };
    let valid_time =
        (0.0..24.0).contains(&h) && (0.0..60.0).contains(&m) && (0.0..61.0).contains(&s);
    if !valid_date || !valid_time || date.starts_with("0000") {
        notes.push(format!(
            "the GPS time recorded ({date} {}) is not a valid time and is left out",
            hms.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(":")
        ));
        return None;
    }
    Some(format!(
        "{}T{:02}:{:02}:{:02}Z",
        date.replace(':', "-"),
        h as u32,
        m as u32,
        s as u32
    ))
}

/// Degrees from one to three numbers (degrees, minutes, seconds), signed
/// by the reference letter as exiftool does: the letter gives the
/// hemisphere whatever the sign of a signed rational, and without a letter
/// the value's own sign stands. Minutes or seconds of 60 or more are not a
/// position.
fn degrees(
    exif: &Tags,
    tag: Tag,
    reference: Tag,
    letters: [u8; 2],
    what: &str,
    notes: &mut Vec<String>,
) -> Option<Option<f64>> {
    let dms = numbers(exif, tag)?;
    // Exactly 60 is a writer's rounding (exiftool writes 37.15 as 37 8 60).
    if let Some(bad) = dms.iter().skip(1).take(2).find(|v| v.abs() > 60.0) {
        notes.push(format!(
            "the {what} recorded has {bad} minutes or seconds and is left out with the position"
        ));
        return Some(None);
    }
    let value: f64 = dms
        .iter()
        .take(3)
        .zip([1.0, 60.0, 3600.0])
        .map(|(v, unit)| v / unit)
        .sum();
    Some(Some(match ascii(exif, reference).and_then(|r| r.first()) {
        Some(&c) if c.eq_ignore_ascii_case(&letters[1]) => -value.abs(),
        Some(&c) if c.eq_ignore_ascii_case(&letters[0]) => value.abs(),
        None => value,
        Some(&c) => {
            notes.push(format!(
                "the {what} reference \"{}\" is neither {} nor {}; the value's own sign is used",
                char::from(c).escape_default(),
                char::from(letters[0]),
                char::from(letters[1])
            ));
            value
        }
    }))
}

fn position(exif: &Tags, notes: &mut Vec<String>) -> Option<Position> {
    let latitude = degrees(
        exif,
        Tag::GPSLatitude,
        Tag::GPSLatitudeRef,
        *b"NS",
        "GPS latitude",
        notes,
    );
    let longitude = degrees(
        exif,
        Tag::GPSLongitude,
        Tag::GPSLongitudeRef,
        *b"EW",
        "GPS longitude",
        notes,
    );
    let (latitude, longitude) = match (latitude, longitude) {
        (None, None) | (Some(None), _) | (_, Some(None)) => return None,
        (Some(Some(lat)), Some(Some(lon))) => (lat, lon),
        _ => {
            notes.push(
                "the GPS position is incomplete (latitude or longitude missing) and is left out"
                    .into(),
            );
            return None;
        }
    };
    for (what, v, limit) in [
        ("GPS latitude", latitude, 90.0),
        ("GPS longitude", longitude, 180.0),
    ] {
        if !(v.is_finite() && v.abs() <= limit) {
            notes.push(out_of_range(what, v) + " with the position");
            return None;
        }
    }
    let below_sea = matches!(
        field(exif, Tag::GPSAltitudeRef).and_then(|f| f.value.get_uint(0)),
        Some(1)
    );
    // From the Dead Sea shore to above any aircraft's ceiling.
    let altitude = checked(exif, Tag::GPSAltitude, "GPS altitude", -1e5..=1e5, notes)
        .map(|a| if below_sea { -a.abs() } else { a });
    let accuracy = checked(
        exif,
        Tag::GPSHPositioningError,
        "GPS accuracy",
        0.0..=1e7,
        notes,
    );
    Some(Position {
        latitude,
        longitude,
        altitude,
        accuracy,
    })
}
