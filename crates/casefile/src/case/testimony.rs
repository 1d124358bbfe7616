//! Recording a testimony: the statement as an immutable item of kind
//! testimony, the interview's facts beside it, the witness in the case sheet.

use std::path::Path;

use rusqlite::params;
use serde::Serialize;

use super::sheet::{Consent, EvidenceLink, Person, PersonRole, PersonStatus, Risk};
use super::{CaseError, FieldError, date, load, save};
use crate::vault::NewItem;
use crate::{Item, ItemKind, Task, Vault};

/// The facts of an interview, as a form or the command line gives them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interview {
    /// Case id or prefix.
    pub case: String,
    /// Witness pseudonym or person id in the case.
    pub witness: String,
    /// Who took the statement.
    pub interviewer: String,
    /// When (a date of any precision).
    pub date: String,
    /// Where.
    pub place: String,
    /// Language of the statement.
    pub language: String,
    /// The incident of the case the statement speaks to, if any.
    pub incident: Option<String>,
    /// The perpetrator or person of the case it speaks about, if any.
    pub party: Option<String>,
}

/// What recording a testimony made.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// The statement item.
    pub statement: Item,
    /// The attached recording, if any.
    pub recording: Option<Item>,
    /// The witness's person id in the case.
    pub witness: String,
    /// True when the witness was new to the case (consent not yet recorded).
    pub witness_added: bool,
}

/// Largest statement text accepted (it is indexed for search in full).
pub const MAX_STATEMENT: usize = 16 * 1024 * 1024;

/// Records a statement (and optionally its audio or video recording).
pub fn record(
    vault: &mut Vault,
    interview: &Interview,
    statement: &str,
    recording: Option<&Path>,
    task: &Task<'_>,
) -> Result<Recorded, CaseError> {
    let mut problems = Vec::new();
    for (field, value) in [
        ("witness", &interview.witness),
        ("interviewer", &interview.interviewer),
        ("date", &interview.date),
        ("place", &interview.place),
        ("language", &interview.language),
    ] {
        if value.trim().is_empty() {
            problems.push(FieldError {
                field: field.into(),
                message: "must not be empty".into(),
            });
        }
    }
    if let Err(message) = date::check(interview.date.trim()) {
        problems.push(FieldError {
            field: "date".into(),
            message,
        });
    }
    if statement.trim().is_empty() {
        problems.push(FieldError {
            field: "statement".into(),
            message: "is empty".into(),
        });
    }
    if statement.len() > MAX_STATEMENT {
        problems.push(FieldError {
            field: "statement".into(),
            message: "is larger than 16 MiB".into(),
        });
    }
    // A recording that cannot be read is found out before the statement is stored.
    if let Some(p) = recording.filter(|p| !p.is_file()) {
        problems.push(FieldError {
            field: "audio".into(),
            message: format!("{} is not a file that can be read", p.display()),
        });
    }
    if !problems.is_empty() {
        return Err(CaseError::Invalid(problems));
    }
    let mut sheet = load(vault, &interview.case)?;
    // Where it belongs is checked before anything is stored.
    let incident = interview.incident.as_deref().map(str::trim);
    let party = interview.party.as_deref().map(str::trim);
    if let Some(i) = incident.filter(|i| !sheet.incidents.iter().any(|x| x.id == *i)) {
        return Err(CaseError::NoParty {
            case: sheet.id.clone(),
            what: "incident",
            id: i.to_string(),
        });
    }
    let is_party = |p: &str| {
        sheet.perpetrators.iter().any(|x| x.id == p) || sheet.persons.iter().any(|x| x.id == p)
    };
    if let Some(p) = party.filter(|p| !is_party(p)) {
        return Err(CaseError::NoParty {
            case: sheet.id.clone(),
            what: "perpetrator or person",
            id: p.to_string(),
        });
    }
    let wanted = interview.witness.trim();
    let (witness, witness_added) = match sheet
        .persons
        .iter()
        .find(|p| p.id == wanted || p.pseudonym == wanted)
    {
        Some(p) => (p.id.clone(), false),
        // What reads as an id (W9, P1) names a person the case lacks; it is
        // never taken for a new witness's pseudonym.
        None if looks_like_id(wanted) => {
            return Err(CaseError::NoParty {
                case: sheet.id.clone(),
                what: "person",
                id: wanted.to_string(),
            });
        }
        None => {
            let n = (1..)
                .find(|n| !sheet.persons.iter().any(|p| p.id == format!("W{n}")))
                .unwrap_or(1);
            let id = format!("W{n}");
            sheet.persons.push(Person {
                id: id.clone(),
                pseudonym: wanted.to_string(),
                role: PersonRole::Witness,
                status: PersonStatus::None,
                consent: Consent::default(),
                risk: Risk::High,
                notes: String::new(),
            });
            save(vault, &sheet)?;
            (id, true)
        }
    };
    let pseudonym = sheet
        .persons
        .iter()
        .find(|p| p.id == witness)
        .map(|p| p.pseudonym.clone())
        .unwrap_or_default();
    let meta = NewItem {
        title: Some(format!(
            "Testimony of {pseudonym}, {}",
            interview.date.trim()
        )),
        kind: Some(ItemKind::Testimony),
        source: Some(format!("interview with {pseudonym}")),
        collector: Some(interview.interviewer.trim().to_string()),
        method: Some("interview".into()),
        language: Some(interview.language.trim().to_string()),
        notes: Some(format!("Interview at {}", interview.place.trim())),
        captured_at: Some(interview.date.trim().to_string()),
    };
    let name = format!(
        "testimony-{witness}-{}.txt",
        interview.date.trim().replace('/', "_")
    );
    let item = vault.add_bytes(&name, statement.as_bytes(), &meta, Some(statement))?;
    let recording = match recording {
        Some(path) => {
            let meta = NewItem {
                title: Some(format!(
                    "Recording of the testimony of {pseudonym}, {}",
                    interview.date.trim()
                )),
                kind: None,
                notes: Some(format!("Recording of statement {}", item.id)),
                ..meta.clone()
            };
            Some(vault.add_file(path, &meta, task)?)
        }
        None => None,
    };
    vault.transact(|tx| {
        tx.execute(
            "INSERT INTO testimonies (item, case_id, witness, interviewer, date, place, language, audio) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                item.id,
                sheet.id,
                witness,
                interview.interviewer.trim(),
                interview.date.trim(),
                interview.place.trim(),
                interview.language.trim(),
                recording.as_ref().map(|r| r.id.clone())
            ],
        )?;
        Ok(((), vec![]))
    })?;
    for it in std::iter::once(&item).chain(recording.as_ref()) {
        super::link(
            vault,
            &sheet.id,
            EvidenceLink {
                item: it.id.clone(),
                incident: None,
                party: Some(witness.clone()),
                supports: format!("testimony of {pseudonym}"),
            },
        )?;
        if incident.is_some() || party.is_some() {
            super::link(
                vault,
                &sheet.id,
                EvidenceLink {
                    item: it.id.clone(),
                    incident: incident.map(String::from),
                    party: party.map(String::from),
                    supports: format!("testimony of {pseudonym}"),
                },
            )?;
        }
    }
    Ok(Recorded {
        statement: item,
        recording,
        witness,
        witness_added,
    })
}

/// True for what reads as an id of a sheet: capital letters then digits (W9, P1).
fn looks_like_id(s: &str) -> bool {
    let digits = s.trim_start_matches(|c: char| c.is_ascii_uppercase());
    digits.len() < s.len() && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}
