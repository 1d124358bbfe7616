//! `data/report.pdf`, read as a recipient reads it: poppler's pdftotext,
//! pdffonts, pdfinfo and pdftoppm, and qpdf's structural check. Names in
//! Latin, Cyrillic, Chinese and Arabic come out as text and as ink; Arabic
//! is set right to left; the PDF says what report.html says and no more.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Env, require_tool, sha256_file};
use serde_json::Value;

const CHINESE: &str = "王伟";
const ARABIC_FIRST: &str = "كريم";
const ARABIC: &str = "كريم حداد";

/// The demo case with a Chinese and an Arabic perpetrator added.
fn case() -> (Env, String) {
    let env = Env::init();
    let sheet = env.json(&["demo"]);
    let case = sheet["id"].as_str().unwrap().to_string();
    env.ok(&[
        "case",
        "add-perpetrator",
        &case,
        "--name",
        CHINESE,
        "--script",
        "zh-Hans",
        "--transliteration",
        "Wang Wei",
        "--position",
        "局长",
        "--unit",
        "第三看守所",
        "--institution",
        "公安部",
    ]);
    env.ok(&[
        "case",
        "add-perpetrator",
        &case,
        "--name",
        ARABIC,
        "--script",
        "ar",
        "--transliteration",
        "Karim Haddad",
        "--position",
        "مدير السجن",
    ]);
    (env, case)
}

fn tool(cmd: &str, args: &[&str]) -> String {
    require_tool(cmd);
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn text_of(pdf: &Path) -> String {
    tool("pdftotext", &[pdf.to_str().unwrap(), "-"])
}

/// Words as a comparison sees them: letters and digits only, so that
/// brackets mirrored in right-to-left text and line breaks do not count.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A word's box on its page, from `pdftotext -bbox`: (page, xmin, ymin, xmax, ymax).
fn boxes(pdf: &Path, word: &str) -> Vec<(usize, f64, f64, f64, f64)> {
    let html = tool("pdftotext", &["-bbox", pdf.to_str().unwrap(), "-"]);
    let mut out = Vec::new();
    for (page, chunk) in html.split("<page ").skip(1).enumerate() {
        for w in chunk.split("<word ").skip(1) {
            let (attrs, rest) = w.split_once('>').unwrap();
            let text = &rest[..rest.find("</word>").unwrap()];
            if text != word {
                continue;
            }
            let num = |k: &str| -> f64 {
                let v = attrs.split(&format!("{k}=\"")).nth(1).unwrap();
                v[..v.find('"').unwrap()].parse().unwrap()
            };
            out.push((page + 1, num("xMin"), num("yMin"), num("xMax"), num("yMax")));
        }
    }
    out
}

/// The share of dark pixels in a box of a page rendered at 72 dpi (one
/// pixel a point), from pdftoppm's greyscale PGM.
fn ink(pdf: &Path, dir: &Path, (page, x0, y0, x1, y1): (usize, f64, f64, f64, f64)) -> f64 {
    let stem = dir.join(format!("page{page}"));
    let p = page.to_string();
    tool(
        "pdftoppm",
        &[
            "-r",
            "72",
            "-gray",
            "-f",
            &p,
            "-l",
            &p,
            "-singlefile",
            pdf.to_str().unwrap(),
            stem.to_str().unwrap(),
        ],
    );
    let pgm = std::fs::read(stem.with_extension("pgm")).unwrap();
    // P5 header: magic, width, height, maxval, each ended by whitespace.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8(pgm[start..at].to_vec()).unwrap());
    }
    let pixels = &pgm[at + 1..];
    let width: usize = fields[1].parse().unwrap();
    let (mut dark, mut all) = (0, 0);
    for y in y0.floor() as usize..y1.ceil() as usize {
        for x in x0.floor() as usize..x1.ceil() as usize {
            all += 1;
            if pixels[y * width + x] < 128 {
                dark += 1;
            }
        }
    }
    dark as f64 / all.max(1) as f64
}

