//! The human-readable files of a bundle: report.html, VERIFY.txt and the
//! certification template. Plain text and static HTML, no script.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::format::{self, WireItem};
use crate::case::CaseSheet;
use crate::crypto::sign::DevicePublicKey;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Facts every document repeats.
pub struct Context<'a> {
    /// The (consent-filtered) sheet.
    pub sheet: &'a CaseSheet,
    /// Exported items.
    pub items: &'a [WireItem],
    /// The sealing key.
    pub key: &'a DevicePublicKey,
    /// Export time (UTC).
    pub exported_at: &'a str,
    /// The regime or mechanism it was prepared for.
    pub recipient: &'a str,
    /// How many persons were withheld for lack of consent.
    pub withheld: usize,
    /// Custody events included.
    pub events: usize,
}

/// The case sheet and evidence index for a human reader.
pub fn report_html(c: &Context<'_>) -> String {
    let s = c.sheet;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>{title}</title><style>\
body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2733}}\
h1{{font-size:1.6rem}}h2{{margin-top:2rem;border-bottom:1px solid #ccd;padding-bottom:.2rem}}\
table{{border-collapse:collapse;width:100%;font-size:.9rem}}td,th{{border:1px solid #ccd;padding:.3rem .5rem;text-align:start;vertical-align:top}}\
th{{background:#eef1f5}}code{{font-size:.8rem;word-break:break-all}}.meta{{color:#556}}</style></head><body>\n\
<h1>{title}</h1>\n<p class=\"meta\">Case {id} · {ctype} · prepared for {recipient} · exported {at} · sealed by the key with fingerprint <code>{key}</code></p>\n",
        title = esc(&s.title),
        id = esc(&s.id),
        ctype = s.case_type,
        recipient = esc(c.recipient),
        at = esc(c.exported_at),
        key = esc(&c.key.fingerprint()),
    );
    let sub = &s.submission;
    let _ = write!(h, "<h2>Submission</h2><table>");
    for (k, v) in [
        (
            "Regimes",
            sub.regimes
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Submitting organisation", sub.organisation.clone()),
        (
            "Contact",
            format!("{} {}", sub.contact_name, sub.contact_email),
        ),
        ("Partners", sub.partners.join(", ")),
        ("Confidentiality", sub.confidentiality.clone()),
        ("Summary", sub.summary.clone()),
    ] {
        let _ = write!(h, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    let _ = write!(
        h,
        "</table>\n<h2>Alleged perpetrators</h2><table><tr><th>Id</th><th>Names</th><th>Positions</th><th>Liability</th></tr>"
    );
    for p in &s.perpetrators {
        let names: Vec<String> = p
            .names
            .iter()
            .map(|n| format!("{} <span class=meta>({})</span>", esc(&n.value), n.kind))
            .collect();
        let pos: Vec<String> = p.positions.iter().map(|x| esc(&x.described())).collect();
        let liab: Vec<&str> = p.liability.iter().map(|l| l.as_str()).collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.id),
            names.join("<br>"),
            pos.join("<br>"),
            liab.join(", ")
        );
    }
    let _ = write!(
        h,
        "</table>\n<h2>Victims and witnesses</h2><table><tr><th>Id</th><th>Pseudonym</th><th>Role</th><th>Status</th></tr>"
    );
    for p in &s.persons {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.id),
            esc(&p.pseudonym),
            p.role,
            p.status
        );
    }
    let _ = write!(h, "</table>");
    if c.withheld > 0 {
        let _ = write!(
            h,
            "<p class=meta>{} person(s) withheld: their consent does not cover this use.</p>",
            c.withheld
        );
    }
    let _ = write!(
        h,
        "\n<h2>Incidents</h2><table><tr><th>Id</th><th>Violation</th><th>When</th><th>Where</th><th>Narrative</th><th>Perpetrators</th></tr>"
    );
    for i in &s.incidents {
        let perps: Vec<String> = i
            .perpetrators
            .iter()
            .map(|v| format!("{} ({})", esc(&v.perpetrator), v.link))
            .collect();
        let when = if i.end.is_empty() {
            i.start.clone()
        } else {
            format!("{} – {}", i.start, i.end)
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&i.id),
            i.violation,
            esc(&when),
            esc(&i.place.admin),
            esc(&i.narrative),
            perps.join("<br>")
        );
    }
    let _ = write!(
        h,
        "</table>\n<h2>Evidence index</h2><table><tr><th>File</th><th>Title</th><th>Kind</th><th>Bytes</th><th>SHA-256</th><th>Supports</th></tr>"
    );
    for it in c.items {
        let supports: Vec<String> = s
            .evidence
            .iter()
            .filter(|l| l.item == it.id.as_str())
            .map(|l| {
                let target = [l.incident.as_deref(), l.party.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                esc(&format!("{target} {}", l.supports))
            })
            .collect();
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(it.path.as_str()),
            esc(it.title.as_str()),
            it.kind,
            it.size,
            it.sha256.as_str(),
            supports.join("<br>")
        );
    }
    let _ = write!(h, "</table>");
    for (head, list) in [
        ("Corroboration", &s.corroboration),
        ("Exculpatory information", &s.exculpatory),
    ] {
        if !list.is_empty() {
            let _ = write!(h, "<h2>{head}</h2><ul>");
            for x in list {
                let _ = write!(h, "<li>{}</li>", esc(x));
            }
            let _ = write!(h, "</ul>");
        }
    }
    let _ = write!(
        h,
        "\n<h2>Chain of custody</h2><p>{} custody events of these items are in <code>data/custody.jsonl</code>, each with an \
inclusion proof (<code>data/proofs.json</code>) against the tree head in <code>data/checkpoint.txt</code>, signed by the key \
with fingerprint <code>{}</code>. See <code>data/VERIFY.txt</code> to check everything with standard tools.</p>\n</body></html>\n",
        c.events,
        esc(&c.key.fingerprint())
    );
    h
}

/// A language the bundle's instructions can be written in besides English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English (always written).
    En,
    /// Simplified Chinese.
    Zh,
    /// Arabic.
    Ar,
    /// Spanish.
    Es,
    /// Russian.
    Ru,
}

impl Language {
    /// Every language, English first.
    pub const ALL: [Language; 5] = [
        Language::En,
        Language::Zh,
        Language::Ar,
        Language::Es,
        Language::Ru,
    ];

    /// The language tag (`en`, `zh`...).
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
            Language::Ar => "ar",
            Language::Es => "es",
            Language::Ru => "ru",
        }
    }

    fn template(self) -> &'static str {
        match self {
            Language::En => include_str!("verify_txt/en.txt"),
            Language::Zh => include_str!("verify_txt/zh.txt"),
            Language::Ar => include_str!("verify_txt/ar.txt"),
            Language::Es => include_str!("verify_txt/es.txt"),
            Language::Ru => include_str!("verify_txt/ru.txt"),
        }
    }

    /// The file of the instructions in this language.
    pub fn verify_file(self) -> String {
        match self {
            Language::En => format::VERIFY_TXT.to_string(),
            other => format!("data/VERIFY.{}.txt", other.code()),
        }
    }
}

