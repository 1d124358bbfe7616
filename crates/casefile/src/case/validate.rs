//! Checks a case sheet and names every field that is wrong.

use std::collections::HashSet;

use super::date;
use super::sheet::{CaseSheet, SCHEMA, StringKind};
use crate::names::{Id, Line, SheetId, Text};

/// One problem, at a field path such as `perpetrators[P1].birth_date.value`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Where.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Every problem in a sheet the user writes: those of [`validate`], and
/// what a sheet made by an earlier release (and so a received bundle) may
/// hold but a new one should not: an end before its start, a latitude
/// without a longitude, one pseudonym for two persons, a regime twice.
pub fn validate_written(sheet: &CaseSheet, item_exists: &dyn Fn(&str) -> bool) -> Vec<FieldError> {
    let mut errs = validate(sheet, item_exists);
    let mut err = |field: String, message: String| errs.push(FieldError { field, message });
    for (i, r) in sheet.submission.regimes.iter().enumerate() {
        if sheet.submission.regimes[..i].contains(r) {
            err(
                format!("submission.regimes[{i}]"),
                format!("{:?} is listed twice", r.as_str()),
            );
        }
    }
    for (i, p) in sheet.perpetrators.iter().enumerate() {
        for (j, pos) in p.positions.iter().enumerate() {
            if date::ends_before(&pos.from, &pos.to) {
                err(
                    format!("perpetrators[{i}].positions[{j}].to"),
                    format!("{:?} is before the start, {:?}", pos.to, pos.from),
                );
            }
        }
    }
    // Two persons under one pseudonym cannot be told apart in a bundle, nor
    // could one of them be withheld without the other.
    for (i, p) in sheet.persons.iter().enumerate() {
        let folded = p.pseudonym.trim().to_lowercase();
        if let Some(other) = sheet.persons[..i]
            .iter()
            .find(|o| !folded.is_empty() && o.pseudonym.trim().to_lowercase() == folded)
        {
            err(
                format!("persons[{i}].pseudonym"),
                format!(
                    "is also the pseudonym of {:?}; give each person their own",
                    other.id
                ),
            );
        }
    }
    for (i, inc) in sheet.incidents.iter().enumerate() {
        if date::ends_before(&inc.start, &inc.end) {
            err(
                format!("incidents[{i}].end"),
                format!("{:?} is before the start, {:?}", inc.end, inc.start),
            );
        }
        if inc.place.lat.is_some() != inc.place.lon.is_some() {
            err(
                format!("incidents[{i}].place"),
                "gives a latitude without a longitude or the other way round; give both or neither"
                    .into(),
            );
        }
    }
    errs
}

