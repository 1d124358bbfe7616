//! Identifiers and names, each a type that can only hold what its grammar
//! allows. Whatever comes from outside (a bundle, a sheet, a file name on
//! disk) is parsed into one of these at the boundary, so code further in
//! never meets a `../` id, a title that moves the terminal's cursor, or a
//! file name that is a path.
//!
//! Paths Casefile writes are built by [`child`] from one checked component
//! at a time, never by formatting strings into paths.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Why a value does not fit its grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not {what}: {why}")]
pub struct NameError {
    /// What the value was meant to be ("an item id", "a file name").
    pub what: &'static str,
    /// The value, escaped and shortened for a message.
    pub value: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl NameError {
    fn new(what: &'static str, value: &str, why: &'static str) -> Self {
        NameError {
            what,
            value: quoted(value),
            why,
        }
    }
}

/// A value for an error message: quoted, control characters escaped, at
/// most 60 characters.
pub fn quoted(value: &str) -> String {
    let mut shown: String = value.chars().take(60).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// Characters that reorder text on screen (bidirectional overrides and
/// isolates): harmless in prose, misleading in a name.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The alphabet of item and case ids (Crockford's base 32, lower case).
pub const ID_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters in an item or case id.
pub const ID_LEN: usize = 10;

macro_rules! string_type {
    ($(#[$m:meta])* $name:ident, $what:literal, $check:path) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a value, or says why it does not fit.
            pub fn parse(value: &str) -> Result<Self, NameError> {
                match $check(value) {
                    Ok(()) => Ok($name(value.to_string())),
                    Err(why) => Err(NameError::new($what, value, why)),
                }
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, NameError> {
                match $check(&value) {
                    Ok(()) => Ok($name(value)),
                    Err(why) => Err(NameError::new($what, &value, why)),
                }
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
    };
}

fn check_id(s: &str) -> Result<(), &'static str> {
    if s.len() != ID_LEN {
        return Err("ids are ten characters");
    }
    if !s.bytes().all(|b| ID_ALPHABET.contains(&b)) {
        return Err("ids hold only digits and lower-case letters (no i, l, o, u)");
    }
    Ok(())
}

fn check_sheet_id(s: &str) -> Result<(), &'static str> {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return Err("it is empty");
    };
    if s.len() > 64 {
        return Err("it is longer than 64 characters");
    }
    if !first.is_ascii_alphanumeric() {
        return Err("it must start with a letter or digit");
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
        return Err("it may hold only letters, digits, `_`, `.` and `-`");
    }
    Ok(())
}

fn check_file_name(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("it is empty");
    }
    if s.len() > 255 {
        return Err("it is longer than 255 bytes");
    }
    if s == "." || s == ".." {
        return Err("it names a folder, not a file");
    }
    if s.contains(['/', '\\']) {
        return Err("it holds a slash: it is a path, not one name");
    }
    if s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err("it holds a control character");
    }
    if s.chars().any(|c| {
        matches!(
            c,
            '\u{2044}' | '\u{2215}' | '\u{29f8}' | '\u{ff0f}' | '\u{ff3c}' | '\u{fe68}'
        )
    }) {
        return Err("it holds a character that looks like a slash");
    }
    Ok(())
}

fn check_line(s: &str) -> Result<(), &'static str> {
    if s.len() > 4096 {
        return Err("it is longer than 4096 bytes");
    }
    if s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err("it holds a control character or a line break");
    }
    Ok(())
}

fn check_text(s: &str) -> Result<(), &'static str> {
    if s.len() > 1 << 20 {
        return Err("it is longer than 1 MiB");
    }
    if s.chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c))
    {
        return Err("it holds a control character");
    }
    Ok(())
}

fn check_label(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 32 {
        return Err("use 1 to 32 characters");
    }
    if s.starts_with('-') {
        return Err("it must not start with a hyphen");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("use only lowercase letters, digits and hyphens");
    }
    Ok(())
}

string_type!(
    /// A short name the user gives something configured (a remote): 1 to 32
    /// lowercase ASCII letters, digits or hyphens, not starting with one.
    Label,
    "a name",
    check_label
);

string_type!(
    /// An item or case id: ten characters of [`ID_ALPHABET`]. Local ids
    /// are random; a sender's ids are kept apart, never used as local ones.
    Id,
    "an item or case id",
    check_id
);

