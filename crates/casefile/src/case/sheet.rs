//! The case sheet, shaped the way a sanctions or accountability submission is
//! read: the submission, perpetrators, victims and witnesses, incidents,
//! evidence links, corroboration and exculpatory information.
//!
//! The sheet is one versioned JSON document (`casefile-case/1`); these types
//! are its schema. Unknown fields are refused so typos never vanish silently.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The schema tag every sheet carries.
pub const SCHEMA: &str = "casefile-case/1";

macro_rules! kebab_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant),+
        }
        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The value as written in the sheet.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown value {s:?}; use one of: {}", names.join(", "))
                })
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

kebab_enum!(
    /// The kind of case, as sanctions regimes distinguish them.
    CaseType {
        /// Gross violation of internationally recognised human rights.
        GrossViolation = "gross-violation",
        /// Significant corruption.
        Corruption = "corruption",
    }
);

kebab_enum!(
    /// A regime or mechanism the case is meant for.
    Regime {
        /// US Global Magnitsky Act / EO 13818.
        UsGlobalMagnitsky = "us-global-magnitsky",
        /// UK Global Human Rights sanctions regulations.
        UkGlobalHumanRights = "uk-global-human-rights",
        /// EU Global Human Rights Sanctions Regime.
        EuGlobalHumanRights = "eu-global-human-rights",
        /// Canada's Justice for Victims of Corrupt Foreign Officials Act.
        CanadaMagnitsky = "canada-magnitsky",
        /// The International Criminal Court.
        Icc = "icc",
        /// A United Nations mechanism.
        UnMechanism = "un-mechanism",
        /// Anything else.
        Other = "other",
    }
);

kebab_enum!(
    /// How sure the documenter is of an identifier.
    Confidence {
        /// Confirmed by an official or documentary source.
        Confirmed = "confirmed",
        /// Probable: consistent sources.
        Probable = "probable",
        /// Possible: a single or weak source.
        Possible = "possible",
        /// Not yet verified.
        Unverified = "unverified",
    }
);

kebab_enum!(
    /// Whether a perpetrator is a person or an entity.
    PartyKind {
        /// A natural person.
        Person = "person",
        /// A company, unit or organisation.
        Entity = "entity",
    }
);

kebab_enum!(
    /// How a name is written.
    NameKind {
        /// In the original script.
        Original = "original",
        /// A transliteration into another script.
        Transliteration = "transliteration",
        /// An alias or nickname.
        Alias = "alias",
    }
);

kebab_enum!(
    /// Mode of liability of a perpetrator.
    Liability {
        /// Committed it personally.
        Perpetrated = "perpetrated",
        /// Ordered it.
        Ordered = "ordered",
        /// Held command over those who did it.
        Commanded = "commanded",
        /// Was complicit.
        Complicit = "complicit",
        /// Facilitated it.
        Facilitated = "facilitated",
    }
);

kebab_enum!(
    /// The status of a victim or witness that sanctions regimes weigh.
    PersonStatus {
        /// A human-rights defender.
        HumanRightsDefender = "human-rights-defender",
        /// A journalist.
        Journalist = "journalist",
        /// A lawyer.
        Lawyer = "lawyer",
        /// Another status.
        Other = "other",
        /// No particular status.
        None = "none",
    }
);

kebab_enum!(
    /// Role of a person in the case.
    PersonRole {
        /// A victim.
        Victim = "victim",
        /// A witness.
        Witness = "witness",
        /// Both a victim and a witness.
        VictimAndWitness = "victim-and-witness",
    }
);

kebab_enum!(
    /// Risk to a person if identified.
    Risk {
        /// Low.
        Low = "low",
        /// Medium.
        Medium = "medium",
        /// High.
        High = "high",
    }
);

kebab_enum!(
    /// A use of a person's information that consent may cover.
    ConsentUse {
        /// Inclusion in a submission to the named recipients.
        Submission = "submission",
        /// Use in legal proceedings.
        Prosecution = "prosecution",
        /// Publication.
        Publication = "publication",
        /// Sharing with partner organisations.
        Partners = "partners",
    }
);

kebab_enum!(
    /// Type of violation.
    Violation {
        /// Killing.
        Killing = "killing",
        /// Torture or ill-treatment.
        Torture = "torture",
        /// Enforced disappearance.
        EnforcedDisappearance = "enforced-disappearance",
        /// Arbitrary detention.
        ArbitraryDetention = "arbitrary-detention",
        /// Denial of medical care.
        DenialOfMedicalCare = "denial-of-medical-care",
        /// Sexual violence.
        SexualViolence = "sexual-violence",
        /// Forced labour.
        ForcedLabour = "forced-labour",
        /// Bribery.
        Bribery = "bribery",
        /// Misappropriation of state assets.
        Misappropriation = "misappropriation",
        /// Expropriation of private assets.
        Expropriation = "expropriation",
        /// Anything else.
        Other = "other",
    }
);

