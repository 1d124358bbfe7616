//! A fictional but realistic demo case, so a new user sees the whole flow.
//! Every person, place and institution in it is invented.

use crate::case::sheet::*;
use crate::case::testimony::{self, Interview};
use crate::case::{self, CaseError};
use crate::vault::NewItem;
use crate::{ItemKind, Task, Vault};

const RECORD: &[u8] = include_bytes!("../../../assets/demo/detention-record.jpg");
const PHOTO: &[u8] = include_bytes!("../../../assets/demo/facility-photo.jpg");
const STATEMENT: &str = "I was held in cell 12 of Detention Centre No. 3 with K.D. from 12 to 19 February 2024. \
From the 13th he had a high fever and chest pain and could not stand. He asked the guards for a doctor every day. \
On the 16th the duty officer, Major Tolvanen, told us that Colonel Marrow had ordered that nobody from our \
cell be taken to the medical unit. On the morning of the 19th K.D. stopped breathing; the guards carried him out \
and we were told later that he had died. — Statement of W-7, recorded 2024-03-02.";

fn sheet_with_people(mut s: CaseSheet) -> CaseSheet {
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

/// Fills the vault with the demo case; returns its sheet.
pub fn fill(vault: &mut Vault) -> Result<CaseSheet, CaseError> {
    let sheet = case::create(
        vault,
        "Death in custody of K.D., Detention Centre No. 3 (demo)",
        CaseType::GrossViolation,
        vec![
            Regime::UsGlobalMagnitsky,
            Regime::UkGlobalHumanRights,
            Regime::EuGlobalHumanRights,
        ],
    )?;
    let record = vault.add_bytes(
        "register-entry-0417.jpg",
        RECORD,
        &NewItem {
            title: Some("Detention register, entry 0417 (copy)".into()),
            kind: Some(ItemKind::DetentionRecord),
            source: Some("register copy from source S-2".into()),
            method: Some("photographed copy handed over in person".into()),
            language: Some("en".into()),
            ..NewItem::default()
        },
        None,
    )?;
    let photo = vault.add_bytes(
        "facility-2024-03-01.jpg",
        PHOTO,
        &NewItem {
            title: Some("Detention Centre No. 3, north wall".into()),
            kind: Some(ItemKind::Photo),
            source: Some("field visit by the monitor".into()),
            method: Some("photographed from the public road".into()),
            captured_at: Some("2024-03-01".into()),
            ..NewItem::default()
        },
        None,
    )?;
    let interview = Interview {
        case: sheet.id.clone(),
        witness: "W-7".into(),
        interviewer: "Demo Interviewer".into(),
        date: "2024-03-02".into(),
        place: "safe location (not recorded)".into(),
        language: "en".into(),
    };
    let recorded = testimony::record(vault, &interview, STATEMENT, None, &Task::none())?;
    let mut sheet = case::load(vault, &sheet.id)?;
    if let Some(w) = sheet.persons.iter_mut().find(|p| p.id == recorded.witness) {
        w.consent = Consent {
            given: true,
            date: "2024-03-02".into(),
            uses: vec![ConsentUse::Submission],
            recipients: vec![Regime::UsGlobalMagnitsky, Regime::UkGlobalHumanRights],
            notes: "Pseudonym only; no voice recording.".into(),
        };
        w.notes = "Cellmate of K.D.".into();
    }
    let mut sheet = sheet_with_people(sheet);
    let link =
        |item: &str, incident: Option<&str>, party: Option<&str>, supports: &str| EvidenceLink {
            item: item.into(),
            incident: incident.map(String::from),
            party: party.map(String::from),
            supports: supports.into(),
        };
    sheet.evidence.extend([
        link(
            &record.id,
            Some("I1"),
            None,
            "medical requests of 14 and 16 February refused",
        ),
        link(
            &record.id,
            Some("I1"),
            Some("P1"),
            "refusal of 16 February by order of Col. Marrow",
        ),
        link(
            &record.id,
            Some("I2"),
            None,
            "transfer to hospital and death on arrival, 19 February",
        ),
        link(
            &photo.id,
            Some("I1"),
            None,
            "location and conditions of the facility",
        ),
        link(
            &recorded.statement.id,
            Some("I1"),
            Some("P2"),
            "Maj. Tolvanen relayed the order to refuse care",
        ),
        link(
            &recorded.statement.id,
            Some("I1"),
            Some("P1"),
            "the order came from Col. Marrow",
        ),
        link(
            &recorded.statement.id,
            Some("I2"),
            None,
            "K.D. stopped breathing on 19 February",
        ),
    ]);
    case::save(vault, &sheet)?;
    Ok(sheet)
}