string_type!(
    /// An id within a case sheet (a perpetrator, person or incident, such as
    /// `P1`, `W1`, `I1`): ASCII letters and digits, `_`, `.`, `-`, at most 64.
    SheetId,
    "a sheet id",
    check_sheet_id
);

string_type!(
    /// One file name: never empty, `.` or `..`, no slash (or lookalike),
    /// backslash, NUL or other control character, at most 255 bytes.
    FileName,
    "a file name",
    check_file_name
);

string_type!(
    /// One line of text (a title, a name): no control characters or line
    /// breaks, at most 4096 bytes.
    #[derive(Default)]
    Line,
    "one line of text",
    check_line
);

string_type!(
    /// Free text (notes, a narrative): lines and tabs, no other control
    /// characters, at most 1 MiB.
    #[derive(Default)]
    Text,
    "text",
    check_text
);

impl Id {
    /// A new random id (50 bits).
    pub fn random() -> Id {
        Id(crate::crypto::random_bytes::<ID_LEN>()
            .iter()
            .map(|b| ID_ALPHABET[(b & 31) as usize] as char)
            .collect())
    }
}

impl FileName {
    /// A file name made safe: every character a file name may not hold
    /// becomes `_`, a leading dot is dropped, and it is cut to `max_chars`.
    /// Never empty (`file`).
    pub fn sanitize(name: &str, max_chars: usize) -> FileName {
        let cleaned: String = name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let short: String = cleaned
            .trim_start_matches('.')
            .chars()
            .take(max_chars)
            .collect();
        if short.is_empty() || short == ".." || short == "." {
            return FileName("file".into());
        }
        FileName(short)
    }
}

/// `dir` joined with one checked name: the only way Casefile builds a path
/// below a folder it writes into.
pub fn child(dir: &Path, name: &FileName) -> PathBuf {
    dir.join(name.as_str())
}

/// `root` joined with a relative path of `/`-separated parts, each of which
/// must be a [`FileName`]; so the result always lies inside `root`.
pub fn inside(root: &Path, relative: &str) -> Result<PathBuf, NameError> {
    let mut out = root.to_path_buf();
    for part in relative.split('/') {
        out = child(&out, &FileName::parse(part)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_fit_their_grammar() {
        assert!(Id::parse("0123456789").is_ok());
        assert!(Id::parse(Id::random().as_str()).is_ok());
        for bad in [
            "",
            "../../../../escape/autostart/evil",
            "0123456789a",
            "012345678",
            "ABCDEFGHJK",
            "01234567/9",
            "0123456\u{0}89",
            "abcdefghil",
        ] {
            assert!(Id::parse(bad).is_err(), "{bad:?}");
        }
        assert!(SheetId::parse("W1").is_ok());
        assert!(SheetId::parse("incident-2024.05_a").is_ok());
        for bad in [
            "",
            "../x",
            "a/b",
            "-x",
            "a b",
            "é",
            "a\u{1b}b",
            &"x".repeat(65),
        ] {
            assert!(SheetId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn file_names_are_one_component() {
        assert!(FileName::parse("photo 1 (copy).jpg").is_ok());
        assert!(FileName::parse("照片.jpg").is_ok());
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "/etc",
            "a\\b",
            "a\u{0}b",
            "a\nb",
            "a\u{2215}b",
            "a\u{ff0f}b",
            "x\u{202e}gpj.exe",
            &"x".repeat(256),
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            FileName::sanitize("../../x y.desktop", 80).as_str(),
            "_.._x_y.desktop"
        );
        assert_eq!(FileName::sanitize("..", 80).as_str(), "file");
        assert_eq!(FileName::sanitize("", 80).as_str(), "file");
    }

    #[test]
    fn paths_stay_inside() {
        let root = Path::new("/out");
        assert_eq!(
            inside(root, "data/evidence/x.jpg").unwrap(),
            Path::new("/out/data/evidence/x.jpg")
        );
        for bad in [
            "../x",
            "data/../../x",
            "/abs",
            "data//x",
            "data/./x",
            "a\\b",
        ] {
            assert!(inside(root, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lines_and_text() {
        assert!(Line::parse("Harmless\u{1b}]0;x\u{7}").is_err());
        assert!(Line::parse("two\nlines").is_err());
        assert!(Line::parse("دليل").is_ok());
        assert!(Text::parse("two\nlines\tand a tab").is_ok());
        assert!(Text::parse("bell\u{7}").is_err());
        assert!(Text::parse("csi\u{9b}2J").is_err());
    }
}