kebab_enum!(
    /// The alleged link between a perpetrator and an incident.
    AllegedLink {
        /// Directly involved.
        Direct = "direct",
        /// Responsible as a commander or superior.
        CommandResponsibility = "command-responsibility",
        /// Knew and failed to act.
        Knowledge = "knowledge",
    }
);

/// A value with where it comes from and how sure we are of it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attested {
    /// The value.
    pub value: String,
    /// Where it comes from (an item id, a register, a witness).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// How sure we are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

/// A name in one script or form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Name {
    /// The name as written.
    pub value: String,
    /// Original, transliteration or alias.
    pub kind: NameKind,
    /// Script or language tag (e.g. `ru-Cyrl`, `zh-Hans`, `ar`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub script: String,
    /// Where it comes from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// How sure we are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

/// An identity document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdDocument {
    /// Passport, national ID, ...
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Its number.
    pub number: String,
    /// Issuing country.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub country: String,
    /// Where it comes from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// How sure we are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

/// A position held, with dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// The title.
    pub title: String,
    /// Unit.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Institution.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub institution: String,
    /// Start (a date of any precision).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// End (a date of any precision; empty while in post).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// Where it comes from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// How sure we are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

impl Incident {
    /// When it happened, as a sentence part: "on 2024-05-01", or "from
    /// 2024-05-01 to 2024-05-19" when it lasted.
    pub fn when(&self) -> String {
        let (start, end) = (self.start.trim(), self.end.trim());
        if end.is_empty() || end == start {
            format!("on {start}")
        } else {
            format!("from {start} to {end}")
        }
    }
}

impl Position {
    /// The position as a reader cites it: "Title, Unit, Institution
    /// (from–to)", leaving out what is not known ("from 2019" while in post).
    pub fn described(&self) -> String {
        let mut s = [&self.title, &self.unit, &self.institution]
            .into_iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let (from, to) = (self.from.trim(), self.to.trim());
        match (from.is_empty(), to.is_empty()) {
            (true, true) => {}
            (false, true) => s.push_str(&format!(" (from {from})")),
            (true, false) => s.push_str(&format!(" (until {to})")),
            (false, false) => s.push_str(&format!(" ({from}–{to})")),
        }
        s
    }
}

/// A relative or associate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Associate {
    /// The name.
    pub name: String,
    /// Relationship (spouse, business partner, ...).
    pub relation: String,
    /// Where it comes from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// Facts that only an entity has.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityFacts {
    /// Registration number.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub registration_number: String,
    /// Jurisdiction of registration.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jurisdiction: String,
    /// Owners and directors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners_directors: Vec<Attested>,
}

/// A person or entity alleged to be responsible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Perpetrator {
    /// Id within the sheet (e.g. `P1`).
    pub id: String,
    /// Person or entity.
    pub kind: PartyKind,
    /// Names, original script first.
    pub names: Vec<Name>,
    /// Gender, for persons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Attested>,
    /// Date of birth: `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, or `FROM/TO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<Attested>,
    /// Place of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_place: Option<Attested>,
    /// Nationalities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nationalities: Vec<Attested>,
    /// Identity documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<IdDocument>,
    /// Positions held.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<Position>,
    /// Ids of superiors among the perpetrators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superiors: Vec<String>,
    /// Modes of liability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub liability: Vec<Liability>,
    /// Ids of linked entities among the perpetrators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked_entities: Vec<String>,
    /// Relatives and associates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associates: Vec<Associate>,
    /// For entities: registration and ownership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<EntityFacts>,
    /// Free notes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// What a person agreed to.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Whether consent was given at all.
    pub given: bool,
    /// When (a date of any precision).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub date: String,
    /// Which uses it covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<ConsentUse>,
    /// Which recipients it covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<Regime>,
    /// Conditions in the person's words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

impl Consent {
    /// True when this consent covers `usage` towards `recipient`.
    pub fn covers(&self, usage: ConsentUse, recipient: Regime) -> bool {
        self.given && self.uses.contains(&usage) && self.recipients.contains(&recipient)
    }
}

