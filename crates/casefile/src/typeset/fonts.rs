//! The fonts a PDF is set in: the system's DejaVu Sans (Latin, Greek,
//! Cyrillic, Arabic, Hebrew) and Noto Sans CJK (Chinese, Japanese, Korean),
//! each character drawn with the first of them that has it. Both come from
//! Debian packages the .deb depends on; they are embedded (subset) in the
//! PDF, so a reader needs none of them.

use std::io::Read;
use std::sync::Arc;

use rustybuzz::Face;

use super::TypesetError;

/// A font file bigger than this is not read (Noto Sans CJK is about 20 MB).
const MAX_FONT_BYTES: u64 = 64 << 20;

/// The weight a piece of text is set in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Style {
    /// Body text.
    Regular,
    /// Headings and labels.
    Bold,
}

/// Where each weight's fonts are looked for, in fallback order. The CJK
/// collection's simplified-Chinese face is chosen by name.
const REGULAR: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];
const BOLD: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

/// One face of a font file, held in memory.
pub(crate) struct FontFile {
    pub(crate) bytes: Arc<Vec<u8>>,
    pub(crate) index: u32,
    pub(crate) path: &'static str,
}

/// The font files found on this system, by weight, in fallback order.
pub struct Fonts {
    pub(crate) regular: Vec<FontFile>,
    pub(crate) bold: Vec<FontFile>,
}

impl Fonts {
    /// The fonts installed on this system. Fails only when there is no Latin
    /// font at all; a missing CJK font leaves those characters as U+FFFD.
    pub fn system() -> Result<Fonts, TypesetError> {
        let regular = load_all(REGULAR);
        let mut bold = load_all(BOLD);
        if regular.is_empty() {
            return Err(TypesetError::NoFont(REGULAR[0]));
        }
        if bold.is_empty() {
            bold = load_all(REGULAR);
        }
        Ok(Fonts { regular, bold })
    }

    pub(crate) fn files(&self, style: Style) -> &[FontFile] {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    /// The path of every font file in use, for messages and tests.
    pub fn paths(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .regular
            .iter()
            .chain(&self.bold)
            .map(|f| f.path)
            .collect();
        v.dedup();
        v
    }
}

fn load_all(paths: &[&'static str]) -> Vec<FontFile> {
    paths.iter().filter_map(|p| load(p)).collect()
}

/// A font file read whole (bounded) and its face chosen; `None` when it is
/// missing, too big or not a font.
fn load(path: &'static str) -> Option<FontFile> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_FONT_BYTES + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_FONT_BYTES {
        return None;
    }
    let count = rustybuzz::ttf_parser::fonts_in_collection(&bytes).unwrap_or(1);
    let index = (0..count)
        .find(|&i| {
            Face::from_slice(&bytes, i).is_some_and(|f| {
                f.names().into_iter().any(|n| {
                    n.name_id == rustybuzz::ttf_parser::name_id::FULL_NAME
                        && n.to_string().is_some_and(|s| s.contains(" SC"))
                })
            })
        })
        .unwrap_or(0);
    Face::from_slice(&bytes, index)?;
    Some(FontFile {
        bytes: Arc::new(bytes),
        index,
        path,
    })
}