#[test]
fn the_report_pdf_sets_every_script_as_text_and_ink() {
    let (env, case) = case();
    let bag = env.export(&case, "bag", &[]);
    let pdf = bag.join("data/report.pdf");

    // A sound PDF/A-2u file on A4 pages, every font embedded as a subset
    // with its characters mapped (so text can be searched and copied).
    tool("qpdf", &["--check", pdf.to_str().unwrap()]);
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 3, "{info}");
    let bytes = std::fs::read(&pdf).unwrap();
    let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has(
        "<pdfaid:part>2</pdfaid:part><pdfaid:conformance>U</pdfaid:conformance>"
    ));
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(rows.len() >= 3, "{fonts}");
    for row in &rows {
        assert!(
            row.contains(" yes yes yes "),
            "a font is not embedded, subset and mapped: {row}"
        );
    }
    assert!(fonts.contains("DejaVuSans"), "{fonts}");
    assert!(fonts.contains("NotoSansCJK"), "{fonts}");

    // Bookmarks: each section, the perpetrators and items beneath theirs,
    // each leading to a page of the document.
    let json: Value = serde_json::from_str(&tool(
        "qpdf",
        &["--json", "--json-key=outlines", pdf.to_str().unwrap()],
    ))
    .unwrap();
    let sections = json["outlines"].as_array().unwrap();
    let titles: Vec<&str> = sections
        .iter()
        .map(|o| o["title"].as_str().unwrap())
        .collect();
    for want in [
        "Submission",
        "Alleged perpetrators",
        "Victims and witnesses",
        "Incidents",
        "Corroboration matrix",
        "Evidence",
        "Chain of custody",
    ] {
        assert!(titles.contains(&want), "no bookmark {want:?}: {titles:?}");
    }
    let perpetrators = &sections[titles
        .iter()
        .position(|t| *t == "Alleged perpetrators")
        .unwrap()];
    let kids: Vec<&str> = perpetrators["kids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["title"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&format!("P3 · {CHINESE}").as_str()),
        "{kids:?}"
    );
    assert!(
        kids.contains(&format!("P4 · {ARABIC}").as_str()),
        "{kids:?}"
    );
    for o in sections {
        let page = o["destpageposfrom1"].as_u64().unwrap() as usize;
        assert!((1..=pages).contains(&page), "{o}");
    }

    // Every name, in its script, comes out as text; the footer numbers pages.
    let text = text_of(&pdf);
    for name in [
        "Арвид Марров",
        "Arvid Marrow",
        CHINESE,
        "第三看守所",
        ARABIC,
        "مدير السجن",
        "Karim Haddad",
    ] {
        assert!(text.contains(name), "report.pdf lacks {name:?}:\n{text}");
    }
    assert!(text.contains(&format!("page {pages} of {pages}")));

    // Each item's hashes are there whole (a hash wraps across lines).
    let joined: String = text.split_whitespace().collect();
    let case_json: Value =
        serde_json::from_str(&std::fs::read_to_string(bag.join("data/case.json")).unwrap())
            .unwrap();
    for it in case_json["items"].as_array().unwrap() {
        let sha256 = sha256_file(&bag.join(it["path"].as_str().unwrap()));
        assert!(joined.contains(&sha256), "report.pdf lacks {sha256}");
        assert!(joined.contains(it["sha512"].as_str().unwrap()));
    }

    // It says what report.html says: every word of the HTML's text is in
    // the PDF (whose lines may break inside a long word).
    let html = std::fs::read_to_string(bag.join("data/report.html")).unwrap();
    let body = &html[html.find("</nav>").unwrap()..];
    let mut plain = String::new();
    let mut inside = false;
    for c in body.chars() {
        match c {
            '<' => inside = true,
            '>' => {
                inside = false;
                plain.push(' ');
            }
            _ if !inside => plain.push(c),
            _ => {}
        }
    }
    let plain = plain
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let pdf_words = words(&text).concat();
    for w in words(&plain) {
        assert!(
            pdf_words.contains(&w),
            "report.pdf lacks {w:?}, which report.html has"
        );
    }

    // As ink: the Chinese and Arabic names are drawn, not left blank, and
    // the Arabic name in the names row is set flush right (its first word
    // rightmost), the way it is read.
    let dir = env.path("pages");
    std::fs::create_dir_all(&dir).unwrap();
    let chinese = boxes(&pdf, CHINESE);
    assert!(!chinese.is_empty());
    // pdftotext -bbox gives a word's letters in the order they are drawn,
    // which for Arabic is right to left: the reverse of the text's.
    let drawn = |w: &str| w.chars().rev().collect::<String>();
    let arabic = boxes(&pdf, &drawn(ARABIC_FIRST));
    let right = arabic
        .iter()
        .copied()
        .find(|b| b.3 > 520.0)
        .unwrap_or_else(|| panic!("the Arabic name is not flush right: {arabic:?}"));
    let left_word = boxes(&pdf, &drawn("حداد"))
        .into_iter()
        .find(|b| b.0 == right.0 && (b.2 - right.2).abs() < 1.0)
        .expect("the name's second word on the same line");
    assert!(
        left_word.3 <= right.1 + 1.0,
        "the second word of an Arabic name is left of the first: {left_word:?} {right:?}"
    );
    for b in [chinese[0], right] {
        let share = ink(&pdf, &dir, b);
        assert!(share > 0.08, "no ink where {b:?} is: {share}");
    }
}

/// A recipient the witness W-7 did not consent to: the PDF, like the HTML,
/// holds nothing of the witness.
#[test]
fn a_withheld_witness_is_in_no_part_of_the_report_pdf() {
    let (env, case) = case();
    let all = env.export(&case, "all", &[]);
    assert!(text_of(&all.join("data/report.pdf")).contains("W-7"));
    let eu = env.export(&case, "eu", &["--for", "eu-global-human-rights"]);
    let pdf = eu.join("data/report.pdf");
    let text = text_of(&pdf);
    assert!(text.contains("Corroboration matrix"));
    assert!(!text.contains("W-7"), "{text}");
    // Nor in its bookmarks or its metadata (title, XMP), which pdftotext does not read.
    let outlines = tool(
        "qpdf",
        &["--json", "--json-key=outlines", pdf.to_str().unwrap()],
    );
    assert!(outlines.contains("Corroboration matrix"));
    assert!(!outlines.contains("W-7"), "{outlines}");
    let info = tool("pdfinfo", &["-meta", pdf.to_str().unwrap()]);
    assert!(!info.contains("W-7"), "{info}");
    assert!(!text.contains("Pseudonym only"), "{text}");
}
