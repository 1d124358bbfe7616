//! Consent cannot leak: for random sheets, pseudonyms (one CJK character,
//! pieces of the sheet's own vocabulary, mixed case, decomposed forms) and
//! chains of derivatives, no byte of any file of any form of the bundle (a
//! folder, a zip, and the decrypted age tar) holds a withheld pseudonym in
//! any normalisation or case, a withheld item's SHA-256, or its file name.
//! An export that cannot guarantee it stops, and writes nothing.

mod common;

use std::collections::BTreeMap;

use casefile::bundle::{self, ExportOptions, Format, Limits, Source};
use casefile::case::sheet::{
    CaseType, Consent, ConsentUse, EvidenceLink, Incident, Person, PersonRole, PersonStatus, Place,
    Regime, Risk, Violation,
};
use casefile::vault::{ItemEdit, NewItem, Secret};
use casefile::{Task, Vault};
use common::Env;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use unicode_normalization::UnicodeNormalization;

const FILLER: &[&str] = &[
    "the", "house", "report", "saw", "street", "12", "near", "she", "at", "dawn",
];

/// A pseudonym and how it may be written in the text.
fn pseudonym() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["梅", "李", "王", "明"]).prop_map(String::from),
        prop::sample::select(vec!["jour", "ness", "witn", "lawy", "tort", "defe"])
            .prop_map(String::from),
        prop::sample::select(vec!["Ali", "Mona", "Ioana", "Zoë", "José", "Ольга"])
            .prop_map(String::from),
    ]
}

/// `name` as someone might write it: changed case, decomposed, full width.
fn spelling(name: &str, how: u8) -> String {
    match how % 5 {
        0 => name.to_string(),
        1 => name.to_uppercase(),
        2 => name.to_lowercase(),
        3 => name.nfd().collect(),
        _ => name
            .chars()
            .map(|c| match c {
                'a'..='z' => char::from_u32(c as u32 - 'a' as u32 + 0xff41).unwrap_or(c),
                'A'..='Z' => char::from_u32(c as u32 - 'A' as u32 + 0xff21).unwrap_or(c),
                _ => c,
            })
            .collect(),
    }
}

/// A sentence of filler words with the name written `mentions` times.
fn sentence(name: &str, words: &[u8], mentions: &[u8]) -> String {
    let mut out: Vec<String> = words
        .iter()
        .map(|w| FILLER[*w as usize % FILLER.len()].to_string())
        .collect();
    for (i, how) in mentions.iter().enumerate() {
        let at = (i * 3) % (out.len() + 1);
        out.insert(at, format!("{},", spelling(name, *how)));
    }
    out.join(" ")
}

/// True when `text` holds `name` in any form: as a word for names in spaced
/// scripts, anywhere for the others.
fn mentions(text: &str, name: &str) -> bool {
    let fold = |s: &str| -> String {
        s.nfkd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .collect::<String>()
            .to_lowercase()
    };
    let (t, n) = (fold(text), fold(name));
    if n.chars().any(|c| ('\u{3400}'..='\u{9fff}').contains(&c)) {
        return t.contains(&n);
    }
    t.split(|c: char| !c.is_alphanumeric()).any(|w| w == n)
}

/// Every file of a bundle in any form, as (name, bytes).
fn contents(source: &Source) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    source
        .walk(&Limits::default(), &mut |name, _size, r| {
            let mut b = Vec::new();
            std::io::Read::read_to_end(r, &mut b).unwrap();
            out.push((name.to_string(), b));
            Ok(())
        })
        .unwrap();
    out
}

fn person(id: &str, pseudonym: &str, consents: bool) -> Person {
    Person {
        id: id.into(),
        pseudonym: pseudonym.into(),
        role: PersonRole::Witness,
        status: PersonStatus::Journalist,
        consent: if consents {
            Consent {
                given: true,
                date: String::new(),
                uses: vec![ConsentUse::Submission],
                recipients: vec![Regime::Icc],
                notes: String::new(),
            }
        } else {
            Consent::default()
        },
        risk: Risk::High,
        notes: String::new(),
    }
}

