//! The common additions to a sheet, made by command so that nobody has to
//! write JSON for them: a perpetrator, a victim or witness, an incident.
//! Each takes the next free id, is validated as a whole sheet, and is saved
//! and logged like any other edit.

use super::sheet::{CaseSheet, Incident, Perpetrator, Person, PersonRole};
use super::{CaseError, load, save};
use crate::Vault;

/// The first `PREFIX<n>` (n = 1, 2, ...) that no perpetrator, person or
/// incident of `sheet` uses: ids are unique across the whole sheet.
pub fn next_id(sheet: &CaseSheet, prefix: &str) -> String {
    let taken = |id: &str| {
        sheet.perpetrators.iter().any(|p| p.id == id)
            || sheet.persons.iter().any(|p| p.id == id)
            || sheet.incidents.iter().any(|i| i.id == id)
    };
    (1..)
        .map(|n| format!("{prefix}{n}"))
        .find(|id| !taken(id))
        .unwrap_or_else(|| format!("{prefix}0"))
}

/// What was added, and the sheet it is now in.
#[derive(Debug, Clone)]
pub struct Added {
    /// The id the new entry took.
    pub id: String,
    /// The sheet after the change.
    pub sheet: CaseSheet,
    /// The paths of the sheet that changed, as the custody event lists them.
    pub changed: Vec<String>,
}

fn add(
    vault: &mut Vault,
    case: &str,
    put: impl FnOnce(&mut CaseSheet) -> String,
) -> Result<Added, CaseError> {
    let mut sheet = load(vault, case)?;
    let id = put(&mut sheet);
    let changed = save(vault, &sheet)?;
    Ok(Added { id, sheet, changed })
}

/// Adds a perpetrator; an empty id becomes the next `P<n>`.
pub fn add_perpetrator(
    vault: &mut Vault,
    case: &str,
    mut p: Perpetrator,
) -> Result<Added, CaseError> {
    add(vault, case, |s| {
        if p.id.trim().is_empty() {
            p.id = next_id(s, "P");
        }
        let id = p.id.clone();
        s.perpetrators.push(p);
        id
    })
}

/// Adds a victim or witness; an empty id becomes the next `V<n>` for a
/// victim, `W<n>` for a witness.
pub fn add_person(vault: &mut Vault, case: &str, mut p: Person) -> Result<Added, CaseError> {
    add(vault, case, |s| {
        if p.id.trim().is_empty() {
            let prefix = match p.role {
                PersonRole::Witness => "W",
                PersonRole::Victim | PersonRole::VictimAndWitness => "V",
            };
            p.id = next_id(s, prefix);
        }
        let id = p.id.clone();
        s.persons.push(p);
        id
    })
}

/// Adds an incident; an empty id becomes the next `I<n>`.
pub fn add_incident(vault: &mut Vault, case: &str, mut i: Incident) -> Result<Added, CaseError> {
    add(vault, case, |s| {
        if i.id.trim().is_empty() {
            i.id = next_id(s, "I");
        }
        let id = i.id.clone();
        s.incidents.push(i);
        id
    })
}