/// Every problem in `sheet`; `item_exists` says whether a vault item id is real.
pub fn validate(sheet: &CaseSheet, item_exists: &dyn Fn(&str) -> bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut err = |field: String, message: String| errs.push(FieldError { field, message });
    // Grammar first: a hostile id is named as such, not as a dangling reference.
    grammar(sheet, &mut err);
    if sheet.schema != SCHEMA {
        err("schema".into(), format!("must be {SCHEMA:?}"));
    }
    if sheet.title.trim().is_empty() {
        err("title".into(), "must not be empty".into());
    }
    let mut dates: Vec<(String, &str)> = Vec::new();
    let mut ids = HashSet::new();
    let perpetrators: HashSet<&str> = sheet.perpetrators.iter().map(|p| p.id.as_str()).collect();
    let persons: HashSet<&str> = sheet.persons.iter().map(|p| p.id.as_str()).collect();
    let incidents: HashSet<&str> = sheet.incidents.iter().map(|i| i.id.as_str()).collect();
    let mut check_id = |field: String, id: &str, err: &mut dyn FnMut(String, String)| {
        if id.trim().is_empty() {
            err(field, "must not be empty".into());
        } else if !ids.insert(id.to_string()) {
            err(
                field,
                format!("{id:?} is used twice; ids must be unique within the sheet"),
            );
        }
    };

    for (i, p) in sheet.perpetrators.iter().enumerate() {
        let at = format!("perpetrators[{i}]");
        check_id(format!("{at}.id"), &p.id, &mut err);
        if p.names.iter().all(|n| n.value.trim().is_empty()) {
            err(format!("{at}.names"), "needs at least one name".into());
        }
        if let Some(b) = &p.birth_date {
            dates.push((format!("{at}.birth_date.value"), &b.value));
        }
        for (j, pos) in p.positions.iter().enumerate() {
            if pos.title.trim().is_empty() {
                err(
                    format!("{at}.positions[{j}].title"),
                    "must not be empty".into(),
                );
            }
            if !pos.from.is_empty() {
                dates.push((format!("{at}.positions[{j}].from"), &pos.from));
            }
            if !pos.to.is_empty() {
                dates.push((format!("{at}.positions[{j}].to"), &pos.to));
            }
        }
        for (list, name) in [
            (&p.superiors, "superiors"),
            (&p.linked_entities, "linked_entities"),
        ] {
            for (j, r) in list.iter().enumerate() {
                if !perpetrators.contains(r.as_str()) || *r == p.id {
                    err(
                        format!("{at}.{name}[{j}]"),
                        format!("{r:?} is not another perpetrator of this case"),
                    );
                }
            }
        }
        if p.entity.is_some() && p.kind != super::sheet::PartyKind::Entity {
            err(
                format!("{at}.entity"),
                "only an entity has registration facts".into(),
            );
        }
    }
    for (i, p) in sheet.persons.iter().enumerate() {
        let at = format!("persons[{i}]");
        check_id(format!("{at}.id"), &p.id, &mut err);
        if p.pseudonym.trim().is_empty() {
            err(format!("{at}.pseudonym"), "must not be empty".into());
        }
        if !p.consent.date.is_empty() {
            dates.push((format!("{at}.consent.date"), &p.consent.date));
        }
        if !p.consent.given && (!p.consent.uses.is_empty() || !p.consent.recipients.is_empty()) {
            err(
                format!("{at}.consent"),
                "lists uses or recipients although consent was not given".into(),
            );
        }
    }
    for (i, inc) in sheet.incidents.iter().enumerate() {
        let at = format!("incidents[{i}]");
        check_id(format!("{at}.id"), &inc.id, &mut err);
        dates.push((format!("{at}.start"), &inc.start));
        if !inc.end.is_empty() {
            dates.push((format!("{at}.end"), &inc.end));
        }
        if inc.place.lat.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
            err(
                format!("{at}.place.lat"),
                "must be between -90 and 90".into(),
            );
        }
        if inc
            .place
            .lon
            .is_some_and(|v| !(-180.0..=180.0).contains(&v))
        {
            err(
                format!("{at}.place.lon"),
                "must be between -180 and 180".into(),
            );
        }
        for (j, inv) in inc.perpetrators.iter().enumerate() {
            if !perpetrators.contains(inv.perpetrator.as_str()) {
                err(
                    format!("{at}.perpetrators[{j}].perpetrator"),
                    format!("{:?} is not a perpetrator of this case", inv.perpetrator),
                );
            }
        }
        for (j, p) in inc.persons.iter().enumerate() {
            if !persons.contains(p.as_str()) {
                err(
                    format!("{at}.persons[{j}]"),
                    format!("{p:?} is not a victim or witness of this case"),
                );
            }
        }
    }
    for (i, link) in sheet.evidence.iter().enumerate() {
        let at = format!("evidence[{i}]");
        if !item_exists(&link.item) {
            err(
                format!("{at}.item"),
                format!("{:?} is not an item in this vault", link.item),
            );
        }
        if let Some(inc) = &link.incident
            && !incidents.contains(inc.as_str())
        {
            err(
                format!("{at}.incident"),
                format!("{inc:?} is not an incident of this case"),
            );
        }
        if let Some(party) = &link.party
            && !perpetrators.contains(party.as_str())
            && !persons.contains(party.as_str())
        {
            err(
                format!("{at}.party"),
                format!("{party:?} is not a perpetrator or person of this case"),
            );
        }
    }
    for (field, text) in dates {
        if let Err(why) = date::check(text) {
            err(field, why);
        }
    }
    errs
}

/// Every id fits its grammar and no text holds control characters, so a
/// sheet (above all one received from a sender) can be printed, indexed
/// and used to name things safely.
fn grammar(sheet: &CaseSheet, err: &mut dyn FnMut(String, String)) {
    let mut copy = sheet.clone();
    copy.visit_strings(&mut |path, kind, value| {
        let problem = match kind {
            StringKind::Id if path == "id" || path.ends_with(".item") => {
                Id::parse(value).err().map(|e| e.to_string())
            }
            StringKind::Id => SheetId::parse(value).err().map(|e| e.to_string()),
            StringKind::Free | StringKind::Date if path == "title" || kind == StringKind::Date => {
                Line::parse(value).err().map(|e| e.to_string())
            }
            StringKind::Free | StringKind::Date => Text::parse(value).err().map(|e| e.to_string()),
        };
        if let Some(p) = problem {
            err(path.to_string(), p);
        }
    });
}