#[test]
fn no_exported_byte_names_a_withheld_witness() {
    let env = Env::init();
    let identity = age::x25519::Identity::generate();
    let shared =
        std::cell::RefCell::new(Vault::open(&env.vault, Secret::Passphrase(common::PASS)).unwrap());
    let exported = std::cell::Cell::new(0);
    let stopped = std::cell::Cell::new(0);
    let count = std::cell::Cell::new(0);
    let strategy = (
        pseudonym(),
        prop::collection::vec(0u8..10, 3..8),
        prop::collection::vec(0u8..5, 1..3),
        0usize..4,
        any::<bool>(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(
        &strategy,
        |(name, words, how, chain, mention_in_content)| {
            count.set(count.get() + 1);
            let n = count.get();
            let mut vault = shared.borrow_mut();
            let say = |h: &[u8]| sentence(&name, &words, h);
            let sheet = casefile::case::create(
                &mut vault,
                &format!("Case {n}"),
                CaseType::GrossViolation,
                vec![Regime::Icc],
            )
            .unwrap();
            let mut sheet = casefile::case::load(&vault, &sheet.id).unwrap();
            sheet.persons = vec![person("W1", &name, false), person("V2", "Beatriz", true)];
            sheet.incidents = vec![Incident {
                id: "I1".into(),
                violation: Violation::Torture,
                start: "2024-05-01".into(),
                end: String::new(),
                place: Place {
                    admin: say(&how),
                    lat: None,
                    lon: None,
                },
                narrative: say(&how),
                perpetrators: Vec::new(),
                persons: vec!["W1".into(), "V2".into()],
            }];
            sheet.corroboration = vec![say(&how)];
            casefile::case::save(&mut vault, &sheet).unwrap();
            // W1's own item and a chain of derivatives: all withheld.
            let meta = |title: String| NewItem {
                title: Some(title),
                ..NewItem::default()
            };
            let own = vault
                .add_bytes(
                    &format!("w1own-{n}.txt"),
                    say(&how).as_bytes(),
                    &meta(format!("about {}", spelling(&name, how[0]))),
                    None,
                )
                .unwrap();
            casefile::case::link(
                &mut vault,
                &sheet.id,
                EvidenceLink {
                    item: own.id.clone(),
                    incident: None,
                    party: Some("W1".into()),
                    supports: say(&how),
                },
            )
            .unwrap();
            let mut withheld = vec![own.clone()];
            let mut parent = own.id.clone();
            for d in 0..chain {
                let child = vault
                    .derive(
                        &parent,
                        "translation",
                        &format!("w1der-{n}-{d}.txt"),
                        format!("derived {d}").as_bytes(),
                        &NewItem::default(),
                        None,
                    )
                    .unwrap();
                parent = child.id.clone();
                withheld.push(child);
            }
            // An item about the case, not about W1, whose every text names them.
            let content = if mention_in_content {
                say(&how)
            } else {
                "plain words".to_string()
            };
            let kept = vault
                .add_bytes(
                    &format!("{}-photo-{n}.txt", spelling(&name, how[0])),
                    content.as_bytes(),
                    &meta(say(&how)),
                    None,
                )
                .unwrap();
            vault
                .edit(
                    &kept.id,
                    &ItemEdit {
                        title: Some(say(&how)),
                        notes: Some(say(&how)),
                        ..ItemEdit::default()
                    },
                )
                .unwrap();
            casefile::case::link(
                &mut vault,
                &sheet.id,
                EvidenceLink {
                    item: kept.id.clone(),
                    incident: Some("I1".into()),
                    party: Some("V2".into()),
                    supports: say(&how),
                },
            )
            .unwrap();

            let dir = env.path(&format!("exports-{n}"));
            std::fs::create_dir_all(&dir).unwrap();
            let forms = [
                (Format::Folder, "folder"),
                (Format::Zip, "bundle.zip"),
                (Format::Encrypted, "bundle.tar.age"),
            ];
            for (format, file) in forms {
                let out = dir.join(file);
                let opts = ExportOptions {
                    case: sheet.id.clone(),
                    out: out.clone(),
                    format,
                    items: None,
                    recipients: vec![identity.to_public()],
                    prepared_for: Some(Regime::Icc),
                    prefer_redacted: false,
                    language: None,
                };
                match bundle::export(&mut vault, &opts, &Task::none()) {
                    Err(bundle::BundleError::Consent(e)) => {
                        prop_assert!(mention_in_content, "stopped without cause: {e}");
                        prop_assert!(
                            std::fs::read_dir(&dir).unwrap().next().is_none(),
                            "a stopped export wrote something"
                        );
                        stopped.set(stopped.get() + 1);
                        continue;
                    }
                    Err(e) => panic!("export: {e}"),
                    Ok(_) => exported.set(exported.get() + 1),
                }
                let source = match format {
                    Format::Folder => Source::Folder(out.clone()),
                    Format::Zip => Source::Zip(out.clone()),
                    Format::Encrypted => Source::Encrypted {
                        path: out.clone(),
                        identities: vec![identity.clone()],
                    },
                };
                let mut files = contents(&source);
                if format == Format::Zip {
                    files.push(("(zip)".into(), std::fs::read(&out).unwrap()));
                }
                let secrets: BTreeMap<String, &str> = withheld
                    .iter()
                    .flat_map(|w| {
                        [
                            (w.sha256.clone(), "a withheld item's SHA-256"),
                            (w.original_name.clone(), "a withheld item's file name"),
                        ]
                    })
                    .collect();
                for (file_name, bytes) in &files {
                    let text = String::from_utf8_lossy(bytes);
                    prop_assert!(
                        !mentions(&text, &name),
                        "{file}: {file_name} names {name:?}"
                    );
                    prop_assert!(
                        !mentions(file_name, &name),
                        "{file}: the file name {file_name} names {name:?}"
                    );
                    for (secret, what) in &secrets {
                        prop_assert!(
                            !text.contains(secret.as_str()) && !file_name.contains(secret.as_str()),
                            "{file}: {file_name} holds {what}"
                        );
                    }
                }
            }
            Ok(())
        },
    );
    shared.into_inner().close().unwrap();
    let (exported, stopped) = (exported.get(), stopped.get());
    if let Err(e) = result {
        panic!("{e}");
    }
    println!(
        "{exported} bundles exported and scanned, {stopped} exports stopped for content that names a withheld person"
    );
    assert!(
        exported >= 90,
        "too few exports to test anything: {exported}"
    );
}
