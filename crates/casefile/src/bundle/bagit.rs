//! BagIt (RFC 8493): reading tag files, checking a bag's conformance the way
//! the reference validator does, and writing manifest lines.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::digest::Alg;
use super::scan::Scanned;
use super::source::safe_relative;

/// The outcome of a conformance check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BagReport {
    /// `BagIt-Version`, if readable.
    pub version: String,
    /// Problems that make the bag invalid, each naming the file (and line).
    pub errors: Vec<String>,
    /// Things worth knowing that do not make it invalid.
    pub warnings: Vec<String>,
    /// bag-info.txt entries in order.
    pub info: Vec<(String, String)>,
    /// Payload files.
    pub payload_files: usize,
    /// Payload bytes.
    pub payload_bytes: u64,
}

impl BagReport {
    /// True when no error was found.
    pub fn valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The first value of a bag-info label (case-insensitive).
    pub fn info_value(&self, label: &str) -> Option<&str> {
        self.info
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(label))
            .map(|(_, v)| v.as_str())
    }
}

/// The approximate size bag-info.txt's `Bag-Size` gives, in binary units
/// (`512 B`, `1.50 KiB`, `1.00 GiB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

/// Percent-encodes what a manifest path may not hold literally (RFC 8493 §2.1.3).
pub fn encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn decode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3).map(str::to_ascii_uppercase);
        match code.as_deref() {
            Some("0D") => out.push('\r'),
            Some("0A") => out.push('\n'),
            Some("25") => out.push('%'),
            _ => {
                out.push('%');
                rest = &rest[i + 1..];
                continue;
            }
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

/// Decodes a tag file in the bag's declared encoding.
fn decode(bytes: &[u8], encoding: &str) -> Result<String, String> {
    match encoding.to_ascii_uppercase().replace('_', "-").as_str() {
        "UTF-8" | "UTF8" => {
            let text = std::str::from_utf8(bytes).map_err(|_| "is not valid UTF-8".to_string())?;
            Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_string())
        }
        "ISO-8859-1" | "LATIN-1" | "LATIN1" | "ISO8859-1" => {
            Ok(bytes.iter().map(|&b| b as char).collect())
        }
        "UTF-16" | "UTF-16LE" | "UTF-16BE" => {
            let (le, body) = match bytes {
                [0xFF, 0xFE, rest @ ..] => (true, rest),
                [0xFE, 0xFF, rest @ ..] => (false, rest),
                _ => (!encoding.eq_ignore_ascii_case("UTF-16BE"), bytes),
            };
            if body.len() % 2 != 0 {
                return Err("is not valid UTF-16".into());
            }
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| {
                    if le {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                })
                .collect();
            String::from_utf16(&units).map_err(|_| "is not valid UTF-16".into())
        }
        other => Err(format!("uses the unsupported encoding {other}")),
    }
}

/// Parses `bagit.txt` strictly: exactly `Label: value`, no BOM, no stray spaces.
fn parse_bagit_txt(bytes: &[u8]) -> Result<(String, String), String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err("bagit.txt starts with a byte-order mark".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "bagit.txt is not UTF-8".to_string())?;
    let mut version = None;
    let mut encoding = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let Some((label, value)) = line.split_once(": ") else {
            return Err(format!("bagit.txt line {}: not `Label: value`", i + 1));
        };
        if label.trim() != label || value.trim() != value || value.is_empty() {
            return Err(format!("bagit.txt line {}: stray whitespace", i + 1));
        }
        match label {
            "BagIt-Version" => version = Some(value.to_string()),
            "Tag-File-Character-Encoding" => encoding = Some(value.to_string()),
            other => return Err(format!("bagit.txt line {}: unknown label {other:?}", i + 1)),
        }
    }
    let version = version.ok_or("bagit.txt has no BagIt-Version")?;
    let ok = version.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    });
    if !ok {
        return Err(format!("bagit.txt: invalid BagIt-Version {version:?}"));
    }
    let encoding = encoding.ok_or("bagit.txt has no Tag-File-Character-Encoding")?;
    Ok((version, encoding))
}

