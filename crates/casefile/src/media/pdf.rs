//! Facts about a PDF, read as a PDF reader reads it: through the
//! cross-reference data (object streams and incremental updates included)
//! to the page tree and the document information, by lopdf; and the dates
//! of the XMP packet, which PDF 2.0 prefers and many producers alone write.
//!
//! The document's author and title are not kept: they often name a person,
//! and a fact that names a person would have to be weighed for consent.

use super::{MediaInfo, clean_text};

/// Fills `info` with the PDF's version, pages, dates, producing software
/// and whether it is encrypted; what cannot be read becomes a note.
pub(super) fn read(bytes: &[u8], info: &mut MediaInfo) {
    info.pdf_version = header_version(bytes);
    let meta = match lopdf::Document::load_metadata_mem(bytes) {
        Ok(meta) => meta,
        Err(e) => {
            info.add_note(&format!(
                "the PDF's structure could not be read ({e}); no page count"
            ));
            return;
        }
    };
    if meta.encrypted {
        info.encrypted = Some(true);
    }
    let locked = meta.encrypted && meta.page_count == 0 && meta.producer.is_none();
    if locked {
        info.add_note(
            "the PDF is encrypted with a password: its pages and document information cannot be read without it",
        );
    } else if meta.page_count == 0 {
        info.add_note("the PDF's page tree could not be read; no page count");
    } else {
        info.pages = Some(meta.page_count);
    }
    if meta.xref_recovery.is_some() {
        info.add_note(
            "the PDF's cross-reference data is damaged and was rebuilt by scanning the file; an earlier revision's objects may have been read",
        );
    }
    let xmp = xmp_packet(bytes);
    let from_xmp = |property| {
        xmp.and_then(|x| xmp_value(x, property))
            .and_then(clean_text)
    };
    info.software = meta
        .producer
        .as_deref()
        .and_then(clean_text)
        .or_else(|| from_xmp("pdf:Producer"));
    info.made_with = meta
        .creator
        .as_deref()
        .and_then(clean_text)
        .or_else(|| from_xmp("xmp:CreatorTool"));
    let mut notes = Vec::new();
    info.created_at = meta
        .creation_date
        .as_deref()
        .and_then(|d| pdf_date(d, "creation date", &mut notes))
        .or_else(|| xmp.and_then(|x| xmp_date(x, "CreateDate")));
    info.modified_at = meta
        .modification_date
        .as_deref()
        .and_then(|d| pdf_date(d, "modification date", &mut notes))
        .or_else(|| xmp.and_then(|x| xmp_date(x, "ModifyDate")));
    for note in notes {
        info.add_note(&note);
    }
}

/// The version in the `%PDF-` header, when it is one.
fn header_version(bytes: &[u8]) -> Option<String> {
    let rest = bytes.strip_prefix(b"%PDF-")?;
    let v: String = rest
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .map(|&b| char::from(b))
        .collect();
    (!v.is_empty()).then_some(v)
}

/// A PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, every part after the year
/// optional) as `YYYY-MM-DDTHH:MM:SS[+HH:MM]`.
fn pdf_date(raw: &str, what: &str, notes: &mut Vec<String>) -> Option<String> {
    let s = raw.trim();
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let rest = &s[digits.len()..];
    let part = |from: usize, len: usize, default: u32| -> Option<u32> {
        match digits.get(from..from + len) {
            Some(p) => p.parse().ok(),
            None if digits.len() <= from => Some(default),
            None => None,
        }
    };
    let fields = (
        part(0, 4, 0),
        part(4, 2, 1),
        part(6, 2, 1),
        part(8, 2, 0),
        part(10, 2, 0),
        part(12, 2, 0),
    );
    let valid = match fields {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) => {
            (digits.len() >= 4 && digits.len() <= 14 && y > 0)
                .then_some((y, mo, d, h, mi, se))
                .filter(|_| {
                    (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && se <= 60
                })
        }
        _ => None,
    };
    let offset = offset(rest);
    let (Some((y, mo, d, h, mi, se)), Some(offset)) = (valid, offset) else {
        notes.push(format!(
            "the PDF's {what} \"{}\" is not a valid time and is left out",
            raw.chars().take(40).collect::<String>()
        ));
        return None;
    };
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}{offset}"
    ))
}

