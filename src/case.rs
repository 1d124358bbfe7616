//! The `case`, `testimony`, `derive`, `search` and `demo` commands.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use casefile::case::edit::{self, Added};
use casefile::case::matrix::{Allegation, corroboration};
use casefile::case::sheet::{
    Attested, CaseSheet, CaseType, Confidence, Consent, ConsentUse, EvidenceLink, Incident,
    Involvement, Liability, Name, NameKind, PartyKind, Perpetrator, Person, PersonRole,
    PersonStatus, Place, Position, Regime, Risk, Violation,
};
use casefile::case::testimony::{self, Interview};
use casefile::vault::NewItem;
use casefile::{Item, Task, Vault, case};
use clap::{Args, Subcommand};

use crate::output;

/// `case` subcommands.
#[derive(Subcommand)]
pub enum CaseAction {
    /// Create a case.
    New {
        /// Title.
        #[arg(long)]
        title: String,
        /// gross-violation or corruption.
        #[arg(long = "type")]
        case_type: CaseType,
        /// Regime or mechanism addressed (repeatable): us-global-magnitsky,
        /// uk-global-human-rights, eu-global-human-rights, canada-magnitsky, icc, un-mechanism, other.
        #[arg(long = "regime")]
        regimes: Vec<Regime>,
    },
    /// List cases.
    List,
    /// Print the JSON Schema of a case sheet (for editors; needs no vault).
    Schema,
    /// Print a filled, commented example sheet to edit and store with `case edit`
    /// (without a case id it needs no vault; a case that has content is
    /// printed as it is, commented the same way).
    Template {
        /// Case id or unique prefix the sheet is for (default: left empty,
        /// filled in by `case edit`).
        id: Option<String>,
        /// gross-violation or corruption.
        #[arg(long = "type")]
        case_type: Option<CaseType>,
    },
    /// Show a case sheet (with --json: the whole versioned sheet, ready to edit).
    Show {
        /// Case id or unique prefix.
        id: String,
        /// Also print the corroboration matrix (with --json: the matrix alone).
        #[arg(long)]
        matrix: bool,
    },
    /// Replace a case sheet with an edited JSON document (`-` reads standard input);
    /// `//` comments are allowed and an empty "id" means this case.
    Edit {
        /// Case id or unique prefix.
        id: String,
        /// The sheet, as printed by `case show ID --json`.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Add an alleged perpetrator (the next P<n>): names, position, liability.
    AddPerpetrator(PerpetratorArgs),
    /// Add a victim or witness by pseudonym (the next V<n> or W<n>), with consent.
    AddPerson(PersonArgs),
    /// Add an incident (the next I<n>): violation, dates, place, who was involved.
    AddIncident(IncidentArgs),
    /// Link an item to the case, an incident or a person, with what it supports.
    Link {
        /// Case id or unique prefix.
        id: String,
        /// Item id or unique prefix.
        #[arg(long)]
        item: String,
        /// Incident id in the sheet (e.g. I1).
        #[arg(long)]
        incident: Option<String>,
        /// Perpetrator or person id in the sheet (e.g. P1, V1).
        #[arg(long)]
        party: Option<String>,
        /// What the item supports, in words.
        #[arg(long, default_value = "")]
        supports: String,
    },
    /// Show (or with --set-file, store) a person's protected real identity.
    Identity {
        /// Case id or unique prefix.
        id: String,
        /// Person id in the sheet.
        person: String,
        /// Store the identity read from this file (`-` for standard input). Its
        /// first line is the name, looked for in what a bundle for a recipient
        /// without consent would hold; further lines (birth, address, phone) are kept, not looked for.
        #[arg(long, value_name = "FILE")]
        set_file: Option<PathBuf>,
    },
    /// Persons whose consent covers a use towards a recipient.
    Cleared {
        /// Case id or unique prefix.
        id: String,
        /// submission, prosecution, publication or partners.
        #[arg(long = "use")]
        usage: ConsentUse,
        /// The regime or mechanism receiving it.
        #[arg(long)]
        recipient: Regime,
    },
}

/// Arguments of `case add-perpetrator`.
#[derive(Args)]
pub struct PerpetratorArgs {
    /// Case id or unique prefix.
    id: String,
    /// The name in its original script.
    #[arg(long)]
    name: String,
    /// Script or language tag of that name (e.g. ru-Cyrl, zh-Hans, ar).
    #[arg(long, default_value = "")]
    script: String,
    /// A transliteration of the name (repeatable).
    #[arg(long = "transliteration", value_name = "NAME")]
    transliterations: Vec<String>,
    /// An alias or nickname (repeatable).
    #[arg(long = "alias", value_name = "NAME")]
    aliases: Vec<String>,
    /// person or entity.
    #[arg(long, default_value = "person")]
    kind: PartyKind,
    /// Gender, for a person.
    #[arg(long)]
    gender: Option<String>,
    /// Date of birth (YYYY-MM-DD, YYYY-MM, YYYY or FROM/TO).
    #[arg(long)]
    birth_date: Option<String>,
    /// Nationality (repeatable).
    #[arg(long = "nationality", value_name = "COUNTRY")]
    nationalities: Vec<String>,
    /// Title of a position held.
    #[arg(long)]
    position: Option<String>,
    /// Unit of that position.
    #[arg(long, default_value = "", requires = "position")]
    unit: String,
    /// Institution of that position.
    #[arg(long, default_value = "", requires = "position")]
    institution: String,
    /// Since when the position was held (a date of any precision).
    #[arg(long, default_value = "", requires = "position")]
    from: String,
    /// Until when (empty while in post).
    #[arg(long, default_value = "", requires = "position")]
    to: String,
    /// Mode of liability (repeatable): perpetrated, ordered, commanded, complicit, facilitated.
    #[arg(long = "liability", value_name = "MODE")]
    liability: Vec<Liability>,
    /// A superior among the case's perpetrators (repeatable), e.g. P1.
    #[arg(long = "superior", value_name = "ID")]
    superiors: Vec<String>,
    /// Where these identifiers come from (a register, an item id, a witness).
    #[arg(long, default_value = "")]
    source: String,
    /// How sure they are: confirmed, probable, possible, unverified.
    #[arg(long)]
    confidence: Option<Confidence>,
}

/// Arguments of `case add-person`.
#[derive(Args)]
pub struct PersonArgs {
    /// Case id or unique prefix.
    id: String,
    /// The pseudonym used everywhere (never the real name).
    #[arg(long)]
    pseudonym: String,
    /// victim, witness or victim-and-witness.
    #[arg(long)]
    role: PersonRole,
    /// human-rights-defender, journalist, lawyer, other or none.
    #[arg(long, default_value = "none")]
    status: PersonStatus,
    /// Risk if identified: low, medium or high.
    #[arg(long, default_value = "high")]
    risk: Risk,
    /// A use consented to (repeatable): submission, prosecution, publication, partners.
    #[arg(long = "consent-use", value_name = "USE")]
    consent_uses: Vec<ConsentUse>,
    /// A recipient consented to (repeatable), e.g. us-global-magnitsky.
    #[arg(long = "consent-to", value_name = "RECIPIENT")]
    consent_to: Vec<Regime>,
    /// When consent was given.
    #[arg(long, default_value = "")]
    consent_date: String,
    /// Conditions of the consent, in the person's words.
    #[arg(long, default_value = "")]
    consent_notes: String,
    /// Free notes (never the real identity: see `case identity`).
    #[arg(long, default_value = "")]
    notes: String,
}

/// Arguments of `case add-incident`.
#[derive(Args)]
pub struct IncidentArgs {
    /// Case id or unique prefix.
    id: String,
    /// The violation (see `casefile case --help` for the list).
    #[arg(long)]
    violation: Violation,
    /// When it began (YYYY-MM-DD, YYYY-MM, YYYY or FROM/TO).
    #[arg(long)]
    start: String,
    /// When it ended, if it lasted.
    #[arg(long, default_value = "")]
    end: String,
    /// Where: administrative unit and locality, as precise as known.
    #[arg(long, default_value = "")]
    place: String,
    /// Latitude of the place, degrees.
    #[arg(long, requires = "lon", allow_hyphen_values = true)]
    lat: Option<f64>,
    /// Longitude of the place, degrees.
    #[arg(long, requires = "lat", allow_hyphen_values = true)]
    lon: Option<f64>,
    /// What happened.
    #[arg(long, default_value = "")]
    narrative: String,
    /// A perpetrator involved, with the alleged link (repeatable): P1=direct,
    /// P2=command-responsibility, P3=knowledge.
    #[arg(long = "perpetrator", value_name = "ID=LINK", value_parser = involvement)]
    perpetrators: Vec<Involvement>,
    /// A victim or witness concerned (repeatable), e.g. V1.
    #[arg(long = "person", value_name = "ID")]
    persons: Vec<String>,
}

fn involvement(s: &str) -> Result<Involvement, String> {
    let (id, link) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: write ID=LINK, e.g. P1=direct"))?;
    Ok(Involvement {
        perpetrator: id.trim().to_string(),
        link: link.trim().parse()?,
    })
}

/// Arguments of `testimony`.
#[derive(Args)]
pub struct TestimonyArgs {
    /// Case id or unique prefix.
    #[arg(long)]
    case: String,
    /// Witness pseudonym (or person id in the sheet).
    #[arg(long)]
    witness: String,
    /// Who took the statement.
    #[arg(long)]
    interviewer: String,
    /// Date of the interview (YYYY-MM-DD, YYYY-MM, YYYY).
    #[arg(long)]
    date: String,
    /// Where it took place.
    #[arg(long)]
    place: String,
    /// Language of the statement.
    #[arg(long)]
    language: String,
    /// Statement text file (default: standard input).
    #[arg(long, value_name = "FILE")]
    text: Option<PathBuf>,
    /// Audio or video recording of the interview.
    #[arg(long, value_name = "FILE")]
    audio: Option<PathBuf>,
    /// The incident the statement speaks to (e.g. I1): it is linked there too.
    #[arg(long)]
    incident: Option<String>,
    /// The perpetrator or person it speaks about (e.g. P1): linked there too.
    #[arg(long)]
    party: Option<String>,
}

/// Arguments of `derive`.
#[derive(Args)]
pub struct DeriveArgs {
    /// The original item.
    id: String,
    /// translation, correction or transcript.
    #[arg(long = "as", value_parser = ["translation", "correction", "transcript"])]
    operation: String,
    /// The derived text (default: standard input).
    #[arg(long, value_name = "FILE")]
    text: Option<PathBuf>,
    /// Language of the derived text.
    #[arg(long)]
    language: Option<String>,
    /// Title.
    #[arg(long)]
    title: Option<String>,
}

fn read_text(path: Option<&Path>, what: &str) -> anyhow::Result<String> {
    let limit = testimony::MAX_STATEMENT;
    let mut bytes = Vec::new();
    match path {
        Some(p) if p != Path::new("-") => std::fs::File::open(p)
            .and_then(|f| f.take(limit as u64 + 1).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read the {what} {}", p.display()))?,
        _ => std::io::stdin()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read the {what} from standard input"))?,
    };
    // Said before parsing: a sheet cut at the limit would otherwise be
    // reported as ending too early, somewhere past its 16 millionth byte.
    if bytes.len() > limit {
        anyhow::bail!(
            "the {what} is larger than the {} MiB it may be",
            limit / (1024 * 1024)
        );
    }
    String::from_utf8(bytes).map_err(|e| anyhow::anyhow!("the {what} is not UTF-8 text ({e})"))
}

/// Runs a `case` subcommand.
pub fn run(vault: &mut Vault, action: CaseAction, json: bool) -> anyhow::Result<ExitCode> {
    match action {
        CaseAction::New {
            title,
            case_type,
            regimes,
        } => {
            let sheet = case::create(vault, &title, case_type, regimes)?;
            if json {
                output::json(&sheet)?;
            } else {
                say!("created case {}  {}", sheet.id, sheet.title);
            }
        }
        CaseAction::Template { id, case_type } => {
            let case = id.map(|id| case::load(vault, &id)).transpose()?;
            say!("{}", template_for(case.as_ref(), case_type).trim_end());
        }
        CaseAction::Schema => print!("{}", case::schema::schema_json()),
        CaseAction::List => {
            let cases = case::list(vault)?;
            if json {
                output::json(&cases)?;
            } else if cases.is_empty() {
                say!(
                    "No cases yet. Create one with `casefile case new --title T --type gross-violation`."
                );
            } else {
                say!(
                    "{:<10}  {:<15}  {:>5}  {:>5}  {:>5}  TITLE",
                    "ID",
                    "TYPE",
                    "PERP",
                    "INC",
                    "EVID"
                );
                for c in cases {
                    say!(
                        "{:<10}  {:<15}  {:>5}  {:>5}  {:>5}  {}",
                        c.id,
                        c.case_type.as_str(),
                        c.perpetrators,
                        c.incidents,
                        c.evidence,
                        c.title
                    );
                }
            }
        }
        CaseAction::Show { id, matrix } => {
            let sheet = case::load(vault, &id)?;
            let items: HashMap<String, Item> = vault
                .list()?
                .into_iter()
                .map(|i| (i.id.clone(), i))
                .collect();
            if json && matrix {
                output::json(&corroboration(&sheet, &items))?;
            } else if json {
                output::json(&sheet)?;
            } else {
                print_sheet(&sheet, &items);
                if matrix {
                    print_matrix(&corroboration(&sheet, &items));
                }
            }
        }
        CaseAction::Edit { id, file } => {
            let current = case::load(vault, &id)?;
            let text = read_text(Some(&file), "case sheet")?;
            let mut sheet = case::parse_written_sheet(&text)?;
            if sheet.id.is_empty() {
                sheet.id.clone_from(&current.id);
            }
            if sheet.id != current.id {
                anyhow::bail!(
                    "the sheet in {} is for case {}, not {}",
                    file.display(),
                    sheet.id,
                    current.id
                );
            }
            let changed = case::save(vault, &sheet)?;
            if json {
                output::json(&serde_json::json!({ "id": sheet.id, "changed": changed }))?;
            } else if changed.is_empty() {
                say!("no change");
            } else {
                say!("case {} updated:", sheet.id);
                changed.iter().for_each(|c| say!("  {c}"));
            }
        }
        CaseAction::AddPerpetrator(a) => {
            let id = a.id.clone();
            let added = edit::add_perpetrator(vault, &id, perpetrator(a))?;
            print_added(&added, "perpetrator", json)?;
        }
        CaseAction::AddPerson(a) => {
            let id = a.id.clone();
            let added = edit::add_person(vault, &id, person(a))?;
            print_added(&added, "person", json)?;
        }
        CaseAction::AddIncident(a) => {
            let id = a.id.clone();
            let added = edit::add_incident(vault, &id, incident(a))?;
            print_added(&added, "incident", json)?;
        }
        CaseAction::Link {
            id,
            item,
            incident,
            party,
            supports,
        } => {
            let sheet = case::link(
                vault,
                &id,
                EvidenceLink {
                    item,
                    incident,
                    party,
                    supports,
                },
            )?;
            if json {
                output::json(&sheet)?;
            } else {
                let n = sheet.evidence.len();
                say!(
                    "linked; case {} now has {n} evidence link{}",
                    sheet.id,
                    if n == 1 { "" } else { "s" }
                );
            }
        }
        CaseAction::Identity {
            id,
            person,
            set_file,
        } => match set_file {
            Some(file) => {
                let text = read_text(Some(&file), "identity")?;
                case::set_real_identity(vault, &id, &person, text.trim())?;
                say!("stored the real identity of {person} (kept apart from the case sheet)");
            }
            None => match case::real_identity(vault, &id, &person)? {
                Some(identity) if json => {
                    output::json(&serde_json::json!({ "id": person, "identity": identity }))?
                }
                Some(identity) => say!("{identity}"),
                None => anyhow::bail!("no real identity is stored for {person}"),
            },
        },
        CaseAction::Cleared {
            id,
            usage,
            recipient,
        } => {
            let sheet = case::load(vault, &id)?;
            let cleared = sheet.persons_cleared_for(usage, recipient);
            if json {
                output::json(&cleared)?;
            } else {
                for p in &sheet.persons {
                    let ok = cleared.iter().any(|c| c.id == p.id);
                    say!(
                        "{:<6} {:<20} {}",
                        p.id,
                        p.pseudonym,
                        if ok { "cleared" } else { "NOT cleared" }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn perpetrator(a: PerpetratorArgs) -> Perpetrator {
    let (source, confidence) = (a.source.trim().to_string(), a.confidence);
    let attested = |value: String| Attested {
        value,
        source: source.clone(),
        confidence,
    };
    let name = |value: String, kind: NameKind, script: &str| Name {
        value,
        kind,
        script: script.to_string(),
        source: source.clone(),
        confidence,
    };
    let mut names = vec![name(a.name, NameKind::Original, a.script.trim())];
    names.extend(
        a.transliterations
            .into_iter()
            .map(|n| name(n, NameKind::Transliteration, "")),
    );
    names.extend(a.aliases.into_iter().map(|n| name(n, NameKind::Alias, "")));
    Perpetrator {
        id: String::new(),
        kind: a.kind,
        names,
        gender: a.gender.map(attested),
        birth_date: a.birth_date.map(attested),
        birth_place: None,
        nationalities: a.nationalities.into_iter().map(attested).collect(),
        documents: Vec::new(),
        positions: a
            .position
            .map(|title| Position {
                title,
                unit: a.unit,
                institution: a.institution,
                from: a.from,
                to: a.to,
                source: source.clone(),
                confidence,
            })
            .into_iter()
            .collect(),
        superiors: a.superiors,
        liability: a.liability,
        linked_entities: Vec::new(),
        associates: Vec::new(),
        entity: None,
        notes: String::new(),
    }
}

fn person(a: PersonArgs) -> Person {
    Person {
        id: String::new(),
        pseudonym: a.pseudonym,
        role: a.role,
        status: a.status,
        consent: Consent {
            given: !a.consent_uses.is_empty() && !a.consent_to.is_empty(),
            date: a.consent_date,
            uses: a.consent_uses,
            recipients: a.consent_to,
            notes: a.consent_notes,
        },
        risk: a.risk,
        notes: a.notes,
    }
}

fn incident(a: IncidentArgs) -> Incident {
    Incident {
        id: String::new(),
        violation: a.violation,
        start: a.start,
        end: a.end,
        place: Place {
            admin: a.place,
            lat: a.lat,
            lon: a.lon,
        },
        narrative: a.narrative,
        perpetrators: a.perpetrators,
        persons: a.persons,
    }
}

fn print_added(added: &Added, what: &str, json: bool) -> anyhow::Result<()> {
    if json {
        output::json(&serde_json::json!({
            "case": added.sheet.id, "id": added.id, "changed": added.changed,
        }))?;
    } else {
        say!("added {what} {} to case {}", added.id, added.sheet.id);
    }
    Ok(())
}

/// The template for `case` (its id, title and type unless `case_type` says
/// otherwise), or for no case yet.
pub fn template_for(case: Option<&CaseSheet>, case_type: Option<CaseType>) -> String {
    // A case with anything in it is shown as it is: an example printed
    // under its id would replace all of it when stored.
    if let Some(c) = case.filter(|c| {
        !(c.perpetrators.is_empty()
            && c.persons.is_empty()
            && c.incidents.is_empty()
            && c.evidence.is_empty())
    }) {
        return case::template::annotated(c);
    }
    let (id, title, kind) = match case {
        Some(c) => (c.id.as_str(), c.title.as_str(), c.case_type),
        None => (
            "",
            "Death in custody of K.D., Detention Centre No. 3 (example)",
            CaseType::GrossViolation,
        ),
    };
    case::template::template(id, title, case_type.unwrap_or(kind))
}

fn print_sheet(s: &CaseSheet, items: &HashMap<String, Item>) {
    say!("{}  {}", s.id, s.title);
    say!(
        "type: {}   regimes: {}",
        s.case_type,
        join(s.submission.regimes.iter().map(|r| r.as_str()))
    );
    for (k, v) in [
        ("organisation", &s.submission.organisation),
        ("contact", &s.submission.contact_name),
        ("confidentiality", &s.submission.confidentiality),
        ("summary", &s.submission.summary),
    ] {
        if !v.is_empty() {
            say!("{k}: {v}");
        }
    }
    say!("\nPERPETRATORS");
    for p in &s.perpetrators {
        let names = join(p.names.iter().map(|n| n.value.as_str()));
        let liability = join(p.liability.iter().map(|l| l.as_str()));
        say!("  {} ({}) {}  [{}]", p.id, p.kind, names, liability);
        for pos in &p.positions {
            say!("      {}", pos.described());
        }
    }
    say!("\nVICTIMS AND WITNESSES");
    for p in &s.persons {
        let consent = if p.consent.given {
            format!(
                "consent for {} to {}",
                join(p.consent.uses.iter().map(|u| u.as_str())),
                join(p.consent.recipients.iter().map(|r| r.as_str()))
            )
        } else {
            "NO CONSENT recorded".into()
        };
        say!(
            "  {} {} ({}, {}, risk {}) — {}",
            p.id,
            p.pseudonym,
            p.role,
            p.status,
            p.risk,
            consent
        );
    }
    say!("\nINCIDENTS");
    for i in &s.incidents {
        let end = if i.end.is_empty() {
            String::new()
        } else {
            format!(" to {}", i.end)
        };
        say!(
            "  {} {} {}{} at {}",
            i.id,
            i.violation,
            i.start,
            end,
            i.place.admin
        );
        for inv in &i.perpetrators {
            say!("      {} ({})", inv.perpetrator, inv.link);
        }
    }
    say!("\nEVIDENCE");
    for l in &s.evidence {
        let title = items
            .get(&l.item)
            .map(|i| i.title.as_str())
            .unwrap_or("(missing item)");
        let target = [l.incident.as_deref(), l.party.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        say!("  {} {:<8} {} — {}", l.item, target, title, l.supports);
    }
    for (head, list) in [
        ("CORROBORATION", &s.corroboration),
        ("EXCULPATORY INFORMATION", &s.exculpatory),
    ] {
        if !list.is_empty() {
            say!("\n{head}");
            list.iter().for_each(|x| say!("  - {x}"));
        }
    }
}

fn print_matrix(rows: &[Allegation]) {
    say!("\nCORROBORATION MATRIX");
    say!(
        "  {:<14} {:>5} {:>7}  ALLEGATION",
        "STATUS",
        "ITEMS",
        "SOURCES"
    );
    for r in rows {
        say!(
            "  {:<14} {:>5} {:>7}  {}",
            r.status,
            r.items.len(),
            r.sources.len(),
            r.allegation
        );
        for src in &r.sources {
            say!("  {:<28}  - {src}", "");
        }
    }
}

fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

/// `testimony`.
pub fn testimony(vault: &mut Vault, a: TestimonyArgs, json: bool) -> anyhow::Result<ExitCode> {
    let statement = read_text(a.text.as_deref(), "statement")?;
    let interview = Interview {
        case: a.case,
        witness: a.witness,
        interviewer: a.interviewer,
        date: a.date,
        place: a.place,
        language: a.language,
        incident: a.incident,
        party: a.party,
    };
    let size = a
        .audio
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len());
    let bar = output::progress(size, "recording");
    let advance = |n: u64| bar.inc(n);
    let rec = testimony::record(
        vault,
        &interview,
        &statement,
        a.audio.as_deref(),
        &Task::none().with_progress(&advance),
    )?;
    bar.finish_and_clear();
    if json {
        output::json(&rec)?;
    } else {
        say!(
            "recorded testimony {}  {}",
            rec.statement.id,
            rec.statement.sha256
        );
        if let Some(r) = &rec.recording {
            say!("recording {}  {}", r.id, r.sha256);
        }
        if rec.witness_added {
            say!(
                "added witness {} to the case; record their consent in the case sheet",
                rec.witness
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `derive`.
pub fn derive(vault: &mut Vault, a: DeriveArgs, json: bool) -> anyhow::Result<ExitCode> {
    let text = read_text(a.text.as_deref(), "text")?;
    let parent = vault.item(&a.id)?;
    let meta = NewItem {
        title: Some(
            a.title
                .unwrap_or_else(|| format!("{} ({})", parent.title, a.operation)),
        ),
        kind: Some(parent.kind),
        language: a.language,
        source: Some(parent.source.clone()),
        ..NewItem::default()
    };
    let name = format!("{}-{}.txt", parent.id, a.operation);
    let item = vault.derive(
        &parent.id,
        &a.operation,
        &name,
        text.as_bytes(),
        &meta,
        Some(&text),
    )?;
    if json {
        output::json(&item)?;
    } else {
        say!(
            "derived {} ({} of {})  {}",
            item.id,
            a.operation,
            parent.id,
            item.sha256
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `search`.
pub fn search(vault: &mut Vault, query: &str, json: bool) -> anyhow::Result<ExitCode> {
    let found = casefile::search::search_at_most(vault, query, casefile::search::LIMIT)?;
    let hits = &found.hits;
    if json {
        output::json(hits)?;
        // The list stays a list (scripts read it); the truncation is said
        // where a person running the script sees it.
        if found.more {
            warn!(
                "these are the best {} matches; more matched: add a word to narrow the search",
                hits.len()
            );
        }
    } else if hits.is_empty() {
        say!("nothing found");
    } else {
        for h in hits {
            say!("{:<4} {}  {}\n       {}", h.kind, h.id, h.title, h.snippet);
        }
        if found.more {
            say!(
                "these are the best {} matches; more matched: add a word to narrow the search",
                hits.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `demo`.
pub fn demo(vault: &mut Vault, json: bool) -> anyhow::Result<ExitCode> {
    let sheet = casefile::demo::fill(vault)?;
    if json {
        output::json(&sheet)?;
    } else {
        say!("created the demo case {}  {}", sheet.id, sheet.title);
        say!("try: casefile case show {} --matrix", sheet.id);
    }
    Ok(ExitCode::SUCCESS)
}

/// The closed lists of values of a sheet, shown by `casefile case --help`.
pub fn vocabularies() -> String {
    format!(
        "Values a case sheet takes (`casefile case template` prints a filled example):\n{}",
        case::vocabulary().describe()
    )
}
