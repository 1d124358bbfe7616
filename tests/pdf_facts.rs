//! PDFs as they come: object streams, incremental updates, encryption, XMP
//! and damage. Each is made here (by hand, or rewritten by qpdf), added
//! through the real `casefile` binary, and what `show` reports is compared
//! with what pdfinfo (poppler) reads from the same file.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::pdf::pdf;
use common::{Env, require_tool};
use serde_json::Value;

const INFO: &str = "/Producer (Scanner Suite 4.2) /Creator (Writer 7) \
    /Author (Witness W3) /CreationDate (D:20240501140322+03'00') /ModDate (D:20240502091500Z)";

/// Appends an incremental update that replaces page 2 (object 6) with a
/// new page of other content, as an editor saving over a file does.
fn update_page_two(mut pdf: Vec<u8>, objects: usize) -> Vec<u8> {
    let previous = {
        let s = String::from_utf8_lossy(&pdf);
        let at = s.rfind("startxref\n").unwrap() + 10;
        s[at..]
            .lines()
            .next()
            .unwrap()
            .trim()
            .parse::<usize>()
            .unwrap()
    };
    let text = "BT /F1 24 Tf 40 100 Td (Page 2, corrected) Tj ET";
    let content_id = objects + 1;
    let page_at = pdf.len();
    pdf.extend_from_slice(
        format!(
            "6 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>\nendobj\n"
        )
        .as_bytes(),
    );
    let content_at = pdf.len();
    pdf.extend_from_slice(
        format!(
            "{content_id} 0 obj\n<< /Length {} >>\nstream\n{text}\nendstream\nendobj\n",
            text.len()
        )
        .as_bytes(),
    );
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!(
            "xref\n6 1\n{page_at:010} 00000 n \n{content_id} 1\n{content_at:010} 00000 n \ntrailer\n<< /Size {} /Root 1 0 R /Info {objects} 0 R /Prev {previous} >>\nstartxref\n{xref}\n%%EOF\n",
            content_id + 1
        )
        .as_bytes(),
    );
    pdf
}

/// What pdfinfo says, as `Key: value` pairs; `None` when it cannot read it.
fn pdfinfo(path: &Path) -> Option<std::collections::BTreeMap<String, String>> {
    let out = Command::new("pdfinfo")
        .arg("-isodates")
        .arg(path)
        .output()
        .expect("run pdfinfo");
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect()
    })
}

fn qpdf(env: &Env, from: &Path, name: &str, args: &[&str]) -> PathBuf {
    let to = env.path(name);
    let status = Command::new("qpdf")
        .args(args)
        .arg(from)
        .arg(&to)
        .status()
        .expect("run qpdf");
    // 3: warnings only.
    assert!(matches!(status.code(), Some(0 | 3)), "qpdf {args:?}");
    to
}

