//! `data/report.html`: the case as an analyst reads and cites it, standing
//! alone: the submission, every identifier of each perpetrator with its
//! source and confidence, the persons included and what they consented to,
//! the incidents, the corroboration matrix, and for each item its
//! provenance, hashes and a link to its file. Static HTML, no script.

use std::fmt::Write;

use super::documents::Context;
use super::format::WireItem;
use crate::case::sheet::{Attested, Confidence, Perpetrator, Person};

/// Text made safe for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bag path as a link relative to `data/`, where the report is:
/// every byte outside the unreserved set percent-encoded, so a file name
/// can never close the attribute or point elsewhere.
fn href(path: &str) -> String {
    let rel = path.strip_prefix("data/").unwrap_or(path);
    let mut out = String::with_capacity(rel.len());
    for b in rel.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Where a value comes from and how sure the sheet is of it, in words.
fn attribution(source: &str, confidence: Option<Confidence>) -> String {
    let mut parts = Vec::new();
    if !source.trim().is_empty() {
        parts.push(format!("source: {}", source.trim()));
    }
    if let Some(c) = confidence {
        parts.push(format!("confidence: {c}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" <span class=meta>({})</span>", esc(&parts.join("; ")))
    }
}

fn attested(a: &Attested) -> String {
    esc(&a.value) + &attribution(&a.source, a.confidence)
}

fn row(h: &mut String, label: &str, value: &str) {
    if !value.is_empty() {
        let _ = write!(h, "<tr><th>{}</th><td>{value}</td></tr>", esc(label));
    }
}

/// The case sheet and evidence for a human reader.
pub fn report_html(c: &Context<'_>) -> String {
    let s = c.sheet;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'none'\">\
<title>{title}</title><style>\
body{{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1d2733}}\
h1{{font-size:1.6rem}}h2{{margin-top:2rem;border-bottom:1px solid #ccd;padding-bottom:.2rem}}h3{{margin-top:1.5rem}}\
table{{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}}td,th{{border:1px solid #ccd;padding:.3rem .5rem;text-align:start;vertical-align:top}}\
th{{background:#eef1f5;width:14rem}}code{{font-size:.8rem;word-break:break-all}}.meta{{color:#556}}\
@media print{{a{{color:inherit}}section{{break-inside:avoid}}}}</style></head><body>\n\
<h1>{title}</h1>\n<p class=\"meta\">Case {id} · {ctype} · prepared for {recipient} · exported {at} · sealed by the key with fingerprint <code>{key}</code></p>\n\
<nav><a href=\"#submission\">Submission</a> · <a href=\"#perpetrators\">Alleged perpetrators</a> · \
<a href=\"#persons\">Victims and witnesses</a> · <a href=\"#incidents\">Incidents</a> · \
<a href=\"#matrix\">Corroboration</a> · <a href=\"#evidence\">Evidence</a> · <a href=\"#custody\">Chain of custody</a></nav>\n",
        title = esc(&s.title),
        id = esc(&s.id),
        ctype = s.case_type,
        recipient = esc(c.recipient),
        at = esc(c.exported_at),
        key = esc(&c.key.fingerprint()),
    );
    submission(&mut h, c);
    let _ = write!(h, "\n<h2 id=\"perpetrators\">Alleged perpetrators</h2>");
    if s.perpetrators.is_empty() {
        let _ = write!(h, "<p>None named.</p>");
    }
    for p in &s.perpetrators {
        perpetrator(&mut h, c, p);
    }
    persons(&mut h, c);
    incidents(&mut h, c);
    matrix(&mut h, c);
    evidence(&mut h, c);
    for (id, head, list) in [
        ("corroboration", "Corroboration notes", &s.corroboration),
        ("exculpatory", "Exculpatory information", &s.exculpatory),
    ] {
        let _ = write!(h, "\n<h2 id=\"{id}\">{head}</h2>");
        if list.is_empty() {
            let _ = write!(h, "<p>None recorded.</p>");
        } else {
            let _ = write!(h, "<ul>");
            for x in list {
                let _ = write!(h, "<li>{}</li>", esc(x));
            }
            let _ = write!(h, "</ul>");
        }
    }
    let _ = write!(
        h,
        "\n<h2 id=\"custody\">Chain of custody</h2><p>{} custody events of these items are in <code>data/custody.jsonl</code>, each with an \
inclusion proof (<code>data/proofs.json</code>) against the tree head in <code>data/checkpoint.txt</code>, signed by the key \
with fingerprint <code>{}</code>. See <code>data/VERIFY.txt</code> to check everything with standard tools.</p>\n</body></html>\n",
        c.events,
        esc(&c.key.fingerprint())
    );
    h
}

fn submission(h: &mut String, c: &Context<'_>) {
    let sub = &c.sheet.submission;
    let _ = write!(h, "<h2 id=\"submission\">Submission</h2><table>");
    let regimes: Vec<&str> = sub.regimes.iter().map(|r| r.as_str()).collect();
    let contact = [sub.contact_name.trim(), sub.contact_email.trim()]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    for (k, v) in [
        ("Regimes", regimes.join(", ")),
        ("Submitting organisation", sub.organisation.clone()),
        ("Contact", contact),
        ("Partners", sub.partners.join(", ")),
        ("Confidentiality", sub.confidentiality.clone()),
        ("Summary", sub.summary.clone()),
    ] {
        row(h, k, &esc(&v));
    }
    let _ = write!(h, "</table>");
}

fn perpetrator(h: &mut String, c: &Context<'_>, p: &Perpetrator) {
    let s = c.sheet;
    let name = s.perpetrator_name(&p.id).unwrap_or(&p.id);
    let _ = write!(
        h,
        "<section id=\"p-{id}\"><h3>{id} · {name}</h3><table>",
        id = esc(&p.id),
        name = esc(name)
    );
    row(h, "Kind", p.kind.as_str());
    let names: Vec<String> = p
        .names
        .iter()
        .map(|n| {
            let script = if n.script.is_empty() {
                String::new()
            } else {
                format!(", {}", n.script)
            };
            format!(
                "{} <span class=meta>[{}{}]</span>{}",
                esc(&n.value),
                n.kind,
                esc(&script),
                attribution(&n.source, n.confidence)
            )
        })
        .collect();
    row(h, "Names", &names.join("<br>"));
    for (label, value) in [
        ("Gender", &p.gender),
        ("Date of birth", &p.birth_date),
        ("Place of birth", &p.birth_place),
    ] {
        if let Some(a) = value {
            row(h, label, &attested(a));
        }
    }
    let nationalities: Vec<String> = p.nationalities.iter().map(attested).collect();
    row(h, "Nationalities", &nationalities.join("<br>"));
    let documents: Vec<String> = p
        .documents
        .iter()
        .map(|d| {
            let country = if d.country.is_empty() {
                String::new()
            } else {
                format!(", issued by {}", d.country)
            };
            format!(
                "{} {}{}{}",
                esc(&d.doc_type),
                esc(&d.number),
                esc(&country),
                attribution(&d.source, d.confidence)
            )
        })
        .collect();
    row(h, "Identity documents", &documents.join("<br>"));
    let positions: Vec<String> = p
        .positions
        .iter()
        .map(|x| esc(&x.described()) + &attribution(&x.source, x.confidence))
        .collect();
    row(h, "Positions", &positions.join("<br>"));
    let refer = |ids: &[String]| -> String {
        ids.iter()
            .map(|id| {
                let name = s.perpetrator_name(id).unwrap_or(id);
                format!("<a href=\"#p-{}\">{} ({})</a>", esc(id), esc(name), esc(id))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    row(h, "Superiors", &refer(&p.superiors));
    row(h, "Linked entities", &refer(&p.linked_entities));
    let liability: Vec<&str> = p.liability.iter().map(|l| l.as_str()).collect();
    row(h, "Modes of liability", &liability.join(", "));
    let associates: Vec<String> = p
        .associates
        .iter()
        .map(|a| format!("{} ({})", esc(&a.name), esc(&a.relation)) + &attribution(&a.source, None))
        .collect();
    row(h, "Relatives and associates", &associates.join("<br>"));
    if let Some(e) = &p.entity {
        row(h, "Registration number", &esc(&e.registration_number));
        row(h, "Jurisdiction", &esc(&e.jurisdiction));
        let owners: Vec<String> = e.owners_directors.iter().map(attested).collect();
        row(h, "Owners and directors", &owners.join("<br>"));
    }
    row(h, "Notes", &esc(&p.notes));
    let _ = write!(h, "</table></section>");
}

fn consent(p: &Person) -> String {
    let k = &p.consent;
    if !k.given {
        return "not given".into();
    }
    let uses: Vec<&str> = k.uses.iter().map(|u| u.as_str()).collect();
    let to: Vec<&str> = k.recipients.iter().map(|r| r.as_str()).collect();
    let mut s = format!(
        "given{}",
        if k.date.is_empty() {
            String::new()
        } else {
            format!(" {}", k.date)
        }
    );
    s.push_str(&format!(" for {} to {}", uses.join(", "), to.join(", ")));
    if !k.notes.is_empty() {
        s.push_str(&format!("; conditions: {}", k.notes));
    }
    s
}

fn persons(h: &mut String, c: &Context<'_>) {
    let _ = write!(
        h,
        "\n<h2 id=\"persons\">Victims and witnesses</h2><table><tr><th>Id</th><th>Pseudonym</th><th>Role</th><th>Status</th><th>Consent</th></tr>"
    );
    for p in &c.sheet.persons {
        let _ = write!(
            h,
            "<tr><td id=\"v-{id}\">{id}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.pseudonym),
            p.role,
            p.status,
            esc(&consent(p)),
            id = esc(&p.id),
        );
    }
    let _ = write!(h, "</table>");
    if c.withheld > 0 {
        let _ = write!(
            h,
            "<p class=meta>{} person(s) withheld: their consent does not cover this use.</p>",
            c.withheld
        );
    }
}

fn incidents(h: &mut String, c: &Context<'_>) {
    let s = c.sheet;
    let _ = write!(
        h,
        "\n<h2 id=\"incidents\">Incidents</h2><table><tr><th>Id</th><th>Violation</th><th>When</th><th>Where</th><th>Narrative</th><th>Perpetrators</th><th>Persons</th></tr>"
    );
    for i in &s.incidents {
        let perps: Vec<String> = i
            .perpetrators
            .iter()
            .map(|v| {
                format!(
                    "<a href=\"#p-{id}\">{id}</a> ({})",
                    v.link,
                    id = esc(&v.perpetrator)
                )
            })
            .collect();
        let persons: Vec<String> = i.persons.iter().map(|p| esc(p)).collect();
        let mut place = esc(&i.place.admin);
        if let (Some(lat), Some(lon)) = (i.place.lat, i.place.lon) {
            let _ = write!(place, " <span class=meta>({lat:.6}, {lon:.6})</span>");
        }
        let _ = write!(
            h,
            "<tr><td id=\"inc-{id}\">{id}</td><td>{}</td><td>{}</td><td>{place}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i.violation,
            esc(i.when().trim_start_matches("on ")),
            esc(&i.narrative),
            perps.join("<br>"),
            persons.join(", "),
            id = esc(&i.id),
        );
    }
    let _ = write!(h, "</table>");
}

fn item_link(c: &Context<'_>, id: &str) -> String {
    match c.items.iter().find(|w| w.id.as_str() == id) {
        Some(w) => format!(
            "<a href=\"#i-{id}\">{}</a>",
            esc(w.title.as_str()),
            id = esc(id)
        ),
        None => esc(id),
    }
}

fn matrix(h: &mut String, c: &Context<'_>) {
    let _ = write!(
        h,
        "\n<h2 id=\"matrix\">Corroboration matrix</h2><p class=meta>Each allegation against the items that support it; \
items count as independent sources only when their recorded sources differ.</p>\
<table><tr><th>Allegation</th><th>Items</th><th>Sources</th><th>Status</th></tr>"
    );
    for a in c.matrix {
        let items: Vec<String> = a.items.iter().map(|i| item_link(c, i)).collect();
        let sources: Vec<String> = a.sources.iter().map(|x| esc(x)).collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.allegation),
            items.join("<br>"),
            sources.join("<br>"),
            a.status
        );
    }
    let _ = write!(h, "</table>");
}

fn evidence(h: &mut String, c: &Context<'_>) {
    let _ = write!(
        h,
        "\n<h2 id=\"evidence\">Evidence</h2><table><tr><th>Item</th><th>Kind</th><th>Bytes</th><th>SHA-256</th><th>Supports</th></tr>"
    );
    for it in c.items {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            item_link(c, it.id.as_str()),
            it.kind,
            it.size,
            it.sha256.as_str(),
            supports(c, it).join("<br>")
        );
    }
    let _ = write!(h, "</table>");
    for it in c.items {
        provenance(h, c, it);
    }
}

fn supports(c: &Context<'_>, it: &WireItem) -> Vec<String> {
    c.sheet
        .evidence
        .iter()
        .filter(|l| l.item == it.id.as_str())
        .map(|l| {
            let target = [l.incident.as_deref(), l.party.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            esc(format!("{target} {}", l.supports).trim())
        })
        .collect()
}

fn provenance(h: &mut String, c: &Context<'_>, it: &WireItem) {
    let id = it.id.as_str();
    let _ = write!(
        h,
        "<section id=\"i-{}\"><h3>{}</h3><table>",
        esc(id),
        esc(it.title.as_str())
    );
    row(
        h,
        "File",
        &format!(
            "<a href=\"{}\"><code>{}</code></a>",
            href(it.path.as_str()),
            esc(it.path.as_str())
        ),
    );
    row(
        h,
        "Item id (sender's vault)",
        &format!("<code>{}</code>", esc(id)),
    );
    row(h, "Kind", it.kind.as_str());
    row(h, "Type", &esc(it.mime.as_str()));
    row(h, "Bytes", &it.size.to_string());
    row(
        h,
        "SHA-256",
        &format!("<code>{}</code>", it.sha256.as_str()),
    );
    row(
        h,
        "SHA-512",
        &format!("<code>{}</code>", it.sha512.as_str()),
    );
    row(h, "Name on arrival", &esc(it.original_name.as_str()));
    row(h, "Entered the vault (UTC)", &esc(it.ingested_at.as_str()));
    row(
        h,
        "Captured (as stated)",
        &esc(it.captured_at.as_ref().map(|t| t.as_str()).unwrap_or("")),
    );
    row(h, "Collected by", &esc(it.collector.as_str()));
    row(h, "Source", &esc(it.source.as_str()));
    row(h, "How acquired", &esc(it.method.as_str()));
    row(h, "Language", &esc(it.language.as_str()));
    if let Some(parent) = &it.parent {
        let how = it
            .derivation
            .as_ref()
            .and_then(|d| d.get("operation"))
            .and_then(|o| o.as_str())
            .unwrap_or("derived");
        row(
            h,
            "Derived from",
            &format!("{} ({})", item_link(c, parent.as_str()), esc(how)),
        );
    }
    row(h, "Notes", &esc(it.notes.as_str()));
    row(h, "Access restriction", &esc(it.restriction.as_str()));
    match c.media.get(id) {
        Some(info) => {
            for (label, value) in info.facts() {
                let label = match label {
                    "captured (device)" => "Captured (device clock)",
                    other => other,
                };
                row(
                    h,
                    &format!("{}{}", label[..1].to_uppercase(), &label[1..]),
                    &esc(&value),
                );
            }
        }
        None if crate::media::wanted(it.mime.as_str()) => {
            row(h, "Media facts", "not read in the sender's vault")
        }
        None => {}
    }
    row(h, "Supports", &supports(c, it).join("<br>"));
    let _ = write!(h, "</table></section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_to_a_file_cannot_leave_its_attribute() {
        assert_eq!(
            href("data/evidence/a b\"#<é>.jpg"),
            "evidence/a%20b%22%23%3C%C3%A9%3E.jpg"
        );
        assert_eq!(esc("<a href=\"x\">&"), "&lt;a href=&quot;x&quot;&gt;&amp;");
    }
}
