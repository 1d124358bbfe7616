//! The closed lists of values a case sheet and an item may take, in one
//! place, so that every adapter (the desktop's forms, a help text) offers
//! exactly what the library accepts and nothing it would refuse.

use serde::Serialize;

use super::sheet::{
    AllegedLink, CaseType, Confidence, ConsentUse, Liability, NameKind, PartyKind, PersonRole,
    PersonStatus, Regime, Risk, Violation,
};
use crate::vault::ItemKind;

/// Every closed vocabulary, each as the values written in a sheet, in the
/// order the library declares them.
#[derive(Debug, Clone, Serialize)]
pub struct Vocabulary {
    /// `CaseSheet::case_type`.
    pub case_types: Vec<&'static str>,
    /// Regimes and mechanisms (`regimes`, consent recipients, `export --for`).
    pub regimes: Vec<&'static str>,
    /// How sure a value is.
    pub confidence: Vec<&'static str>,
    /// Person or entity, for a perpetrator.
    pub party_kinds: Vec<&'static str>,
    /// Kinds of name (legal, alias, transliteration…).
    pub name_kinds: Vec<&'static str>,
    /// Modes of liability.
    pub liability: Vec<&'static str>,
    /// Statuses of a victim or witness.
    pub person_statuses: Vec<&'static str>,
    /// Roles of a victim or witness.
    pub person_roles: Vec<&'static str>,
    /// Risk to a person.
    pub risks: Vec<&'static str>,
    /// Uses a person may consent to.
    pub consent_uses: Vec<&'static str>,
    /// Types of violation of an incident.
    pub violations: Vec<&'static str>,
    /// Links between a perpetrator and an incident.
    pub links: Vec<&'static str>,
    /// Kinds of evidence item.
    pub item_kinds: Vec<&'static str>,
}

fn values<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

/// The vocabularies of this build.
pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        case_types: values(CaseType::ALL, CaseType::as_str),
        regimes: values(Regime::ALL, Regime::as_str),
        confidence: values(Confidence::ALL, Confidence::as_str),
        party_kinds: values(PartyKind::ALL, PartyKind::as_str),
        name_kinds: values(NameKind::ALL, NameKind::as_str),
        liability: values(Liability::ALL, Liability::as_str),
        person_statuses: values(PersonStatus::ALL, PersonStatus::as_str),
        person_roles: values(PersonRole::ALL, PersonRole::as_str),
        risks: values(Risk::ALL, Risk::as_str),
        consent_uses: values(ConsentUse::ALL, ConsentUse::as_str),
        violations: values(Violation::ALL, Violation::as_str),
        links: values(AllegedLink::ALL, AllegedLink::as_str),
        item_kinds: values(&ItemKind::ALL, ItemKind::as_str),
    }
}

impl Vocabulary {
    /// The fields of a sheet that take a closed list, each with its values,
    /// as a plain-text table wrapped for a terminal (for `--help` and the README).
    pub fn describe(&self) -> String {
        let rows: [(&str, &[&str]); 11] = [
            ("type", &self.case_types),
            ("regimes, recipients", &self.regimes),
            ("confidence", &self.confidence),
            ("perpetrator kind", &self.party_kinds),
            ("name kind", &self.name_kinds),
            ("liability", &self.liability),
            ("person role", &self.person_roles),
            ("person status", &self.person_statuses),
            ("risk", &self.risks),
            ("consent uses", &self.consent_uses),
            ("violation", &self.violations),
        ];
        let rows = rows
            .into_iter()
            .chain([("incident link", self.links.as_slice())]);
        let mut out = String::new();
        for (field, values) in rows {
            let mut line = format!("  {field:<21}");
            for (i, v) in values.iter().enumerate() {
                let piece = if i + 1 < values.len() {
                    format!("{v}, ")
                } else {
                    v.to_string()
                };
                if line.len() + piece.trim_end().len() > 78 {
                    out.push_str(line.trim_end());
                    out.push('\n');
                    line = " ".repeat(23);
                }
                line.push_str(&piece);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_parses_back() {
        let v = vocabulary();
        for r in &v.regimes {
            assert_eq!(r.parse::<Regime>().map(Regime::as_str), Ok(*r));
        }
        for k in &v.item_kinds {
            assert_eq!(k.parse::<ItemKind>().map(ItemKind::as_str).ok(), Some(*k));
        }
        assert!(v.violations.contains(&"arbitrary-detention"));
        assert_eq!(v.person_roles, ["victim", "witness", "victim-and-witness"]);
    }
}