/// Parses `bag-info.txt`: labels, values and indented continuation lines.
fn parse_bag_info(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match out.last_mut() {
                Some((_, v)) => {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                None => {
                    return Err(format!(
                        "bag-info.txt line {}: continuation without a label",
                        i + 1
                    ));
                }
            }
            continue;
        }
        let Some((label, value)) = line.split_once(':') else {
            return Err(format!("bag-info.txt line {}: not `Label: value`", i + 1));
        };
        out.push((label.trim().to_string(), value.trim().to_string()));
    }
    Ok(out)
}

/// One manifest entry with the line it came from.
struct Entry {
    line: usize,
    hash: String,
    path: String,
}

fn parse_manifest(
    name: &str,
    text: &str,
    warnings: &mut Vec<String>,
    errors: &mut Vec<String>,
) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let Some(split) = line.find([' ', '\t']) else {
            errors.push(format!("{name} line {}: no path after the checksum", i + 1));
            continue;
        };
        let hash = line[..split].to_ascii_lowercase();
        let mut path = line[split..].trim_start_matches([' ', '\t']);
        if let Some(p) = path.strip_prefix('*') {
            warnings.push(format!(
                "{name} line {}: `*` before the path (md5sum binary marker)",
                i + 1
            ));
            path = p;
        }
        if path.starts_with("./") {
            warnings.push(format!("{name} line {}: path starts with `./`", i + 1));
        }
        out.push(Entry {
            line: i + 1,
            hash,
            path: decode_path(path),
        });
    }
    out
}

/// The paths a manifest lists, decoded (lines that do not parse are left
/// out: the conformance check reports them).
pub fn manifest_paths(text: &str) -> Vec<String> {
    parse_manifest("", text, &mut Vec::new(), &mut Vec::new())
        .into_iter()
        .map(|e| e.path.strip_prefix("./").unwrap_or(&e.path).to_string())
        .collect()
}

/// A name folded for comparison: Unicode NFC, lower case.
pub fn fold(name: &str) -> String {
    name.nfc().collect::<String>().to_lowercase()
}

const SPECIAL: &[&str] = &[
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    ".Trashes",
    ".Spotlight-V100",
];

