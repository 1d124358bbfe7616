//! A fictional but realistic demo case, so a new user sees the whole flow.
//! Every person, place and institution in it is invented.

use crate::case::sheet::*;
use crate::case::template::fictional_people;
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
        incident: None,
        party: None,
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
    let mut sheet = fictional_people(sheet);
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