/// A victim or witness, known by a pseudonym.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Id within the sheet (e.g. `V1`, `W1`).
    pub id: String,
    /// Pseudonym used everywhere.
    pub pseudonym: String,
    /// Victim, witness or both.
    pub role: PersonRole,
    /// Status.
    #[serde(default = "default_status")]
    pub status: PersonStatus,
    /// Consent and its scope.
    #[serde(default)]
    pub consent: Consent,
    /// Risk if identified.
    #[serde(default = "default_risk")]
    pub risk: Risk,
    /// Free notes (never the real identity).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

fn default_status() -> PersonStatus {
    PersonStatus::None
}

fn default_risk() -> Risk {
    Risk::High
}

/// Where an incident took place.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Administrative unit and locality, as precise as known.
    pub admin: String,
    /// Latitude in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

/// A perpetrator's alleged part in an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Involvement {
    /// The perpetrator's id.
    pub perpetrator: String,
    /// How they are linked.
    pub link: AllegedLink,
}

/// One incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    /// Id within the sheet (e.g. `I1`).
    pub id: String,
    /// Violation type.
    pub violation: Violation,
    /// Start: `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or `FROM/TO`.
    pub start: String,
    /// End, if it lasted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub end: String,
    /// Where.
    #[serde(default)]
    pub place: Place,
    /// What happened.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub narrative: String,
    /// Perpetrators involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perpetrators: Vec<Involvement>,
    /// Victims and witnesses concerned (person ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub persons: Vec<String>,
}

/// An item linked to what it supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceLink {
    /// The item id in the vault.
    pub item: String,
    /// The incident it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// The perpetrator or person it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// What it supports, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub supports: String,
}

/// Submission details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// Regimes or mechanisms addressed.
    #[serde(default)]
    pub regimes: Vec<Regime>,
    /// Submitting organisation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organisation: String,
    /// Contact name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact_name: String,
    /// Contact e-mail.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact_email: String,
    /// Partner organisations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<String>,
    /// Confidentiality requested of the recipient.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub confidentiality: String,
    /// Summary of the case.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
}

/// The whole case sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseSheet {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The case id in the vault.
    pub id: String,
    /// Title.
    pub title: String,
    /// Gross violation or corruption.
    #[serde(rename = "type")]
    pub case_type: CaseType,
    /// Submission details.
    #[serde(default)]
    pub submission: Submission,
    /// Alleged perpetrators.
    #[serde(default)]
    pub perpetrators: Vec<Perpetrator>,
    /// Victims and witnesses.
    #[serde(default)]
    pub persons: Vec<Person>,
    /// Incidents.
    #[serde(default)]
    pub incidents: Vec<Incident>,
    /// Items in the case, each with what it supports.
    #[serde(default)]
    pub evidence: Vec<EvidenceLink>,
    /// Notes on how the allegations corroborate each other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corroboration: Vec<String>,
    /// Information that points the other way, recorded as any honest file must.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exculpatory: Vec<String>,
}

impl CaseSheet {
    /// A new, empty sheet.
    pub fn new(id: &str, title: &str, case_type: CaseType, regimes: Vec<Regime>) -> Self {
        CaseSheet {
            schema: SCHEMA.into(),
            id: id.into(),
            title: title.into(),
            case_type,
            submission: Submission {
                regimes,
                ..Submission::default()
            },
            perpetrators: Vec::new(),
            persons: Vec::new(),
            incidents: Vec::new(),
            evidence: Vec::new(),
            corroboration: Vec::new(),
            exculpatory: Vec::new(),
        }
    }

    /// Persons whose consent covers `usage` towards `recipient`.
    pub fn persons_cleared_for(&self, usage: ConsentUse, recipient: Regime) -> Vec<&Person> {
        self.persons
            .iter()
            .filter(|p| p.consent.covers(usage, recipient))
            .collect()
    }

    /// The perpetrator's primary name: the first original-script name, else the first.
    pub fn perpetrator_name(&self, id: &str) -> Option<&str> {
        let p = self.perpetrators.iter().find(|p| p.id == id)?;
        p.names
            .iter()
            .find(|n| n.kind == NameKind::Original)
            .or(p.names.first())
            .map(|n| n.value.as_str())
    }
}

/// What a string of the sheet holds, for code that checks or scrubs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringKind {
    /// Free text written by a person: names, notes, narratives.
    Free,
    /// An id or a reference to one (`P1`, an item id).
    Id,
    /// A date of any precision.
    Date,
}