/// Checks a scanned bag against RFC 8493 and the conventions the reference
/// validator and the Library of Congress conformance suite hold to.
pub fn check(bag: &Scanned) -> BagReport {
    let mut r = BagReport::default();
    let content = |name: &str| bag.files.get(name).and_then(|f| f.content.as_deref());
    let Some(bagit) = content("bagit.txt") else {
        r.errors
            .push("bagit.txt is missing: this is not a BagIt bag".into());
        return r;
    };
    let (version, encoding) = match parse_bagit_txt(bagit) {
        Ok(v) => v,
        Err(e) => {
            r.errors.push(e);
            return r;
        }
    };
    r.version = version.clone();
    let strict = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0)
        >= 1;
    let text = |name: &str, r: &mut BagReport| -> Option<String> {
        let bytes = content(name)?;
        match decode(bytes, &encoding) {
            Ok(t) => Some(t),
            Err(e) => {
                r.errors.push(format!("{name} {e}"));
                None
            }
        }
    };
    if let Some(info) = text("bag-info.txt", &mut r) {
        match parse_bag_info(&info) {
            Ok(i) => r.info = i,
            Err(e) => r.errors.push(e),
        }
    }

    let payload: BTreeMap<&str, u64> = bag
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("data/"))
        .map(|(p, f)| (p.as_str(), f.size))
        .collect();
    r.payload_files = payload.len();
    r.payload_bytes = payload.values().sum();

    let mut manifests = 0;
    for (name, _) in bag.files.iter().filter(|(n, _)| !n.contains('/')) {
        let (is_tag, alg_name) = if let Some(a) = name.strip_prefix("tagmanifest-") {
            (true, a)
        } else if let Some(a) = name.strip_prefix("manifest-") {
            (false, a)
        } else {
            continue;
        };
        let Some(alg_name) = alg_name.strip_suffix(".txt") else {
            continue;
        };
        let Some(alg) = Alg::from_name(alg_name) else {
            r.warnings.push(format!(
                "{name}: unsupported algorithm {alg_name:?}, not checked"
            ));
            continue;
        };
        let Some(text) = text(name, &mut r) else {
            continue;
        };
        let entries = parse_manifest(name, &text, &mut r.warnings, &mut r.errors);
        if !is_tag {
            manifests += 1;
        }
        let mut listed: HashMap<String, (String, usize)> = HashMap::new();
        for e in entries {
            let path = match safe_relative(&e.path) {
                Ok(p) => p,
                Err(_) => {
                    r.errors.push(format!(
                        "{name} line {}: {:?} lies outside the bag",
                        e.line, e.path
                    ));
                    continue;
                }
            };
            if !is_tag && !path.starts_with("data/") {
                r.errors.push(format!(
                    "{name} line {}: {path:?} is not in the payload folder data/",
                    e.line
                ));
                continue;
            }
            if let Some((prev_hash, prev_line)) = listed.get(&path) {
                if *prev_hash != e.hash {
                    r.errors.push(format!("{name} line {}: {path:?} listed again (line {prev_line}) with another checksum", e.line));
                } else if strict {
                    r.errors
                        .push(format!("{name} line {}: {path:?} listed twice", e.line));
                } else {
                    r.warnings
                        .push(format!("{name} line {}: {path:?} listed twice", e.line));
                }
                continue;
            }
            listed.insert(path.clone(), (e.hash.clone(), e.line));
            // A name missing as written but present up to case or Unicode
            // normalisation is what a case-insensitive system would find.
            let found = bag.files.get(&path).or_else(|| {
                let key = fold(&path);
                let twin = bag.files.keys().find(|k| fold(k) == key)?;
                r.warnings.push(format!(
                    "{name} line {}: {path:?} found only as {twin:?}",
                    e.line
                ));
                bag.files.get(twin)
            });
            match found {
                None => r.errors.push(format!(
                    "{name} line {}: {path:?} is missing from the bag",
                    e.line
                )),
                Some(f) => match f.digests.get(&alg) {
                    Some(d) if *d == e.hash => {}
                    Some(_) => r.errors.push(format!(
                        "{name} line {}: {path:?} does not match its {} checksum",
                        e.line,
                        alg.name()
                    )),
                    None => r.errors.push(format!(
                        "{name} line {}: {path:?} could not be hashed",
                        e.line
                    )),
                },
            }
        }
        if !is_tag {
            let listed_folded: std::collections::HashSet<String> =
                listed.keys().map(|k| fold(k)).collect();
            for p in payload.keys() {
                if !listed.contains_key(*p) && !listed_folded.contains(&fold(p)) {
                    r.errors
                        .push(format!("{p:?} is in the payload but not in {name}"));
                }
            }
            let mut folded: HashMap<String, &str> = HashMap::new();
            for p in listed.keys() {
                if let Some(other) = folded.insert(fold(p), p) {
                    r.warnings.push(format!(
                        "{name}: {other:?} and {p:?} differ only by case or Unicode normalisation"
                    ));
                }
            }
        }
    }
    if manifests == 0 {
        r.errors
            .push("the bag has no payload manifest (manifest-<algorithm>.txt)".into());
    }
    for p in payload.keys() {
        let base = p.rsplit('/').next().unwrap_or(p);
        if SPECIAL.contains(&base) || base.starts_with("._") {
            r.warnings.push(format!("{p:?} is a system file"));
        }
    }
    if let Some(fetch) = text("fetch.txt", &mut r) {
        for (i, line) in fetch.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let mut parts = line.splitn(3, [' ', '\t']);
            let (_, _, path) = (parts.next(), parts.next(), parts.next());
            match path.map(|p| safe_relative(p.trim())) {
                Some(Ok(p)) if p.starts_with("data/") => {}
                _ => r.errors.push(format!(
                    "fetch.txt line {}: path lies outside the payload folder",
                    i + 1
                )),
            }
        }
    }
    if let Some(oxum) = r.info_value("Payload-Oxum").map(str::to_string) {
        let expected = format!("{}.{}", r.payload_bytes, r.payload_files);
        if oxum != expected {
            r.errors.push(format!(
                "bag-info.txt: Payload-Oxum is {oxum} but the payload holds {expected}"
            ));
        }
    }
    r
}

/// One payload file for the manifests: its path in the bag, both digests, its size.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PayloadFile {
    /// Path in the bag (`data/...`).
    pub path: String,
    /// SHA-256, hex.
    pub sha256: String,
    /// SHA-512, hex.
    pub sha512: String,
    /// Size in bytes.
    pub size: u64,
}

