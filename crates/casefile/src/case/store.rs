//! Reading and writing case sheets in the vault, each change logged.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::CaseError;
use super::diff::changes;
use super::sheet::{CaseSheet, CaseType, EvidenceLink, Regime};
use super::validate::validate_written;
use crate::Vault;
use crate::custody::{Action, NewEvent};
use crate::vault::index;
use crate::vault::new_id;

/// A line of the case list.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    /// Case id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Gross violation or corruption.
    #[serde(rename = "type")]
    pub case_type: CaseType,
    /// Regimes addressed.
    pub regimes: Vec<Regime>,
    /// Number of perpetrators.
    pub perpetrators: usize,
    /// Number of incidents.
    pub incidents: usize,
    /// Number of evidence links.
    pub evidence: usize,
    /// Last change (UTC).
    pub updated_at: String,
}

/// Parses a sheet from JSON, naming the field of the first error.
pub fn parse_sheet(json: &str) -> Result<CaseSheet, CaseError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| CaseError::Parse {
        field: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// Parses a sheet a person wrote: JSON, or JSON with `//` comments as
/// `casefile case template` writes it.
pub fn parse_written_sheet(text: &str) -> Result<CaseSheet, CaseError> {
    // Some editors (Windows Notepad) begin a UTF-8 file with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    parse_sheet(&super::template::strip_comments(text))
}

fn to_json(sheet: &CaseSheet) -> Result<String, CaseError> {
    serde_json::to_string(sheet).map_err(|e| CaseError::Parse {
        field: ".".into(),
        message: e.to_string(),
    })
}

fn index_sheet(conn: &rusqlite::Connection, sheet: &CaseSheet) -> rusqlite::Result<()> {
    let mut body = vec![
        sheet.submission.summary.clone(),
        sheet.submission.organisation.clone(),
    ];
    for p in &sheet.perpetrators {
        body.extend(p.names.iter().map(|n| n.value.clone()));
        body.extend(
            p.positions
                .iter()
                .map(|x| format!("{} {} {}", x.title, x.unit, x.institution)),
        );
        body.push(p.notes.clone());
    }
    for p in &sheet.persons {
        body.push(p.pseudonym.clone());
    }
    for i in &sheet.incidents {
        body.push(i.place.admin.clone());
        body.push(i.narrative.clone());
    }
    body.extend(sheet.corroboration.iter().cloned());
    body.extend(sheet.exculpatory.iter().cloned());
    index::put(conn, "case", &sheet.id, &sheet.title, &body.join("\n"))
}

/// Creates an empty case sheet.
pub fn create(
    vault: &mut Vault,
    title: &str,
    case_type: CaseType,
    regimes: Vec<Regime>,
) -> Result<CaseSheet, CaseError> {
    let sheet = CaseSheet::new(&new_id(), title.trim(), case_type, regimes);
    let errors = validate_written(&sheet, &|_| true);
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let json = to_json(&sheet)?;
    let event =
        NewEvent::vault(Action::CaseCreated, vault.actor()).with_details(serde_json::json!({
            "case": sheet.id, "title": sheet.title, "type": sheet.case_type,
        }));
    vault.transact(|tx| {
        let now = crate::custody::log::now_utc();
        tx.execute(
            "INSERT INTO cases (id, title, sheet, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![sheet.id, sheet.title, json, now],
        )?;
        index_sheet(tx, &sheet)?;
        Ok(((), vec![event]))
    })?;
    Ok(sheet)
}

/// Stores a case sheet received in a bundle, inside the caller's transaction.
pub(crate) fn insert_received(
    tx: &rusqlite::Connection,
    sheet: &CaseSheet,
) -> Result<(), CaseError> {
    let json = to_json(sheet)?;
    let now = crate::custody::log::now_utc();
    tx.execute(
        "INSERT INTO cases (id, title, sheet, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![sheet.id, sheet.title, json, now],
    )?;
    index_sheet(tx, sheet)?;
    Ok(())
}

/// Every case, oldest first.
pub fn list(vault: &Vault) -> Result<Vec<CaseSummary>, CaseError> {
    let mut stmt = vault
        .conn()
        .prepare("SELECT sheet, updated_at FROM cases ORDER BY created_at, id")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (json, updated_at) = row?;
        let s = parse_sheet(&json)?;
        out.push(CaseSummary {
            id: s.id,
            title: s.title,
            case_type: s.case_type,
            regimes: s.submission.regimes,
            perpetrators: s.perpetrators.len(),
            incidents: s.incidents.len(),
            evidence: s.evidence.len(),
            updated_at,
        });
    }
    Ok(out)
}

