//! Blocks of text broken into lines and placed on A4 pages: greedy line
//! breaking at spaces, and between any two characters of scripts written
//! without spaces (Chinese, Japanese), or inside a word longer than the
//! line (a hash).

use super::Block;
use super::fonts::Style;
use super::shape::{Shaper, clean, right_to_left};

/// A4 in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
const BOTTOM: f32 = PAGE_H - 64.0;
const BODY: f32 = 9.5;
const LEADING: f32 = 1.4;
const LABEL_W: f32 = 132.0;
const GAP: f32 = 10.0;

/// One line of text at its place: `x` and `width` give the box it is set
/// in (flush left, or flush right when its paragraph is right to left).
pub(crate) struct Line {
    pub(crate) x: f32,
    /// Baseline, from the top of the page.
    pub(crate) y: f32,
    pub(crate) width: f32,
    pub(crate) size: f32,
    pub(crate) style: Style,
    pub(crate) grey: bool,
    pub(crate) text: String,
    /// Its paragraph runs right to left (so every line of it does, not
    /// only those whose first strong character is Arabic).
    pub(crate) rtl: bool,
}

/// One line of a paragraph, and the paragraph's direction.
pub(crate) struct Broken {
    text: String,
    rtl: bool,
}

/// What is drawn on one page.
#[derive(Default)]
pub(crate) struct Page {
    pub(crate) lines: Vec<Line>,
    /// Horizontal rules: (x, y, width).
    pub(crate) rules: Vec<(f32, f32, f32)>,
}

/// Where a heading is, for the PDF's outline (its bookmarks).
pub(crate) struct Mark {
    /// 1 for a section, 2 for a heading inside one.
    pub(crate) level: u8,
    pub(crate) title: String,
    pub(crate) page: usize,
    /// Top of the heading, from the top of the page.
    pub(crate) y: f32,
}

struct Cursor {
    pages: Vec<Page>,
    marks: Vec<Mark>,
    y: f32,
}

impl Cursor {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Room for `height` more points, starting a page when there is not.
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > MARGIN {
            self.pages.push(Page::default());
            self.y = MARGIN;
        }
    }
}

/// Every block laid out, page by page, and where its headings are.
pub(crate) fn pages(shaper: &mut Shaper<'_>, blocks: &[Block]) -> (Vec<Page>, Vec<Mark>) {
    let mut c = Cursor {
        pages: vec![Page::default()],
        marks: Vec::new(),
        y: MARGIN,
    };
    let full = PAGE_W - 2.0 * MARGIN;
    for block in blocks {
        match block {
            Block::Title(t) => heading(shaper, &mut c, t, 17.0, 10.0, 0),
            Block::Heading(t) => {
                heading(shaper, &mut c, t, 13.0, 14.0, 1);
                let y = c.y - 3.0;
                c.page().rules.push((MARGIN, y, full));
                c.y += 3.0;
            }
            Block::Subheading(t) => heading(shaper, &mut c, t, 11.0, 8.0, 2),
            Block::Paragraph { text, grey } => {
                for l in wrap(shaper, Style::Regular, BODY, full, text) {
                    put(&mut c, MARGIN, full, BODY, Style::Regular, *grey, l);
                }
                c.y += BODY * 0.6;
            }
            Block::Bullets(items) => {
                for item in items {
                    let mut first = true;
                    for l in wrap(shaper, Style::Regular, BODY, full - 12.0, item) {
                        if first {
                            c.room(BODY * LEADING);
                            let y = c.y + BODY;
                            c.page().lines.push(Line {
                                x: MARGIN,
                                y,
                                width: 10.0,
                                size: BODY,
                                style: Style::Regular,
                                grey: false,
                                text: "•".into(),
                                rtl: false,
                            });
                            first = false;
                        }
                        put(
                            &mut c,
                            MARGIN + 12.0,
                            full - 12.0,
                            BODY,
                            Style::Regular,
                            false,
                            l,
                        );
                    }
                }
                c.y += BODY * 0.6;
            }
            Block::Fields(rows) => {
                let value_x = MARGIN + LABEL_W + GAP;
                let value_w = full - LABEL_W - GAP;
                for (label, value) in rows {
                    let labels = wrap(shaper, Style::Bold, BODY - 1.0, LABEL_W, label);
                    let values = wrap(shaper, Style::Regular, BODY, value_w, value);
                    // A row's label and its value share each line, so a
                    // page break never parts them; a row of a few lines
                    // (a hash) is kept on one page.
                    let n = labels.len().max(values.len());
                    c.room(BODY * LEADING * n.min(6) as f32);
                    for i in 0..n {
                        c.room(BODY * LEADING);
                        let y = c.y + BODY;
                        let page = c.page();
                        if let Some(l) = labels.get(i) {
                            page.lines.push(Line {
                                x: MARGIN,
                                y,
                                width: LABEL_W,
                                size: BODY - 1.0,
                                style: Style::Bold,
                                grey: true,
                                text: l.text.clone(),
                                rtl: l.rtl,
                            });
                        }
                        if let Some(v) = values.get(i) {
                            page.lines.push(Line {
                                x: value_x,
                                y,
                                width: value_w,
                                size: BODY,
                                style: Style::Regular,
                                grey: false,
                                text: v.text.clone(),
                                rtl: v.rtl,
                            });
                        }
                        c.y += BODY * LEADING;
                    }
                    c.y += 2.5;
                }
                c.y += BODY * 0.8;
            }
        }
    }
    (c.pages, c.marks)
}

