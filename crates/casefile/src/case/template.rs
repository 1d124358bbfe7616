//! A filled, commented example of a case sheet, so nobody has to read our
//! source to write one: every field appears once, with an invented value,
//! and every closed list says what it may hold.
//!
//! The example is JSON with `//` comments (JSONC, as editors call it);
//! [`strip_comments`] turns it back into JSON, keeping every line and
//! column where it was so that an error still points at the right place.

use super::sheet::*;
use super::vocabulary::vocabulary;

/// The example sheet of a case of `case_type`, with the id and title given.
/// Its evidence list is empty: links name items of a real vault
/// (`casefile case link`).
pub fn example(id: &str, title: &str, case_type: CaseType) -> CaseSheet {
    let mut s = fictional_people(CaseSheet::new(
        id,
        title,
        case_type,
        vec![Regime::UsGlobalMagnitsky, Regime::UkGlobalHumanRights],
    ));
    s.submission.partners = vec!["Lawyers for Detainees (fictional)".into()];
    s.persons.push(Person {
        id: "W1".into(),
        pseudonym: "W-7".into(),
        role: PersonRole::Witness,
        status: PersonStatus::None,
        consent: Consent {
            given: true,
            date: "2024-03-02".into(),
            uses: vec![ConsentUse::Submission],
            recipients: vec![Regime::UsGlobalMagnitsky],
            notes: "Pseudonym only; no voice recording.".into(),
        },
        risk: Risk::High,
        notes: "Cellmate of K.D.; the real identity is kept apart (casefile case identity).".into(),
    });
    if let Some(p) = s.perpetrators.first_mut() {
        p.birth_place = Some(Attested {
            value: "Northern District (fictional)".into(),
            source: "press report".into(),
            confidence: Some(Confidence::Possible),
        });
        p.documents = vec![IdDocument {
            doc_type: "passport".into(),
            number: "VL0000000".into(),
            country: "Veloria (fictional)".into(),
            source: "leaked travel record".into(),
            confidence: Some(Confidence::Unverified),
        }];
        p.associates = vec![Associate {
            name: "Lena Marrow (fictional)".into(),
            relation: "spouse".into(),
            source: "company register".into(),
        }];
        p.linked_entities = vec!["P3".into()];
        p.notes = "Head of the centre throughout the period of the incidents.".into();
    }
    s.perpetrators.push(Perpetrator {
        id: "P3".into(),
        kind: PartyKind::Entity,
        names: vec![Name {
            value: "Northgate Supply LLC (fictional)".into(),
            kind: NameKind::Original,
            script: "en-Latn".into(),
            source: "company register".into(),
            confidence: Some(Confidence::Confirmed),
        }],
        gender: None,
        birth_date: None,
        birth_place: None,
        nationalities: Vec::new(),
        documents: Vec::new(),
        positions: Vec::new(),
        superiors: Vec::new(),
        liability: vec![Liability::Facilitated],
        linked_entities: Vec::new(),
        associates: Vec::new(),
        entity: Some(EntityFacts {
            registration_number: "1234567890".into(),
            jurisdiction: "Veloria (fictional)".into(),
            owners_directors: vec![Attested {
                value: "Lena Marrow (fictional), director".into(),
                source: "company register".into(),
                confidence: Some(Confidence::Confirmed),
            }],
        }),
        notes: "Holds the centre's supply contract.".into(),
    });
    for i in &mut s.incidents {
        i.place.lat = Some(61.5);
        i.place.lon = Some(23.75);
        i.persons.push("W1".into());
    }
    if case_type == CaseType::Corruption {
        s.submission.summary =
            "The head of Detention Centre No. 3 steered its supply contract to a \
company his spouse directs, at three times the market price (an invented example)."
                .into();
        s.incidents = vec![Incident {
            id: "I1".into(),
            violation: Violation::Misappropriation,
            start: "2022-01".into(),
            end: "2023-12".into(),
            place: Place {
                admin: "Northern District (fictional)".into(),
                lat: None,
                lon: None,
            },
            narrative: "Supply contracts worth 40 million were awarded without tender to P3."
                .into(),
            perpetrators: vec![
                Involvement {
                    perpetrator: "P1".into(),
                    link: AllegedLink::Direct,
                },
                Involvement {
                    perpetrator: "P3".into(),
                    link: AllegedLink::Direct,
                },
            ],
            persons: vec!["W1".into()],
        }];
        s.persons.retain(|p| p.id == "W1");
        s.perpetrators.retain(|p| p.id != "P2");
    }
    s
}

/// The example sheet as JSONC: a header saying how to use it, then the
/// sheet with each closed field followed by the values it may take.
/// `id` may be empty: `casefile case edit ID --file` fills it in.
pub fn template(id: &str, title: &str, case_type: CaseType) -> String {
    commented(
        &example(id, title, case_type),
        "an invented example to replace with your case",
    )
}

/// A stored sheet as JSONC, commented as the template is: to edit a case
/// with the values each field may take in sight, losing nothing of it.
pub fn annotated(sheet: &CaseSheet) -> String {
    commented(sheet, "this case as stored")
}