/// One case by id or unique prefix.
pub fn load(vault: &Vault, id: &str) -> Result<CaseSheet, CaseError> {
    let full = vault
        .resolve_in("cases", id)?
        .ok_or_else(|| CaseError::NoCase(id.trim().to_string()))?;
    let json: String =
        vault
            .conn()
            .query_row("SELECT sheet FROM cases WHERE id = ?1", [&full], |r| {
                r.get(0)
            })?;
    parse_sheet(&json)
}

/// Replaces a case sheet after validating it; returns the changed field paths
/// (empty when nothing changed, and then nothing is written).
pub fn save(vault: &mut Vault, sheet: &CaseSheet) -> Result<Vec<String>, CaseError> {
    let before = load(vault, &sheet.id)?;
    if before.id != sheet.id {
        return Err(CaseError::NoCase(sheet.id.clone()));
    }
    let errors = {
        let exists = |item: &str| vault.item(item).is_ok_and(|i| i.id == item);
        validate_written(sheet, &exists)
    };
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let before_json = serde_json::to_value(&before).unwrap_or_default();
    let after_json = serde_json::to_value(sheet).unwrap_or_default();
    let changed = changes(&before_json, &after_json);
    if changed.is_empty() {
        return Ok(changed);
    }
    let json = to_json(sheet)?;
    let event = NewEvent::vault(Action::CaseEdited, vault.actor())
        .with_details(serde_json::json!({ "case": sheet.id, "changed": changed }));
    vault.transact(|tx| {
        tx.execute(
            "UPDATE cases SET title = ?2, sheet = ?3, updated_at = ?4 WHERE id = ?1",
            params![sheet.id, sheet.title, json, crate::custody::log::now_utc()],
        )?;
        index_sheet(tx, sheet)?;
        Ok(((), vec![event]))
    })?;
    Ok(changed)
}

/// Links an item to a case (and optionally an incident or party), recorded
/// against the item in the custody log.
pub fn link(vault: &mut Vault, case: &str, link: EvidenceLink) -> Result<CaseSheet, CaseError> {
    let mut sheet = load(vault, case)?;
    let item = vault.item(&link.item)?;
    let link = EvidenceLink {
        item: item.id.clone(),
        ..link
    };
    if sheet.evidence.contains(&link) {
        return Ok(sheet);
    }
    sheet.evidence.push(link.clone());
    save(vault, &sheet)?;
    vault.record(
        NewEvent::item(Action::Linked, vault.actor(), &item.id, &item.sha256).with_details(
            serde_json::json!({
                "case": sheet.id,
                "incident": link.incident,
                "party": link.party,
                "supports": link.supports,
            }),
        ),
    )?;
    Ok(sheet)
}

/// Stores the real identity of a pseudonymous person, apart from the sheet.
pub fn set_real_identity(
    vault: &mut Vault,
    case: &str,
    person: &str,
    identity: &str,
) -> Result<(), CaseError> {
    let sheet = load(vault, case)?;
    if !sheet.persons.iter().any(|p| p.id == person) {
        return Err(CaseError::NoParty {
            case: sheet.id,
            what: "person",
            id: person.into(),
        });
    }
    let event = NewEvent::vault(Action::CaseEdited, vault.actor()).with_details(
        serde_json::json!({ "case": sheet.id, "changed": [format!("~ identities[{person}]")] }),
    );
    vault.transact(|tx| {
        tx.execute(
            "INSERT INTO identities (case_id, person, identity) VALUES (?1, ?2, ?3) \
             ON CONFLICT (case_id, person) DO UPDATE SET identity = excluded.identity",
            params![sheet.id, person, identity],
        )?;
        Ok(((), vec![event]))
    })?;
    Ok(())
}

/// A person's real identity, for the library's own use only (withholding
/// looks for it in what a bundle would say); never shown, so not logged.
pub(crate) fn identity_for_matching(
    vault: &Vault,
    case: &str,
    person: &str,
) -> Result<Option<String>, CaseError> {
    Ok(vault
        .conn()
        .query_row(
            "SELECT identity FROM identities WHERE case_id = ?1 AND person = ?2",
            params![case, person],
            |r| r.get(0),
        )
        .optional()?)
}

/// Reveals a person's real identity; the reveal itself is logged.
pub fn real_identity(
    vault: &mut Vault,
    case: &str,
    person: &str,
) -> Result<Option<String>, CaseError> {
    let sheet = load(vault, case)?;
    let found: Option<String> = vault
        .conn()
        .query_row(
            "SELECT identity FROM identities WHERE case_id = ?1 AND person = ?2",
            params![sheet.id, person],
            |r| r.get(0),
        )
        .optional()?;
    if found.is_some() {
        let event = NewEvent::vault(Action::IdentityRevealed, vault.actor())
            .with_details(serde_json::json!({ "case": sheet.id, "person": person }));
        vault.record(event)?;
    }
    Ok(found)
}