impl std::str::FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let tag = s.trim().to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Language::ALL
            .into_iter()
            .find(|l| l.code() == primary)
            .ok_or_else(|| format!("no instructions in {s:?}; use one of: en, zh, ar, es, ru"))
    }
}

/// SHA-256 of the custody checker this release documents, so VERIFY.txt can
/// name the exact version a recipient should run.
pub fn checker_sha256() -> String {
    super::digest::hex_digest(
        super::digest::Alg::Sha256,
        include_bytes!("../../../../docs/verify-custody.py"),
    )
}

/// Step-by-step verification with standard tools, in `language`.
pub fn verify_txt(c: &Context<'_>, language: Language) -> String {
    language
        .template()
        .replace("{case}", &c.sheet.id)
        .replace("{at}", c.exported_at)
        .replace("{recipient}", c.recipient)
        .replace("{fingerprint}", &c.key.fingerprint())
        .replace("{events}", &c.events.to_string())
        .replace("{items}", &c.items.len().to_string())
        .replace("{checker_sha256}", &checker_sha256())
}

/// A hash-table certification template in the style of US FRE 902(13)/(14).
pub fn certification_txt(c: &Context<'_>) -> String {
    let mut t = format!(
        "CERTIFICATION OF RECORDS AND DATA COPIED FROM AN ELECTRONIC DEVICE
(template in the style of U.S. Federal Rules of Evidence 902(13) and 902(14))

I, [FULL NAME], declare:

1. I am [TITLE / ROLE] at [ORGANISATION]. I am qualified by my knowledge,
   training and experience to make this certification.

2. The files listed below were collected and held in an encrypted Casefile
   vault on the device whose signing key has the SHA-256 fingerprint
   {key}
   Each file's SHA-256 hash value was computed when it entered the vault
   and has been recorded with every later action in a signed
   chain-of-custody log.

3. On {at}, I exported the files listed below into the accompanying bundle
   (case {case}: {title}). The hash values below were computed by a process
   of digital identification and are identical to the values recorded when
   each file was first acquired, showing that each file is a true duplicate
   of the original.

4. The process used produces an accurate result: SHA-256 (FIPS 180-4) was
   used, and anyone can recompute the values with standard tools as
   described in VERIFY.txt.

   Each file below is named by its path in the bundle, with its SHA-256
   on the line after it.
",
        key = c.key.fingerprint(),
        at = c.exported_at,
        case = c.sheet.id,
        title = c.sheet.title,
    );
    for (n, it) in c.items.iter().enumerate() {
        let _ = writeln!(
            t,
            "\n   {:>3}. {}\n        SHA-256 {}",
            n + 1,
            it.path.as_str(),
            it.sha256.as_str()
        );
    }
    t.push_str(
        "
I declare under penalty of perjury under the laws of [JURISDICTION] that the
foregoing is true and correct.

Executed on [DATE] at [PLACE].

_______________________________
[SIGNATURE]
",
    );
    t
}