fn commented(sheet: &CaseSheet, what: &str) -> String {
    // A CaseSheet is plain data; serialising it cannot fail.
    let json = serde_json::to_string_pretty(sheet).unwrap_or_default();
    let mut out = format!(
        "// A Casefile case sheet (casefile-case/1): {what}.\n\
         // Edit it, then store it with `casefile case edit CASE --file THIS-FILE`.\n\
         // Comments like these may stay; ids (P1, V1, I1...) must be unique and are what links refer to.\n\
         // Dates are YYYY-MM-DD, YYYY-MM, YYYY or FROM/TO. Real identities never go here.\n\
         {{\n",
    );
    let mut path: Vec<String> = Vec::new();
    // The root object opens on the first line and is not a field.
    for line in json.lines().skip(1) {
        let body = line.trim_start();
        let key = body
            .strip_prefix('"')
            .and_then(|k| k.split_once("\": "))
            .map(|(k, _)| k.to_string());
        out.push_str(line);
        let mut here = path.clone();
        here.extend(key.clone());
        if let Some(c) = key.as_ref().and_then(|_| comment(&here)) {
            out.push_str("  // ");
            out.push_str(&c);
        }
        out.push('\n');
        let opens = body.ends_with('{') || body.ends_with('[');
        let closes = body.starts_with('}') || body.starts_with(']');
        if closes {
            path.pop();
        }
        if opens {
            path.push(key.unwrap_or_else(|| "*".into()));
        }
    }
    out
}

/// What a field at `path` (keys from the top, `*` for an array element)
/// may hold, when that is a closed list or a rule worth saying.
fn comment(path: &[String]) -> Option<String> {
    let v = vocabulary();
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let one_of = |values: &[&str]| Some(format!("one of: {}", values.join(", ")));
    let some_of = |values: &[&str]| Some(format!("any of: {}", values.join(", ")));
    match p.as_slice() {
        ["type"] => one_of(&v.case_types),
        ["submission", "regimes"] => some_of(&v.regimes),
        [.., "confidence"] => one_of(&v.confidence),
        ["perpetrators", "*", "kind"] => one_of(&v.party_kinds),
        ["perpetrators", "*", "names", "*", "kind"] => one_of(&v.name_kinds),
        ["perpetrators", "*", "names", "*", "script"] => {
            Some("language and script tag, e.g. ru-Cyrl, en-Latn, zh-Hans, ar".into())
        }
        ["perpetrators", "*", "liability"] => some_of(&v.liability),
        ["perpetrators", "*", "superiors" | "linked_entities"] => {
            Some("ids of other perpetrators of this sheet".into())
        }
        ["persons", "*", "role"] => one_of(&v.person_roles),
        ["persons", "*", "status"] => one_of(&v.person_statuses),
        ["persons", "*", "risk"] => one_of(&v.risks),
        ["persons", "*", "consent", "uses"] => some_of(&v.consent_uses),
        ["persons", "*", "consent", "recipients"] => some_of(&v.regimes),
        ["incidents", "*", "violation"] => one_of(&v.violations),
        ["incidents", "*", "perpetrators", "*", "link"] => one_of(&v.links),
        ["incidents", "*", "persons"] => Some("ids of persons of this sheet".into()),
        ["evidence"] => Some(
            "filled by `casefile case link CASE --item ITEM [--incident I1] [--party P1] --supports TEXT`"
                .into(),
        ),
        _ => None,
    }
}