impl CaseSheet {
    /// Calls `f` with the path, kind and value of every string the sheet
    /// holds except its schema tag and enum values; the test below proves no
    /// string field is left out, so code that scrubs free text by walking
    /// the typed sheet cannot miss one.
    pub fn visit_strings(&mut self, f: &mut dyn FnMut(&str, StringKind, &mut String)) {
        use StringKind::{Date, Free, Id};
        let mut v = |path: String, kind: StringKind, s: &mut String| f(&path, kind, s);
        v("id".into(), Id, &mut self.id);
        v("title".into(), Free, &mut self.title);
        let sub = &mut self.submission;
        v(
            "submission.organisation".into(),
            Free,
            &mut sub.organisation,
        );
        v(
            "submission.contact_name".into(),
            Free,
            &mut sub.contact_name,
        );
        v(
            "submission.contact_email".into(),
            Free,
            &mut sub.contact_email,
        );
        for (i, p) in sub.partners.iter_mut().enumerate() {
            v(format!("submission.partners[{i}]"), Free, p);
        }
        v(
            "submission.confidentiality".into(),
            Free,
            &mut sub.confidentiality,
        );
        v("submission.summary".into(), Free, &mut sub.summary);
        fn attested(
            v: &mut dyn FnMut(String, StringKind, &mut String),
            at: String,
            a: &mut Attested,
            kind: StringKind,
        ) {
            v(format!("{at}.value"), kind, &mut a.value);
            v(format!("{at}.source"), StringKind::Free, &mut a.source);
        }
        for (i, p) in self.perpetrators.iter_mut().enumerate() {
            let at = format!("perpetrators[{i}]");
            v(format!("{at}.id"), Id, &mut p.id);
            for (j, n) in p.names.iter_mut().enumerate() {
                v(format!("{at}.names[{j}].value"), Free, &mut n.value);
                v(format!("{at}.names[{j}].script"), Free, &mut n.script);
                v(format!("{at}.names[{j}].source"), Free, &mut n.source);
            }
            if let Some(a) = &mut p.gender {
                attested(&mut v, format!("{at}.gender"), a, Free);
            }
            if let Some(a) = &mut p.birth_date {
                attested(&mut v, format!("{at}.birth_date"), a, Date);
            }
            if let Some(a) = &mut p.birth_place {
                attested(&mut v, format!("{at}.birth_place"), a, Free);
            }
            for (j, a) in p.nationalities.iter_mut().enumerate() {
                attested(&mut v, format!("{at}.nationalities[{j}]"), a, Free);
            }
            for (j, d) in p.documents.iter_mut().enumerate() {
                let at = format!("{at}.documents[{j}]");
                v(format!("{at}.type"), Free, &mut d.doc_type);
                v(format!("{at}.number"), Free, &mut d.number);
                v(format!("{at}.country"), Free, &mut d.country);
                v(format!("{at}.source"), Free, &mut d.source);
            }
            for (j, x) in p.positions.iter_mut().enumerate() {
                let at = format!("{at}.positions[{j}]");
                v(format!("{at}.title"), Free, &mut x.title);
                v(format!("{at}.unit"), Free, &mut x.unit);
                v(format!("{at}.institution"), Free, &mut x.institution);
                v(format!("{at}.from"), Date, &mut x.from);
                v(format!("{at}.to"), Date, &mut x.to);
                v(format!("{at}.source"), Free, &mut x.source);
            }
            for (j, s) in p.superiors.iter_mut().enumerate() {
                v(format!("{at}.superiors[{j}]"), Id, s);
            }
            for (j, s) in p.linked_entities.iter_mut().enumerate() {
                v(format!("{at}.linked_entities[{j}]"), Id, s);
            }
            for (j, a) in p.associates.iter_mut().enumerate() {
                let at = format!("{at}.associates[{j}]");
                v(format!("{at}.name"), Free, &mut a.name);
                v(format!("{at}.relation"), Free, &mut a.relation);
                v(format!("{at}.source"), Free, &mut a.source);
            }
            if let Some(e) = &mut p.entity {
                v(
                    format!("{at}.entity.registration_number"),
                    Free,
                    &mut e.registration_number,
                );
                v(
                    format!("{at}.entity.jurisdiction"),
                    Free,
                    &mut e.jurisdiction,
                );
                for (j, a) in e.owners_directors.iter_mut().enumerate() {
                    attested(
                        &mut v,
                        format!("{at}.entity.owners_directors[{j}]"),
                        a,
                        Free,
                    );
                }
            }
            v(format!("{at}.notes"), Free, &mut p.notes);
        }
        for (i, p) in self.persons.iter_mut().enumerate() {
            let at = format!("persons[{i}]");
            v(format!("{at}.id"), Id, &mut p.id);
            v(format!("{at}.pseudonym"), Free, &mut p.pseudonym);
            v(format!("{at}.consent.date"), Date, &mut p.consent.date);
            v(format!("{at}.consent.notes"), Free, &mut p.consent.notes);
            v(format!("{at}.notes"), Free, &mut p.notes);
        }
        for (i, inc) in self.incidents.iter_mut().enumerate() {
            let at = format!("incidents[{i}]");
            v(format!("{at}.id"), Id, &mut inc.id);
            v(format!("{at}.start"), Date, &mut inc.start);
            v(format!("{at}.end"), Date, &mut inc.end);
            v(format!("{at}.place.admin"), Free, &mut inc.place.admin);
            v(format!("{at}.narrative"), Free, &mut inc.narrative);
            for (j, x) in inc.perpetrators.iter_mut().enumerate() {
                v(
                    format!("{at}.perpetrators[{j}].perpetrator"),
                    Id,
                    &mut x.perpetrator,
                );
            }
            for (j, x) in inc.persons.iter_mut().enumerate() {
                v(format!("{at}.persons[{j}]"), Id, x);
            }
        }
        for (i, l) in self.evidence.iter_mut().enumerate() {
            let at = format!("evidence[{i}]");
            v(format!("{at}.item"), Id, &mut l.item);
            if let Some(x) = &mut l.incident {
                v(format!("{at}.incident"), Id, x);
            }
            if let Some(x) = &mut l.party {
                v(format!("{at}.party"), Id, x);
            }
            v(format!("{at}.supports"), Free, &mut l.supports);
        }
        for (i, x) in self.corroboration.iter_mut().enumerate() {
            v(format!("corroboration[{i}]"), Free, x);
        }
        for (i, x) in self.exculpatory.iter_mut().enumerate() {
            v(format!("exculpatory[{i}]"), Free, x);
        }
    }
}

