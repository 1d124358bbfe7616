//! One line of text turned into positioned glyphs: characters given to the
//! first font that has them, the bidirectional algorithm run (so Arabic
//! reads right to left inside a Latin line, and the reverse), and each run
//! shaped with HarfBuzz's rules (rustybuzz), so Arabic letters join.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use rustybuzz::{Direction, Face, Script, ShapePlan, UnicodeBuffer, script};
use unicode_bidi::{BidiInfo, Level};

use super::TypesetError;
use super::fonts::{Fonts, Style};

/// A run of glyphs in one font and one direction, ready to draw.
pub(crate) struct Run {
    pub(crate) font: Font,
    pub(crate) text: String,
    pub(crate) glyphs: Vec<KrillaGlyph>,
    /// Width in ems.
    pub(crate) width: f32,
}

/// A line laid out in visual order, left to right.
pub(crate) struct Shaped {
    pub(crate) runs: Vec<Run>,
    /// Width in ems.
    pub(crate) width: f32,
    /// The paragraph's own direction is right to left (it is set flush right).
    pub(crate) rtl: bool,
}

struct Loaded<'a> {
    face: Face<'a>,
    font: Font,
}

/// The faces of every font, parsed once.
pub(crate) struct Shaper<'a> {
    regular: Vec<Loaded<'a>>,
    bold: Vec<Loaded<'a>>,
    widths: HashMap<(Style, String), f32>,
    /// Shaping plans by style, face, direction and script: making one
    /// costs far more than shaping a word with it, and a report shapes
    /// every word.
    plans: RefCell<HashMap<(Style, usize, bool, Script), ShapePlan>>,
}

fn loaded(fonts: &Fonts, style: Style) -> Vec<Loaded<'_>> {
    fonts
        .files(style)
        .iter()
        .filter_map(|f| {
            Some(Loaded {
                face: Face::from_slice(&f.bytes, f.index)?,
                font: Font::new(f.bytes.clone().into(), f.index)?,
            })
        })
        .collect()
}

/// Characters that would end a bidi paragraph or draw nothing visible
/// become spaces, so no text a user wrote vanishes from the page; the byte
/// order mark and noncharacters, which PDF/A forbids a glyph to stand for,
/// are dropped; private-use characters (which mean nothing outside their
/// own font) become U+FFFD.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'))
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
                ' '
            } else if matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Whether the paragraph `text` runs right to left: the direction of its
/// first strong character, as the bidirectional algorithm decides it.
pub(crate) fn right_to_left(text: &str) -> bool {
    BidiInfo::new(text, None)
        .paragraphs
        .first()
        .is_some_and(|p| p.level.is_rtl())
}

/// Unicode's default-ignorable characters (joiners, bidi controls,
/// variation selectors…): a font need not have them, the shaper hides them.
fn ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFFA0 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