fn write(env: &Env, name: &str, bytes: &[u8]) -> PathBuf {
    let path = env.path(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn casefile_says(env: &Env, path: &Path) -> Value {
    let added = env.ok(&["add", path.to_str().unwrap()]);
    let id = added.split_whitespace().nth(1).unwrap().to_string();
    env.json(&["show", &id])["media"].clone()
}

/// Prints a row of the table the closing note gives.
fn row(case: &str, reference: &Option<std::collections::BTreeMap<String, String>>, ours: &Value) {
    let theirs = match reference {
        None => "cannot read it".to_string(),
        Some(r) => ["Pages", "Encrypted", "Producer", "CreationDate", "ModDate"]
            .iter()
            .filter_map(|k| r.get(*k).map(|v| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let ours: Vec<String> = [
        "pages",
        "encrypted",
        "software",
        "created_at",
        "modified_at",
        "note",
    ]
    .iter()
    .filter_map(|k| ours.get(*k).map(|v| format!("{k}={v}")))
    .collect();
    eprintln!("| {case} | {theirs} | {} |", ours.join(" "));
}

#[test]
fn pages_dates_and_producer_are_read_through_object_streams_and_updates() {
    require_tool("pdfinfo");
    require_tool("qpdf");
    let env = Env::init();
    let plain = write(&env, "plain.pdf", &pdf(3, INFO, &[]));
    let streams = qpdf(
        &env,
        &plain,
        "streams.pdf",
        &["--object-streams=generate", "--compress-streams=y"],
    );
    let updated = write(
        &env,
        "updated.pdf",
        &update_page_two(std::fs::read(&plain).unwrap(), 3 + 2 * 3 + 1),
    );
    for (case, path) in [
        ("three pages", &plain),
        ("three pages in object streams", &streams),
        ("an update rewriting page 2", &updated),
    ] {
        let reference = pdfinfo(path);
        let ours = casefile_says(&env, path);
        row(case, &reference, &ours);
        let r = reference.expect("pdfinfo reads it");
        assert_eq!(r["Pages"], "3", "{case}");
        assert_eq!(ours["pages"], 3, "{case}: {ours}");
        assert_eq!(ours["software"], r["Producer"].as_str(), "{case}");
        assert_eq!(ours["made_with"], "Writer 7", "{case}");
        assert_eq!(r["CreationDate"], "2024-05-01T14:03:22+03");
        assert_eq!(ours["created_at"], "2024-05-01T14:03:22+03:00", "{case}");
        assert_eq!(ours["modified_at"], "2024-05-02T09:15:00+00:00", "{case}");
        assert!(ours.get("encrypted").is_none(), "{case}");
        assert!(ours.get("note").is_none(), "{case}: {ours}");
        let text = serde_json::to_string(&ours).unwrap();
        assert!(!text.contains("Witness"), "the author is not kept: {text}");
    }
    let id = {
        let added = env.ok(&["add", updated.to_str().unwrap(), "--title", "again"]);
        added.split_whitespace().nth(1).unwrap().to_string()
    };
    let shown = env.ok(&["show", &id]);
    for line in [
        "pages: 3",
        "created (document): 2024-05-01T14:03:22+03:00",
        "modified (document): 2024-05-02T09:15:00+00:00",
        "software: Scanner Suite 4.2",
        "made with: Writer 7",
    ] {
        assert!(shown.contains(line), "{line}: {shown}");
    }
}

#[test]
fn encrypted_damaged_and_xmp_only_pdfs_say_what_they_are() {
    require_tool("pdfinfo");
    require_tool("qpdf");
    let env = Env::init();
    let plain = write(&env, "plain.pdf", &pdf(3, INFO, &[]));

    // Encrypted, opening without a password (only printing or copying is
    // restricted): everything can still be read.
    let open = qpdf(
        &env,
        &plain,
        "open.pdf",
        &["--encrypt", "", "owner", "256", "--"],
    );
    let reference = pdfinfo(&open);
    let ours = casefile_says(&env, &open);
    row("AES-256, no password to open", &reference, &ours);
    let r = reference.expect("pdfinfo reads it");
    assert!(r["Encrypted"].starts_with("yes"), "{r:?}");
    assert_eq!(ours["encrypted"], true, "{ours}");
    assert_eq!(ours["pages"], 3, "{ours}");
    assert_eq!(ours["software"], "Scanner Suite 4.2", "{ours}");

    // Encrypted with a password to open: neither reads it.
    let locked = qpdf(
        &env,
        &plain,
        "locked.pdf",
        &["--encrypt", "secret", "owner", "256", "--"],
    );
    let reference = pdfinfo(&locked);
    let ours = casefile_says(&env, &locked);
    row("AES-256 with a password to open", &reference, &ours);
    assert!(reference.is_none());
    assert_eq!(ours["encrypted"], true, "{ours}");
    assert!(ours.get("pages").is_none(), "{ours}");
    let note = ours["note"].as_str().unwrap_or_default();
    assert!(note.contains("encrypted with a password"), "{note}");

    // Dates only in XMP, as many producers now write them.
    let xmp = "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" pdf:Producer=\"Phone Scanner\"><xmp:CreatorTool>Notes 2</xmp:CreatorTool><xmp:CreateDate>2024-04-30T22:10:05+02:00</xmp:CreateDate><xmp:ModifyDate>2024-05-01T07:00:00Z</xmp:ModifyDate></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";
    let meta = format!(
        "<< /Type /Metadata /Subtype /XML /Length {} >>\nstream\n{xmp}\nendstream",
        xmp.len()
    );
    let path = write(&env, "xmp.pdf", &pdf(2, "", &[meta]));
    let reference = pdfinfo(&path);
    let ours = casefile_says(&env, &path);
    row("dates and producer only in XMP", &reference, &ours);
    assert_eq!(reference.expect("pdfinfo reads it")["Pages"], "2");
    assert_eq!(ours["pages"], 2, "{ours}");
    assert_eq!(ours["created_at"], "2024-04-30T22:10:05+02:00", "{ours}");
    assert_eq!(ours["modified_at"], "2024-05-01T07:00:00+00:00", "{ours}");
    assert_eq!(ours["software"], "Phone Scanner", "from XMP: {ours}");
    assert_eq!(ours["made_with"], "Notes 2", "from XMP: {ours}");

    // A cross-reference table whose offsets are all wrong (a file cut and
    // patched by a careless tool): both rebuild it; Casefile says so.
    let mut bytes = pdf(3, INFO, &[]);
    let s = String::from_utf8_lossy(&bytes).into_owned();
    let xref = s.find("xref\n").unwrap();
    let broken = s[xref..].replace("00000000", "00000001");
    bytes.truncate(xref);
    bytes.extend_from_slice(broken.as_bytes());
    let path = write(&env, "damaged.pdf", &bytes);
    let reference = pdfinfo(&path);
    let ours = casefile_says(&env, &path);
    row("every xref offset wrong", &reference, &ours);
    assert_eq!(reference.expect("pdfinfo rebuilds it")["Pages"], "3");
    assert_eq!(ours["pages"], 3, "{ours}");
    let note = ours["note"].as_str().unwrap_or_default();
    assert!(note.contains("cross-reference data is damaged"), "{note}");

    // Not a PDF past its header.
    let path = write(&env, "torn.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog");
    let reference = pdfinfo(&path);
    let ours = casefile_says(&env, &path);
    row("torn after its header", &reference, &ours);
    assert!(reference.is_none());
    assert_eq!(ours["pdf_version"], "1.4", "{ours}");
    let note = ours["note"].as_str().unwrap_or_default();
    assert!(note.contains("no page count"), "{note}");
}