#[cfg(test)]
mod visit_tests {
    use super::*;

    #[test]
    fn a_position_reads_as_it_is_cited() {
        let p = |title: &str, unit: &str, institution: &str, from: &str, to: &str| Position {
            title: title.into(),
            unit: unit.into(),
            institution: institution.into(),
            from: from.into(),
            to: to.into(),
            source: String::new(),
            confidence: None,
        };
        assert_eq!(
            p(
                "Director",
                "District 3 Public Security Bureau",
                "Ministry of Public Security",
                "2019",
                "2023"
            )
            .described(),
            "Director, District 3 Public Security Bureau, Ministry of Public Security (2019–2023)"
        );
        assert_eq!(
            p("Warden", "", "Prison Service", "2020-03", "").described(),
            "Warden, Prison Service (from 2020-03)"
        );
        assert_eq!(
            p("Judge", "", "", "", "2021").described(),
            "Judge (until 2021)"
        );
        assert_eq!(p("Officer", " ", "", "", "").described(), "Officer");
    }

    #[test]
    fn an_incident_that_lasted_says_so() {
        let sheet: CaseSheet = crate::case::parse_sheet(
            r#"{"schema":"casefile-case/1","id":"c1","title":"t","type":"gross-violation",
                "incidents":[{"id":"I1","violation":"torture","start":"2024-05-01","end":"2024-05-19"},
                             {"id":"I2","violation":"torture","start":"2024-05"}]}"#,
        )
        .unwrap();
        assert_eq!(sheet.incidents[0].when(), "from 2024-05-01 to 2024-05-19");
        assert_eq!(sheet.incidents[1].when(), "on 2024-05");
    }

    /// A sheet with every optional part present and every string unique.
    fn everything() -> CaseSheet {
        let json = include_str!("../../tests/data/every-field.json");
        serde_json::from_str(json).expect("the full sheet parses")
    }

    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_string_is_visited() {
        let mut sheet = everything();
        sheet.visit_strings(&mut |_, _, s| s.push('\u{1}'));
        let mut all = Vec::new();
        strings(&serde_json::to_value(&sheet).expect("serialises"), &mut all);
        let enum_like: Vec<&String> = all
            .iter()
            .filter(|s| !s.ends_with('\u{1}') && s.as_str() != SCHEMA)
            .collect();
        // What is left must be enum values (they parse back as such).
        for s in enum_like {
            assert!(
                s.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "a string field is not visited: {s:?}"
            );
        }
        // And the sheet really had every kind of field filled in.
        assert!(all.len() > 60, "{}", all.len());
    }
}