impl<'a> Shaper<'a> {
    /// The faces of `fonts`; fails when not one regular face can be used.
    pub(crate) fn new(fonts: &'a Fonts) -> Result<Shaper<'a>, TypesetError> {
        let regular = loaded(fonts, Style::Regular);
        if regular.is_empty() {
            return Err(TypesetError::NoFont(
                fonts.paths().first().copied().unwrap_or(""),
            ));
        }
        Ok(Shaper {
            regular,
            bold: loaded(fonts, Style::Bold),
            widths: HashMap::new(),
            plans: RefCell::new(HashMap::new()),
        })
    }

    fn faces(&self, style: Style) -> &[Loaded<'a>] {
        match style {
            Style::Bold if !self.bold.is_empty() => &self.bold,
            _ => &self.regular,
        }
    }

    /// The index of the first face that has `c`; spaces and marks stay in
    /// the face before them so they do not split a run.
    fn face_for(&self, style: Style, c: char, previous: Option<usize>) -> Option<usize> {
        let faces = self.faces(style);
        if let Some(p) = previous
            && (c.is_whitespace() || (faces[p].face.glyph_index(c).is_some() && !c.is_alphabetic()))
        {
            return Some(p);
        }
        faces.iter().position(|f| f.face.glyph_index(c).is_some())
    }

    /// The width of `text` in ems, remembered.
    pub(crate) fn width(&mut self, style: Style, text: &str) -> f32 {
        if let Some(w) = self.widths.get(&(style, text.to_string())) {
            return *w;
        }
        let w = self.shape(style, text, Some(false)).width;
        self.widths.insert((style, text.to_string()), w);
        w
    }

    /// `text` (one line, already cleaned) laid out for drawing, in its
    /// paragraph's direction (`Some(true)` right to left), or in the
    /// direction of its own first strong character when `None`.
    pub(crate) fn shape(&self, style: Style, text: &str, rtl: Option<bool>) -> Shaped {
        let text = self.covered(style, text);
        let base = rtl.map(|r| if r { Level::rtl() } else { Level::ltr() });
        let bidi = BidiInfo::new(&text, base);
        let Some(para) = bidi.paragraphs.first() else {
            return Shaped {
                runs: Vec::new(),
                width: 0.0,
                rtl: false,
            };
        };
        let rtl = para.level.is_rtl();
        let (levels, visual) = bidi.visual_runs(para, para.range.clone());
        let mut runs = Vec::new();
        for range in visual {
            let level_rtl = levels[range.start].is_rtl();
            let mut pieces = self.by_face(style, &text, range);
            if level_rtl {
                pieces.reverse();
            }
            for (face, piece) in pieces {
                runs.push(self.run(style, face, &text[piece], level_rtl));
            }
        }
        let width = runs.iter().map(|r| r.width).sum();
        Shaped { runs, width, rtl }
    }

    /// `text` with every character no font has replaced by U+FFFD, so no
    /// glyph is the empty .notdef box (PDF/A forbids it) and the reader
    /// sees that something could not be drawn.
    fn covered(&self, style: Style, text: &str) -> String {
        let faces = self.faces(style);
        text.chars()
            .map(|c| {
                if c.is_whitespace()
                    || ignorable(c)
                    || faces.iter().any(|f| f.face.glyph_index(c).is_some())
                {
                    c
                } else {
                    '\u{FFFD}'
                }
            })
            .collect()
    }

    /// `range` of `text` cut where the font changes, in logical order.
    fn by_face(&self, style: Style, text: &str, range: Range<usize>) -> Vec<(usize, Range<usize>)> {
        let mut out: Vec<(usize, Range<usize>)> = Vec::new();
        let mut previous = None;
        for (i, c) in text[range.clone()].char_indices() {
            let at = range.start + i;
            let face = self.face_for(style, c, previous).unwrap_or(0);
            match out.last_mut() {
                Some((f, r)) if *f == face => r.end = at + c.len_utf8(),
                _ => out.push((face, at..at + c.len_utf8())),
            }
            previous = Some(face);
        }
        out
    }

    fn run(&self, style: Style, face: usize, text: &str, rtl: bool) -> Run {
        let loaded = &self.faces(style)[face];
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let direction = if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        };
        buffer.set_direction(direction);
        let script = buffer.script();
        let mut plans = self.plans.borrow_mut();
        let plan = plans.entry((style, face, rtl, script)).or_insert_with(|| {
            let known = (script != script::UNKNOWN).then_some(script);
            ShapePlan::new(
                &loaded.face,
                direction,
                known,
                buffer.language().as_ref(),
                &[],
            )
        });
        let output = rustybuzz::shape_with_plan(&loaded.face, plan, buffer);
        let upem = loaded.face.units_per_em() as f32;
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        // A glyph's text is its cluster up to the next cluster in logical
        // order (which comes before it in visual order when right to left).
        let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
        starts.sort_unstable();
        starts.dedup();
        let end_of = |start: usize| {
            starts
                .get(starts.partition_point(|&s| s <= start))
                .copied()
                .unwrap_or(text.len())
        };
        let glyphs: Vec<KrillaGlyph> = infos
            .iter()
            .zip(positions)
            .map(|(info, pos)| {
                let start = info.cluster as usize;
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    pos.x_advance as f32 / upem,
                    pos.x_offset as f32 / upem,
                    pos.y_offset as f32 / upem,
                    pos.y_advance as f32 / upem,
                    start..end_of(start),
                    None,
                )
            })
            .collect();
        let width = glyphs.iter().map(|g| g.x_advance).sum();
        Run {
            font: loaded.font.clone(),
            text: text.to_string(),
            glyphs,
            width,
        }
    }
}
