//! `data/report.pdf`: report.html laid out for paper and filing. It is made
//! from the HTML report's own text, so the two can never say different
//! things: the HTML (written by `report.rs`, every value escaped) is read
//! back as headings, paragraphs, lists and tables, and each table row
//! becomes label/value lines, which read well on an A4 page where a
//! seven-column table would not.

use crate::typeset::{self, Block, Fonts, Info, TypesetError};

/// The report's HTML as a PDF/A-2u document.
pub fn report_pdf(
    fonts: &Fonts,
    html: &str,
    case_id: &str,
    title: &str,
    exported_at: &str,
) -> Result<Vec<u8>, TypesetError> {
    let blocks = blocks(html);
    let footer = format!("Case {case_id} · {title} · exported {exported_at}");
    typeset::pdf(
        fonts,
        &blocks,
        &Info {
            title,
            footer: &footer,
            created: exported_at,
        },
    )
}

/// HTML text with the four entities `esc` writes turned back.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<(bool, String)>>,
}

impl Table {
    /// A table whose rows are `th`, `td` pairs is one set of fields; a
    /// table with a header row gives one set of fields per row.
    fn into_blocks(self) -> Vec<Block> {
        let mut rows = self.rows.into_iter();
        let Some(first) = rows.next() else {
            return Vec::new();
        };
        let is_header = first.len() > 1 && first.iter().all(|(th, _)| *th);
        if !is_header {
            let fields = std::iter::once(first)
                .chain(rows)
                .filter_map(|r| {
                    let mut cells = r.into_iter().map(|(_, t)| t);
                    let label = cells.next()?;
                    let value = cells.collect::<Vec<_>>().join(" ");
                    Some((label, value))
                })
                .collect();
            return vec![Block::Fields(fields)];
        }
        let heads: Vec<String> = first.into_iter().map(|(_, t)| t).collect();
        rows.map(|r| {
            Block::Fields(
                heads
                    .iter()
                    .zip(r)
                    .filter(|(_, (_, v))| !v.trim().is_empty())
                    .map(|(h, (_, v))| (h.clone(), v))
                    .collect(),
            )
        })
        .collect()
    }
}

/// The blocks of the report, in order.
pub(crate) fn blocks(html: &str) -> Vec<Block> {
    let body = html.find("<body>").map_or(html, |i| &html[i + 6..]);
    let mut out = Vec::new();
    let mut text = String::new();
    let mut skip = false;
    let mut grey = false;
    let mut bullets: Option<Vec<String>> = None;
    let mut table: Option<Table> = None;
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        if !skip {
            text.push_str(&rest[..lt]);
        }
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        let (closing, name) = match tag.strip_prefix('/') {
            Some(n) => (true, n),
            None => (false, tag),
        };
        let name = name.split([' ', '\t']).next().unwrap_or("");
        let taken = |text: &mut String| unescape(std::mem::take(text).trim());
        match (closing, name) {
            (false, "nav") => skip = true,
            (true, "nav") => {
                skip = false;
                text.clear();
            }
            (false, "br") => text.push('\n'),
            (false, "p") => {
                text.clear();
                grey = tag.contains("class=\"meta\"") || tag.contains("class=meta");
            }
            (true, "p") => out.push(Block::Paragraph {
                text: taken(&mut text),
                grey,
            }),
            (false, "h1" | "h2" | "h3" | "li" | "th" | "td") => text.clear(),
            // A new row starts at each <tr>.
            (false, "tr") => {
                text.clear();
                if let Some(t) = table.as_mut() {
                    t.rows.push(Vec::new());
                }
            }
            (true, "h1") => out.push(Block::Title(taken(&mut text))),
            (true, "h2") => out.push(Block::Heading(taken(&mut text))),
            (true, "h3") => out.push(Block::Subheading(taken(&mut text))),
            (false, "table") => table = Some(Table::default()),
            (true, "table") => {
                if let Some(t) = table.take() {
                    out.extend(t.into_blocks());
                }
            }
            (true, "tr") => {}
            (true, cell @ ("th" | "td")) => {
                if let Some(t) = table.as_mut() {
                    let value = taken(&mut text);
                    if let Some(row) = t.rows.last_mut() {
                        row.push((cell == "th", value));
                    }
                }
            }
            (false, "ul") => {
                text.clear();
                bullets = Some(Vec::new());
            }
            (true, "li") => {
                let item = taken(&mut text);
                if let Some(b) = bullets.as_mut() {
                    b.push(item);
                }
            }
            (true, "ul") => {
                if let Some(b) = bullets.take() {
                    out.push(Block::Bullets(b));
                }
            }
            _ => {}
        }
    }
    for t in out.iter_mut() {
        if let Block::Fields(rows) = t {
            rows.retain(|(_, v)| !v.is_empty());
        }
    }
    out.retain(|b| !matches!(b, Block::Fields(r) if r.is_empty()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_html_reads_back_as_blocks() {
        let html = "<html><head><title>T</title><style>x{}</style></head><body>\n<h1>Case &amp; title</h1>\
<p class=\"meta\">Case c1</p><nav><a href=\"#a\">A</a></nav><h2 id=\"s\">Submission</h2>\
<table><tr><th>Regimes</th><td>gm, uk</td></tr><tr><th>Names</th><td>Иван <span class=meta>[full]</span><br>王伟</td></tr></table>\
<table><tr><th>Id</th><th>Role</th><th>Notes</th></tr><tr><td>v1</td><td>witness</td><td></td></tr></table>\
<ul><li>one &lt;b&gt;</li></ul></body></html>";
        assert_eq!(
            blocks(html),
            vec![
                Block::Title("Case & title".into()),
                Block::Paragraph {
                    text: "Case c1".into(),
                    grey: true
                },
                Block::Heading("Submission".into()),
                Block::Fields(vec![
                    ("Regimes".into(), "gm, uk".into()),
                    ("Names".into(), "Иван [full]\n王伟".into())
                ]),
                Block::Fields(vec![
                    ("Id".into(), "v1".into()),
                    ("Role".into(), "witness".into())
                ]),
                Block::Bullets(vec!["one <b>".into()]),
            ]
        );
    }
}
