//! Typesetting a document as PDF/A-2u by the application itself: text in
//! any script the system fonts cover (shaped, bidirectional), fonts embedded
//! and subset, every glyph mapped back to its characters so the text can be
//! searched and copied. Only what a report needs: headings, paragraphs,
//! lists and label/value rows, on numbered A4 pages.

mod fonts;
mod layout;
mod shape;

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder, Validator};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::{Document, SerializeSettings};

pub use fonts::{Fonts, Style};

use layout::{PAGE_H, PAGE_W};
use shape::Shaper;

/// A piece of a document, in reading order.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// The document's title.
    Title(String),
    /// A section heading, ruled beneath.
    Heading(String),
    /// A heading inside a section.
    Subheading(String),
    /// Running text; `grey` for asides.
    Paragraph {
        /// The text; a line break in it is kept.
        text: String,
        /// Set in grey, as a note.
        grey: bool,
    },
    /// A bulleted list.
    Bullets(Vec<String>),
    /// Label and value rows, the label in a narrow column.
    Fields(Vec<(String, String)>),
}

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TypesetError {
    /// Not even the Latin font is installed.
    #[error("no font to set the PDF in: {0} is missing or unreadable (install fonts-dejavu-core)")]
    NoFont(&'static str),
    /// The PDF library refused the document.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// What the PDF says about itself.
pub struct Info<'a> {
    /// Title in the document's properties.
    pub title: &'a str,
    /// The footer on every page, before "page N of M".
    pub footer: &'a str,
    /// When it was made, RFC 3339 (UTC); stored as the creation date.
    pub created: &'a str,
}

/// `blocks` set on A4 pages as PDF/A-2u. Should the text hold something
/// PDF/A refuses that `clean` did not foresee, the same pages are written as
/// plain PDF rather than not at all.
pub fn pdf(fonts: &Fonts, blocks: &[Block], info: &Info<'_>) -> Result<Vec<u8>, TypesetError> {
    let mut shaper = Shaper::new(fonts)?;
    let (pages, marks) = layout::pages(&mut shaper, blocks);
    let archival = SerializeSettings {
        configuration: ConfigurationBuilder::new()
            .set_validator(Validator::A(Archival::A2_U))
            .finish()
            .map_err(|e| TypesetError::Pdf(format!("{e:?}")))?,
        ..SerializeSettings::default()
    };
    match write(&shaper, &pages, &marks, info, archival) {
        Err(krilla::error::KrillaError::Validation(_)) => {
            write(&shaper, &pages, &marks, info, SerializeSettings::default())
        }
        other => other,
    }
    .map_err(|e| TypesetError::Pdf(format!("{e:?}")))
}

/// The longest title the document's properties hold (PDF strings end at 32,767).
const MAX_TITLE_CHARS: usize = 1000;

fn write(
    shaper: &Shaper<'_>,
    pages: &[layout::Page],
    marks: &[layout::Mark],
    info: &Info<'_>,
    settings: SerializeSettings,
) -> Result<Vec<u8>, krilla::error::KrillaError> {
    let mut doc = Document::new_with(settings);
    let title: String = shape::clean(info.title)
        .chars()
        .take(MAX_TITLE_CHARS)
        .collect();
    let mut meta = Metadata::new()
        .title(title)
        .creator("Casefile".to_string())
        .producer("Casefile".to_string())
        .language("en".to_string());
    if let Some(d) = date(info.created) {
        meta = meta.creation_date(d);
    }
    doc.set_metadata(meta);
    doc.set_outline(outline(marks));
    let count = pages.len();
    let footer = footer_fitting(shaper, info.footer, count);
    let size = PageSettings::from_wh(PAGE_W, PAGE_H).unwrap_or_default();
    for (n, page) in pages.iter().enumerate() {
        let mut p = doc.start_page_with(size.clone());
        let mut surface = p.surface();
        for &(x, y, w) in &page.rules {
            let mut pb = PathBuilder::new();
            if let Some(r) = Rect::from_xywh(x, y, w, 0.6) {
                pb.push_rect(r);
            }
            if let Some(path) = pb.finish() {
                surface.set_fill(Some(fill(150)));
                surface.draw_path(&path);
            }
        }
        for line in &page.lines {
            draw(shaper, &mut surface, line);
        }
        let footer = layout::Line {
            x: FOOTER_X,
            y: PAGE_H - 36.0,
            width: PAGE_W - 2.0 * FOOTER_X,
            size: FOOTER_SIZE,
            style: Style::Regular,
            grey: true,
            text: format!("{footer} · page {} of {count}", n + 1),
            rtl: false,
        };
        draw(shaper, &mut surface, &footer);
        surface.finish();
        p.finish();
    }
    doc.finish()
}

const FOOTER_X: f32 = 56.0;
const FOOTER_SIZE: f32 = 7.5;

/// `text` cut short with an ellipsis where it would push "page N of M"
/// off the page (a case's title can be as long as a paragraph).
fn footer_fitting(shaper: &Shaper<'_>, text: &str, count: usize) -> String {
    let text = shape::clean(text);
    let room = PAGE_W - 2.0 * FOOTER_X;
    let fits = |t: &str| {
        let line = format!("{t} · page {count} of {count}");
        shaper.shape(Style::Regular, &line, Some(false)).width * FOOTER_SIZE <= room
    };
    if fits(&text) {
        return text;
    }
    let chars: Vec<char> = text.chars().collect();
    // The longest prefix that fits, found by halving.
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let t: String = chars[..mid].iter().chain(['…'].iter()).collect();
        if fits(&t) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut t: String = chars[..lo]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string();
    t.push('…');
    t
}

/// The bookmarks: each section, with the headings inside it beneath.
fn outline(marks: &[layout::Mark]) -> Outline {
    let mut outline = Outline::new();
    let mut section: Option<OutlineNode> = None;
    for m in marks {
        let node = OutlineNode::new(
            m.title.clone(),
            XyzDestination::new(m.page, Point::from_xy(0.0, m.y)),
        );
        match (m.level, section.as_mut()) {
            (2, Some(s)) => s.push_child(node),
            _ => {
                if let Some(s) = section.take() {
                    outline.push_child(s);
                }
                section = Some(node);
            }
        }
    }
    if let Some(s) = section {
        outline.push_child(s);
    }
    outline
}

fn fill(grey: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(grey, grey, grey).into(),
        ..Fill::default()
    }
}

fn draw(shaper: &Shaper<'_>, surface: &mut krilla::surface::Surface<'_>, line: &layout::Line) {
    let shaped = shaper.shape(line.style, &line.text, Some(line.rtl));
    let width = shaped.width * line.size;
    let mut x = if shaped.rtl {
        line.x + (line.width - width).max(0.0)
    } else {
        line.x
    };
    surface.set_fill(Some(fill(if line.grey { 85 } else { 20 })));
    for run in &shaped.runs {
        surface.draw_glyphs(
            Point::from_xy(x, line.y),
            &run.glyphs,
            run.font.clone(),
            &run.text,
            line.size,
            false,
        );
        x += run.width * line.size;
    }
}

/// An RFC 3339 UTC time as the PDF's date.
fn date(rfc3339: &str) -> Option<DateTime> {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()?
        .to_offset(time::UtcOffset::UTC);
    Some(
        DateTime::new(u16::try_from(t.year()).ok()?)
            .month(t.month() as u8)
            .day(t.day())
            .hour(t.hour())
            .minute(t.minute())
            .second(t.second())
            .utc_offset_hour(0)
            .utc_offset_minute(0),
    )
}
