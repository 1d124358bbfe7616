//! The human-readable files of a bundle: report.html, VERIFY.txt and the
//! certification template. Plain text and static HTML, no script.

use std::collections::HashMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::format::{self, WireItem};
use crate::case::CaseSheet;
use crate::case::matrix::Allegation;
use crate::crypto::sign::DevicePublicKey;
use crate::media::MediaInfo;

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
    /// Media facts of the exported items, by item id, withheld names scrubbed.
    pub media: &'a HashMap<String, MediaInfo>,
    /// The corroboration matrix of the sheet over the exported items.
    pub matrix: &'a [Allegation],
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
