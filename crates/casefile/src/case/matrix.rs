//! The corroboration matrix: each allegation against its independent sources.
//!
//! An allegation is an incident having happened, or a perpetrator's alleged
//! part in it. Items count as independent only when their recorded sources
//! differ; items linked to one victim or witness of the sheet (a testimony,
//! its recording, a photo they sent) count as that one person whatever
//! their recorded sources say; items without a recorded source count
//! together as one source, so the matrix never claims more corroboration
//! than the record shows.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::sheet::CaseSheet;
use crate::Item;

/// Label for items whose source was not recorded.
pub const UNKNOWN_SOURCE: &str = "(source not recorded)";

/// One row of the matrix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Allegation {
    /// The incident.
    pub incident: String,
    /// The perpetrator, for a row about someone's part in it.
    pub perpetrator: Option<String>,
    /// The allegation in words.
    pub allegation: String,
    /// Items supporting it.
    pub items: Vec<String>,
    /// Distinct sources of those items.
    pub sources: Vec<String>,
    /// `corroborated` (two or more independent sources), `single-source` or `unsupported`.
    pub status: &'static str,
}

fn status(sources: usize) -> &'static str {
    match sources {
        0 => "unsupported",
        1 => "single-source",
        _ => "corroborated",
    }
}

/// Builds the matrix; `items` maps item ids to the vault's items.
pub fn corroboration(sheet: &CaseSheet, items: &HashMap<String, Item>) -> Vec<Allegation> {
    corroboration_by(sheet, &|id| items.get(id).map(|it| it.source.as_str()))
}

/// Builds the matrix from each item's recorded source (`source` of an item
/// id; None for an item that is not known).
pub fn corroboration_by<'a>(
    sheet: &CaseSheet,
    source: &dyn Fn(&str) -> Option<&'a str>,
) -> Vec<Allegation> {
    // An item linked to exactly one person of the sheet is that person's.
    let mut persons_of: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for l in &sheet.evidence {
        if let Some(p) = l.party.as_deref()
            && let Some(person) = sheet.persons.iter().find(|x| x.id == p)
        {
            persons_of
                .entry(l.item.as_str())
                .or_default()
                .insert(person.id.as_str());
        }
    }
    let source_of = |id: &str| -> String {
        if let Some(only) = persons_of.get(id).filter(|set| set.len() == 1) {
            let pid = only.iter().next().copied().unwrap_or_default();
            let pseudonym = sheet
                .persons
                .iter()
                .find(|x| x.id == pid)
                .map_or("", |x| x.pseudonym.as_str());
            return format!("{pseudonym} ({pid})");
        }
        match source(id).map(str::trim) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => UNKNOWN_SOURCE.to_string(),
        }
    };
    let mut rows = Vec::new();
    let row = |incident: &str, perpetrator: Option<&str>, allegation: String, linked: Vec<&str>| {
        let item_ids: Vec<String> = linked
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let sources: BTreeSet<String> = item_ids.iter().map(|id| source_of(id)).collect();
        Allegation {
            incident: incident.to_string(),
            perpetrator: perpetrator.map(String::from),
            allegation,
            status: status(sources.len()),
            items: item_ids,
            sources: sources.into_iter().collect(),
        }
    };
    for inc in &sheet.incidents {
        let linked = sheet
            .evidence
            .iter()
            .filter(|l| l.incident.as_deref() == Some(&inc.id))
            .map(|l| l.item.as_str())
            .collect();
        let place = if inc.place.admin.is_empty() {
            String::new()
        } else {
            format!(" in {}", inc.place.admin)
        };
        rows.push(row(
            &inc.id,
            None,
            format!("{}: {} {}{place}", inc.id, inc.violation, inc.when()),
            linked,
        ));
        for inv in &inc.perpetrators {
            let linked = sheet
                .evidence
                .iter()
                .filter(|l| l.party.as_deref() == Some(&inv.perpetrator))
                .filter(|l| l.incident.is_none() || l.incident.as_deref() == Some(&inc.id))
                .map(|l| l.item.as_str())
                .collect();
            let name = sheet
                .perpetrator_name(&inv.perpetrator)
                .unwrap_or(&inv.perpetrator);
            rows.push(row(
                &inc.id,
                Some(&inv.perpetrator),
                format!(
                    "{}: {name} ({}) responsible through {}",
                    inc.id, inv.perpetrator, inv.link
                ),
                linked,
            ));
        }
    }
    rows
}