/// The tag files of a bag Casefile writes, computed before any file is.
#[derive(Debug, Clone)]
pub struct TagFiles {
    /// `bagit.txt`.
    pub bagit: String,
    /// `bag-info.txt`.
    pub bag_info: String,
    /// `manifest-sha256.txt`.
    pub manifest256: String,
    /// `manifest-sha512.txt`.
    pub manifest512: String,
    /// `tagmanifest-sha256.txt`: what the seal signs.
    pub tag256: String,
    /// `tagmanifest-sha512.txt`.
    pub tag512: String,
}

impl TagFiles {
    /// Manifests from the payload's known digests and bag-info.txt from
    /// `info` (label, value) with Payload-Oxum and Bag-Size added; then the
    /// tag manifests over the four.
    pub fn new(payload: &mut [PayloadFile], info: &[(&str, String)]) -> TagFiles {
        payload.sort();
        let manifest = |pick: fn(&PayloadFile) -> &str| {
            payload
                .iter()
                .map(|p| format!("{}  {}\n", pick(p), encode_path(&p.path)))
                .collect::<String>()
        };
        let manifest256 = manifest(|p| &p.sha256);
        let manifest512 = manifest(|p| &p.sha512);
        let bytes: u64 = payload.iter().map(|p| p.size).sum();
        let one_line = |s: &str| s.replace(['\r', '\n'], " ");
        let mut bag_info = String::new();
        for (label, value) in info {
            bag_info.push_str(&format!("{label}: {}\n", one_line(value)));
        }
        bag_info.push_str(&format!(
            "Payload-Oxum: {bytes}.{}\nBag-Size: {}\n",
            payload.len(),
            human_size(bytes)
        ));
        let bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_string();
        let tags = [
            ("bagit.txt", &bagit),
            ("bag-info.txt", &bag_info),
            ("manifest-sha256.txt", &manifest256),
            ("manifest-sha512.txt", &manifest512),
        ];
        let tagmanifest = |alg: Alg| {
            tags.iter()
                .map(|(n, t)| format!("{}  {n}\n", super::digest::hex_digest(alg, t.as_bytes())))
                .collect::<String>()
        };
        let tag256 = tagmanifest(Alg::Sha256);
        let tag512 = tagmanifest(Alg::Sha512);
        TagFiles {
            bagit,
            bag_info,
            manifest256,
            manifest512,
            tag256,
            tag512,
        }
    }

    /// The tag files in the order a bag is written, with their names.
    pub fn files(&self) -> [(&'static str, &str); 6] {
        [
            ("bagit.txt", &self.bagit),
            ("bag-info.txt", &self.bag_info),
            ("manifest-sha256.txt", &self.manifest256),
            ("manifest-sha512.txt", &self.manifest512),
            ("tagmanifest-sha256.txt", &self.tag256),
            ("tagmanifest-sha512.txt", &self.tag512),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_encoding_round_trips() {
        let p = "data/a%b\r\nc.txt";
        assert_eq!(encode_path(p), "data/a%25b%0D%0Ac.txt");
        assert_eq!(decode_path(&encode_path(p)), p);
        assert_eq!(decode_path("data/%7Etest1.txt"), "data/%7Etest1.txt");
        assert_eq!(decode_path("data/%test2.txt"), "data/%test2.txt");
    }

    #[test]
    fn bagit_txt_is_strict() {
        assert!(
            parse_bagit_txt(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n").is_ok()
        );
        assert!(
            parse_bagit_txt(b"BagIt-Version: 0.97\r\nTag-File-Character-Encoding: UTF-8").is_ok()
        );
        assert!(
            parse_bagit_txt(b"BagIt-Version : 1.0\nTag-File-Character-Encoding : UTF-8\n").is_err()
        );
        assert!(
            parse_bagit_txt(b"BagIt-Version: .97\nTag-File-Character-Encoding: UTF-8\n").is_err()
        );
        assert!(
            parse_bagit_txt(
                b"\xef\xbb\xbfBagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n"
            )
            .is_err()
        );
        assert!(parse_bagit_txt(b"BagIt-Version: 0.97\n").is_err());
    }
}