/// The offset after a PDF date's digits: nothing, `Z`, or `+HH'mm'`.
fn offset(rest: &str) -> Option<String> {
    let rest = rest.trim_end_matches('\'');
    match rest.chars().next() {
        None => Some(String::new()),
        Some('Z') if rest[1..].chars().all(|c| "0'".contains(c)) => Some("+00:00".into()),
        Some(sign @ ('+' | '-')) => {
            let nums: Vec<u32> = rest[1..]
                .split('\'')
                .filter(|p| !p.is_empty())
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()?;
            match nums.as_slice() {
                [h] if *h <= 14 => Some(format!("{sign}{h:02}:00")),
                [h, m] if *h <= 14 && *m < 60 => Some(format!("{sign}{h:02}:{m:02}")),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The last XMP packet in the file (an incremental update appends a new
/// one), as text.
fn xmp_packet(bytes: &[u8]) -> Option<&str> {
    const OPEN: &[u8] = b"<x:xmpmeta";
    const CLOSE: &[u8] = b"</x:xmpmeta>";
    let start = bytes.windows(OPEN.len()).rposition(|w| w == OPEN)?;
    let len = bytes[start..]
        .windows(CLOSE.len())
        .position(|w| w == CLOSE)?;
    std::str::from_utf8(&bytes[start..start + len]).ok()
}

/// A property of the packet (`pdf:Producer`), written as an attribute or
/// an element, as it stands (entities are left as written).
fn xmp_value<'a>(packet: &'a str, name: &str) -> Option<&'a str> {
    let attribute = format!("{name}=\"");
    let element = format!("<{name}>");
    let value = if let Some(at) = packet.find(&attribute) {
        let v = &packet[at + attribute.len()..];
        &v[..v.find('"')?]
    } else {
        let at = packet.find(&element)?;
        let v = &packet[at + element.len()..];
        &v[..v.find('<')?]
    };
    Some(value.trim())
}

/// An `xmp:` date of the packet, when it is an ISO 8601 date; fractions of
/// a second are dropped.
fn xmp_date(packet: &str, name: &str) -> Option<String> {
    let v = xmp_value(packet, &format!("xmp:{name}"))?;
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10))
    {
        return None;
    }
    let (main, zone) = match v.get(10..) {
        Some(t) if t.starts_with('T') => {
            let end = t[1..].find(['Z', '+', '-']).map_or(t.len(), |i| i + 1);
            let clock = t[1..end].split('.').next().unwrap_or_default();
            let clock = if clock.len() == 5 {
                format!("{clock}:00")
            } else {
                clock.to_string()
            };
            (
                format!("{}T{clock}", &v[..10]),
                t[end..].replace('Z', "+00:00"),
            )
        }
        _ => (v[..10].to_string(), String::new()),
    };
    Some(main + &zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_in_every_form_producers_write() {
        let mut notes = Vec::new();
        let mut d = |s| pdf_date(s, "creation date", &mut notes);
        assert_eq!(
            d("D:20240501140322+03'00'").as_deref(),
            Some("2024-05-01T14:03:22+03:00")
        );
        assert_eq!(
            d("D:20240501140322+03'00").as_deref(),
            Some("2024-05-01T14:03:22+03:00")
        );
        assert_eq!(
            d("D:20240501140322Z").as_deref(),
            Some("2024-05-01T14:03:22+00:00")
        );
        assert_eq!(
            d("D:20240501140322Z00'00'").as_deref(),
            Some("2024-05-01T14:03:22+00:00")
        );
        assert_eq!(d("D:2024050114").as_deref(), Some("2024-05-01T14:00:00"));
        assert_eq!(d("20240501").as_deref(), Some("2024-05-01T00:00:00"));
        assert_eq!(d("D:2024").as_deref(), Some("2024-01-01T00:00:00"));
        assert_eq!(d("D:20241301000000"), None);
        assert_eq!(d("yesterday"), None);
        assert_eq!(d("D:2024050114032+03'00'"), None);
        assert_eq!(notes.len(), 3);
        assert!(notes[0].contains("\"D:20241301000000\" is not a valid time"));
    }

    #[test]
    fn xmp_dates_as_attributes_or_elements() {
        let p = r#"<x:xmpmeta><rdf:Description xmp:CreateDate="2024-05-01T14:03:22.120+03:00"/>
            <xmp:ModifyDate>2024-05-02T08:00Z</xmp:ModifyDate>"#;
        assert_eq!(
            xmp_date(p, "CreateDate").as_deref(),
            Some("2024-05-01T14:03:22+03:00")
        );
        assert_eq!(
            xmp_date(p, "ModifyDate").as_deref(),
            Some("2024-05-02T08:00:00+00:00")
        );
        assert_eq!(xmp_date(p, "MetadataDate"), None);
        assert_eq!(xmp_date(r#"xmp:CreateDate="soon""#, "CreateDate"), None);
        assert_eq!(
            xmp_date(r#"xmp:CreateDate="2024-05-01""#, "CreateDate").as_deref(),
            Some("2024-05-01")
        );
    }
}