/// A heading of `size` points; `level` 1 or 2 puts it in the outline.
fn heading(shaper: &mut Shaper<'_>, c: &mut Cursor, text: &str, size: f32, before: f32, level: u8) {
    let full = PAGE_W - 2.0 * MARGIN;
    let lines = wrap(shaper, Style::Bold, size, full, text);
    // A heading never ends a page: it keeps two lines of what follows.
    c.room(before + size * LEADING * lines.len() as f32 + 2.0 * BODY * LEADING);
    if c.y > MARGIN {
        c.y += before;
    }
    if level > 0 {
        c.marks.push(Mark {
            level,
            title: clean(text),
            page: c.pages.len() - 1,
            y: c.y,
        });
    }
    for l in lines {
        put(c, MARGIN, full, size, Style::Bold, false, l);
    }
    c.y += size * 0.3;
}

fn put(c: &mut Cursor, x: f32, width: f32, size: f32, style: Style, grey: bool, line: Broken) {
    c.room(size * LEADING);
    let y = c.y + size;
    c.page().lines.push(Line {
        x,
        y,
        width,
        size,
        style,
        grey,
        text: line.text,
        rtl: line.rtl,
    });
    c.y += size * LEADING;
}

/// Scripts written without spaces between words: a line may break
/// between any two of their characters.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// The pieces a line may break between: a word with the spaces after it,
/// or a single character of an unspaced script.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = i + c.len_utf8();
        let next = chars.peek().map(|&(_, n)| n);
        let boundary = match next {
            None => true,
            Some(n) => {
                (c.is_whitespace() && !n.is_whitespace())
                    || unspaced(c)
                    || (unspaced(n) && !c.is_whitespace())
            }
        };
        if boundary {
            out.push(&text[start..end]);
            start = end;
        }
    }
    out
}

/// `text` broken into lines no wider than `width` points; a line break in
/// the text is kept.
pub(crate) fn wrap(
    shaper: &mut Shaper<'_>,
    style: Style,
    size: f32,
    width: f32,
    text: &str,
) -> Vec<Broken> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let para = clean(para);
        let rtl = right_to_left(&para);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut used = 0.0;
        for token in tokens(&para) {
            if line.is_empty() && token.trim().is_empty() {
                continue;
            }
            let w = shaper.width(style, token) * size;
            let bare = shaper.width(style, token.trim_end()) * size;
            if used + bare <= width || line.is_empty() && bare <= width {
                line.push_str(token);
                used += w;
                continue;
            }
            if !line.is_empty() {
                lines.push(line.trim_end().to_string());
                line = String::new();
                used = 0.0;
            }
            if bare <= width {
                line.push_str(token);
                used = w;
                continue;
            }
            // A word longer than the line: cut it where it fills the line.
            for ch in token.chars() {
                let cw = shaper.width(style, ch.encode_utf8(&mut [0; 4])) * size;
                if used + cw > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line).trim_end().to_string());
                    used = 0.0;
                }
                line.push(ch);
                used += cw;
            }
        }
        lines.push(line.trim_end().to_string());
        out.extend(lines.into_iter().map(|text| Broken { text, rtl }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tokens;

    #[test]
    fn lines_break_between_words_and_between_chinese_characters() {
        assert_eq!(tokens("Ivan  Petrov"), vec!["Ivan  ", "Petrov"]);
        assert_eq!(tokens("警察局 A"), vec!["警", "察", "局", " ", "A"]);
        assert_eq!(tokens("x"), vec!["x"]);
        assert!(tokens("").is_empty());
    }
}