/// `text` with its `//` and `/* */` comments blanked out (outside strings),
/// every other character, line break included, left where it was.
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                out.push(' ');
                while let Some(&n) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    out.push(if n == '\r' { n } else { ' ' });
                    chars.next();
                }
            }
            ('/', Some('*')) => {
                chars.next();
                out.push_str("  ");
                let mut last = ' ';
                for n in chars.by_ref() {
                    out.push(if n == '\n' || n == '\r' { n } else { ' ' });
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The invented perpetrators, victim and incidents of the demo case, added
/// to `s` (which keeps its own id, title, type and any witness already in it).
pub(crate) fn fictional_people(mut s: CaseSheet) -> CaseSheet {
    let attested = |v: &str, src: &str, c: Confidence| Attested {
        value: v.into(),
        source: src.into(),
        confidence: Some(c),
    };
    let name = |v: &str, kind: NameKind, script: &str| Name {
        value: v.into(),
        kind,
        script: script.into(),
        source: "detention register".into(),
        confidence: Some(Confidence::Probable),
    };
    s.submission.organisation = "Northern Human Rights Monitor (fictional)".into();
    s.submission.contact_name = "Demo Coordinator".into();
    s.submission.contact_email = "coordinator@example.org".into();
    s.submission.confidentiality =
        "Do not disclose the identities of witnesses or the family.".into();
    s.submission.summary =
        "K.D., a human-rights defender, died in Detention Centre No. 3 after repeated requests \
for medical care were refused on the orders of its commanders."
            .into();
    s.perpetrators = vec![
        Perpetrator {
            id: "P1".into(),
            kind: PartyKind::Person,
            names: vec![
                name("Арвид Марров", NameKind::Original, "ru-Cyrl"),
                name("Arvid Marrow", NameKind::Transliteration, "en-Latn"),
            ],
            gender: Some(attested(
                "male",
                "detention register",
                Confidence::Confirmed,
            )),
            birth_date: Some(attested("1971", "press report", Confidence::Possible)),
            birth_place: None,
            nationalities: vec![attested(
                "Veloria (fictional)",
                "official website",
                Confidence::Confirmed,
            )],
            documents: Vec::new(),
            positions: vec![Position {
                title: "Colonel, Head".into(),
                unit: "Detention Centre No. 3".into(),
                institution: "Ministry of Internal Affairs".into(),
                from: "2021-06".into(),
                to: String::new(),
                source: "official website".into(),
                confidence: Some(Confidence::Confirmed),
            }],
            superiors: Vec::new(),
            liability: vec![Liability::Ordered, Liability::Commanded],
            linked_entities: Vec::new(),
            associates: Vec::new(),
            entity: None,
            notes: String::new(),
        },
        Perpetrator {
            id: "P2".into(),
            kind: PartyKind::Person,
            names: vec![
                name("Рейн Толванен", NameKind::Original, "ru-Cyrl"),
                name("Rein Tolvanen", NameKind::Transliteration, "en-Latn"),
            ],
            gender: Some(attested("male", "witness W-7", Confidence::Probable)),
            birth_date: None,
            birth_place: None,
            nationalities: Vec::new(),
            documents: Vec::new(),
            positions: vec![Position {
                title: "Major, duty officer".into(),
                unit: "Detention Centre No. 3".into(),
                institution: "Ministry of Internal Affairs".into(),
                from: "2023".into(),
                to: String::new(),
                source: "detention register".into(),
                confidence: Some(Confidence::Probable),
            }],
            superiors: vec!["P1".into()],
            liability: vec![Liability::Perpetrated],
            linked_entities: Vec::new(),
            associates: Vec::new(),
            entity: None,
            notes: String::new(),
        },
    ];
    s.persons.insert(
        0,
        Person {
            id: "V1".into(),
            pseudonym: "K.D.".into(),
            role: PersonRole::Victim,
            status: PersonStatus::HumanRightsDefender,
            consent: Consent {
                given: true,
                date: "2024-03-10".into(),
                uses: vec![ConsentUse::Submission, ConsentUse::Prosecution],
                recipients: vec![
                    Regime::UsGlobalMagnitsky,
                    Regime::UkGlobalHumanRights,
                    Regime::EuGlobalHumanRights,
                ],
                notes: "Given by the family.".into(),
            },
            risk: Risk::Medium,
            notes: "Deceased.".into(),
        },
    );
    let place = Place {
        admin: "Detention Centre No. 3, Northern District (fictional)".into(),
        lat: None,
        lon: None,
    };
    s.incidents = vec![
        Incident {
            id: "I1".into(),
            violation: Violation::DenialOfMedicalCare,
            start: "2024-02-14".into(),
            end: "2024-02-19".into(),
            place: place.clone(),
            narrative: "Repeated requests for medical care by K.D. were refused.".into(),
            perpetrators: vec![
                Involvement {
                    perpetrator: "P1".into(),
                    link: AllegedLink::CommandResponsibility,
                },
                Involvement {
                    perpetrator: "P2".into(),
                    link: AllegedLink::Direct,
                },
            ],
            persons: vec!["V1".into()],
        },
        Incident {
            id: "I2".into(),
            violation: Violation::Killing,
            start: "2024-02-19".into(),
            end: String::new(),
            place,
            narrative: "K.D. died in custody following the denial of medical care.".into(),
            perpetrators: vec![Involvement {
                perpetrator: "P1".into(),
                link: AllegedLink::CommandResponsibility,
            }],
            persons: vec!["V1".into()],
        },
    ];
    s.corroboration = vec![
        "The register and the testimony of W-7 agree on the dates of the refused requests.".into(),
    ];
    s.exculpatory = vec!["The register entry of 14 February bears an illegible signature; it is not attributed to P1 or P2.".into()];
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_go_and_everything_else_stays_where_it_was() {
        let text = "{ // a\n  \"a\": \"x // y /* z */\", /* b\n c */ \"b\": \"\\\"//\"\n}";
        let out = strip_comments(text);
        assert_eq!(out.len(), text.len());
        assert_eq!(out.lines().count(), text.lines().count());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], "x // y /* z */");
        assert_eq!(v["b"], "\"//");
        assert_eq!(strip_comments("/*/ 1 */2"), "        2");
    }

    #[test]
    fn every_example_is_a_valid_sheet() {
        for kind in CaseType::ALL {
            let text = template("abc2345678", "Example", *kind);
            let sheet = crate::case::parse_written_sheet(&text).unwrap();
            assert_eq!(sheet, example("abc2345678", "Example", *kind));
            let errors = crate::case::validate::validate_written(&sheet, &|_| true);
            assert!(errors.is_empty(), "{kind}: {errors:?}");
        }
    }
}
