//! The corroboration matrix: each allegation against its independent sources.
//!
//! An allegation is an incident having happened, or a perpetrator's alleged
//! part in it. Items count as independent only when their recorded sources
//! differ; items linked to one victim or witness of the sheet (a testimony,
//! its recording, a photo they sent) count as that one person whatever
//! their recorded sources say; items without a recorded source count
//! together as one source, so the matrix never claims more corroboration
//! than the record shows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    // Whose an item is: the one person it is linked to without an incident
    // (as a testimony is to its witness), else the one person it is linked
    // to at all; an item about several persons keeps its recorded source.
    let persons_of = |item: &str, alone: bool| -> BTreeSet<&str> {
        sheet
            .evidence
            .iter()
            .filter(|l| l.item == item && (!alone || l.incident.is_none()))
            .filter_map(|l| l.party.as_deref())
            .filter(|p| sheet.persons.iter().any(|x| x.id == *p))
            .collect()
    };
    let source_of = |id: &str| -> (String, String) {
        let mut person = persons_of(id, true);
        if person.len() != 1 {
            person = persons_of(id, false);
        }
        if person.len() == 1 {
            let pid = person.into_iter().next().unwrap_or_default();
            let pseudonym = sheet
                .persons
                .iter()
                .find(|x| x.id == pid)
                .map_or("", |x| x.pseudonym.as_str());
            return (format!("\u{0}person {pid}"), format!("{pseudonym} ({pid})"));
        }
        match source(id).map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")) {
            // The same source written with other capitals or spaces is one source.
            Some(s) if !s.is_empty() => (s.to_lowercase(), s),
            _ => (String::new(), UNKNOWN_SOURCE.to_string()),
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
        let mut sources: BTreeMap<String, String> = BTreeMap::new();
        for id in &item_ids {
            let (key, shown) = source_of(id);
            sources.entry(key).or_insert(shown);
        }
        Allegation {
            incident: incident.to_string(),
            perpetrator: perpetrator.map(String::from),
            allegation,
            status: status(sources.len()),
            items: item_ids,
            sources: sources.into_values().collect(),
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
