//! Case sheets, testimony, derivatives, links, consent and search through the CLI.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{Env, sha256_file};
use serde_json::{Value, json};

fn new_case(env: &Env) -> String {
    let c = env.json(&[
        "case",
        "new",
        "--title",
        "Detention of four journalists",
        "--type",
        "gross-violation",
        "--regime",
        "us-global-magnitsky",
        "--regime",
        "uk-global-human-rights",
    ]);
    c["id"].as_str().unwrap().to_string()
}

fn add(env: &Env, name: &str, body: &str, source: &str) -> String {
    let p = env.path(name);
    std::fs::write(&p, body).unwrap();
    env.json(&["add", p.to_str().unwrap(), "--source", source])[0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn edit(env: &Env, id: &str, sheet: &Value) -> std::process::Output {
    let f = env.path("sheet.json");
    std::fs::write(&f, serde_json::to_vec_pretty(sheet).unwrap()).unwrap();
    env.run(&["case", "edit", id, "--file", f.to_str().unwrap()])
}

/// A sheet that uses every field of the schema.
fn full_sheet(id: &str, item_a: &str, item_b: &str) -> Value {
    json!({
        "schema": "casefile-case/1",
        "id": id,
        "title": "Detention of four journalists",
        "type": "gross-violation",
        "submission": {
            "regimes": ["us-global-magnitsky", "uk-global-human-rights"],
            "organisation": "Example Monitor",
            "contact_name": "A. Coordinator",
            "contact_email": "a@example.org",
            "partners": ["Partner One"],
            "confidentiality": "Keep witness names confidential",
            "summary": "Four journalists were detained without charge."
        },
        "perpetrators": [
            {
                "id": "P1", "kind": "person",
                "names": [
                    {"value": "王伟国", "kind": "original", "script": "zh-Hans", "source": "court record", "confidence": "confirmed"},
                    {"value": "Wang Weiguo", "kind": "transliteration", "script": "en-Latn"},
                    {"value": "Ivan Petrov-Wang", "kind": "alias"}
                ],
                "gender": {"value": "male", "source": "photo", "confidence": "probable"},
                "birth_date": {"value": "1968/1970", "source": "leak", "confidence": "possible"},
                "birth_place": {"value": "Harbin", "confidence": "unverified"},
                "nationalities": [{"value": "CN", "source": "passport scan", "confidence": "confirmed"}],
                "documents": [{"type": "passport", "number": "E12345678", "country": "CN", "source": "scan", "confidence": "confirmed"}],
                "positions": [{"title": "Director", "unit": "Bureau 4", "institution": "Public Security", "from": "2019-03", "to": "2024", "source": "website", "confidence": "confirmed"}],
                "superiors": ["P2"],
                "liability": ["ordered", "commanded"],
                "linked_entities": ["E1"],
                "associates": [{"name": "Li Na", "relation": "spouse", "source": "registry"}],
                "notes": "Signs detention orders."
            },
            {
                "id": "P2", "kind": "person",
                "names": [{"value": "Сергей Иванов", "kind": "original", "script": "ru-Cyrl"}],
                "liability": ["complicit"]
            },
            {
                "id": "E1", "kind": "entity",
                "names": [{"value": "Harbor Security Ltd", "kind": "original"}],
                "entity": {"registration_number": "HS-0042", "jurisdiction": "BVI",
                           "owners_directors": [{"value": "Wang Weiguo", "source": "registry", "confidence": "probable"}]},
                "liability": ["facilitated"]
            }
        ],
        "persons": [
            {"id": "V1", "pseudonym": "J-1", "role": "victim", "status": "journalist",
             "consent": {"given": true, "date": "2024-05", "uses": ["submission", "prosecution"],
                         "recipients": ["us-global-magnitsky"], "notes": "no photos"},
             "risk": "high", "notes": "released"},
            {"id": "W1", "pseudonym": "محمد", "role": "witness", "status": "lawyer",
             "consent": {"given": false}, "risk": "medium"}
        ],
        "incidents": [
            {"id": "I1", "violation": "arbitrary-detention", "start": "2024-03-02", "end": "2024-04",
             "place": {"admin": "Harbin, Daoli district", "lat": 45.77, "lon": 126.62},
             "narrative": "官员王伟国下令拘留四名记者",
             "perpetrators": [{"perpetrator": "P1", "link": "direct"}, {"perpetrator": "P2", "link": "knowledge"}],
             "persons": ["V1", "W1"]}
        ],
        "evidence": [
            {"item": item_a, "incident": "I1", "party": "P1", "supports": "signature on the order"},
            {"item": item_b, "incident": "I1", "supports": "the arrest"}
        ],
        "corroboration": ["Order and video agree on the date."],
        "exculpatory": ["P2 was abroad in March (unconfirmed)."]
    })
}

#[test]
fn every_field_round_trips_and_each_edit_is_logged() {
    let env = Env::init();
    let id = new_case(&env);
    let a = add(&env, "order.txt", "detention order", "court clerk");
    let b = add(&env, "arrest.txt", "video notes", "bystander video");
    let sheet = full_sheet(&id, &a, &b);
    let out = edit(&env, &id, &sheet);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.json(&["case", "show", &id]), sheet);

    let mut changed = sheet.clone();
    changed["perpetrators"][0]["gender"]["confidence"] = json!("confirmed");
    changed["incidents"][0]["end"] = json!("2024-04-20");
    let out = edit(&env, &id, &changed);
    assert!(out.status.success());
    let log = env.json(&["log"]);
    let edits: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "case_edited")
        .collect();
    assert_eq!(edits.len(), 2);
    let last: Vec<&str> = edits[1]["details"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(
        last,
        [
            "~ incidents[I1].end",
            "~ perpetrators[P1].gender.confidence"
        ]
    );
    assert_eq!(edits[1]["details"]["case"], id.as_str());
    // An unchanged sheet writes nothing.
    let before = log.as_array().unwrap().len();
    assert!(String::from_utf8_lossy(&edit(&env, &id, &changed).stdout).contains("no change"));
    let after = env.json(&["log"]).as_array().unwrap().len();
    assert_eq!(
        after,
        before + 2,
        "only the two vault_opened events were added"
    );
    env.ok(&["log", "verify"]);

    let list = env.json(&["case", "list"]);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["perpetrators"], 3);
    let text = env.ok(&["case", "show", &id, "--matrix"]);
    assert!(
        text.contains("王伟国") && text.contains("CORROBORATION MATRIX"),
        "{text}"
    );
}

/// A way to break a sheet.
type Breakage = Box<dyn Fn(&mut Value)>;

#[test]
fn invalid_sheets_name_the_field_and_change_nothing() {
    let env = Env::init();
    let id = new_case(&env);
    let a = add(&env, "a.txt", "a", "s1");
    let good = full_sheet(&id, &a, &a);
    let cases: Vec<(Breakage, &str)> = vec![
        (
            Box::new(|s| s["perpetrators"][0]["birth_date"]["value"] = json!("1968-13")),
            "perpetrators[0].birth_date.value",
        ),
        (
            Box::new(|s| s["incidents"][0]["violation"] = json!("shouting")),
            "incidents[0].violation",
        ),
        (
            Box::new(|s| s["incidents"][0]["perpetrators"][0]["perpetrator"] = json!("P9")),
            "incidents[0].perpetrators[0].perpetrator",
        ),
        (
            Box::new(|s| s["evidence"][0]["item"] = json!("nosuchitem")),
            "evidence[0].item",
        ),
        (
            Box::new(|s| s["persons"][1]["id"] = json!("V1")),
            "persons[1].id",
        ),
        (
            Box::new(|s| s["incidents"][0]["place"]["lat"] = json!(123.0)),
            "incidents[0].place.lat",
        ),
        (
            Box::new(|s| s["perpetrators"][0]["nick"] = json!("x")),
            "perpetrators[0]",
        ),
        (
            Box::new(|s| s["persons"][0]["consent"]["recipients"] = json!(["nowhere"])),
            "persons[0].consent.recipients[0]",
        ),
    ];
    for (break_it, field) in cases {
        let mut bad = good.clone();
        break_it(&mut bad);
        let out = edit(&env, &id, &bad);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("`{field}")),
            "expected field {field} in: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    assert_eq!(env.json(&["case", "show", &id])["perpetrators"], json!([]));
    let err = env.fails(&["case", "new", "--title", "x", "--type", "theft"], 2);
    assert!(err.contains("gross-violation"), "{err}");
}

#[test]
fn testimony_from_stdin_with_audio_and_a_linked_translation() {
    let env = Env::init();
    let id = new_case(&env);
    let audio = env.path("interview.ogg");
    std::fs::write(&audio, b"OggS\x00\x02 pretend audio").unwrap();
    let statement = "شاهدت اعتقال الصحفيين في الساعة الثالثة.\n";
    let mut child = env
        .cmd(&[
            "--json",
            "testimony",
            "--case",
            &id,
            "--witness",
            "W-12",
            "--interviewer",
            "R. Haddad",
            "--date",
            "2024-03-05",
            "--place",
            "Amman",
            "--language",
            "ar",
            "--audio",
            audio.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(statement.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rec["witness_added"].as_bool().unwrap());
    let st = &rec["statement"];
    assert_eq!(st["kind"], "testimony");
    assert_eq!(st["language"], "ar");
    assert_eq!(st["collector"], "R. Haddad");
    assert_eq!(st["captured_at"], "2024-03-05");
    let st_id = st["id"].as_str().unwrap();
    assert_eq!(rec["recording"]["sha256"], sha256_file(&audio));

    let exported = env.path("statement.txt");
    env.ok(&["extract", st_id, "--out", exported.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), statement);

    let sheet = env.json(&["case", "show", &id]);
    assert_eq!(sheet["persons"][0]["pseudonym"], "W-12");
    assert_eq!(sheet["persons"][0]["consent"]["given"], false);
    assert_eq!(sheet["evidence"].as_array().unwrap().len(), 2);

    // Corrections and translations are new items linked to the original.
    let tr = env.path("translation.txt");
    std::fs::write(
        &tr,
        "I saw the journalists being arrested at three o'clock.",
    )
    .unwrap();
    let derived = env.json(&[
        "derive",
        st_id,
        "--as",
        "translation",
        "--language",
        "en",
        "--text",
        tr.to_str().unwrap(),
    ]);
    assert_eq!(derived["parent"], st_id);
    assert_eq!(derived["derivation"]["operation"], "translation");
    let original = env.json(&["show", st_id]);
    assert_eq!(
        original["sha256"], st["sha256"],
        "the original statement changed"
    );
    let log = env.json(&["log", "--item", derived["id"].as_str().unwrap()]);
    assert_eq!(log[0]["action"], "item_derived");
    assert_eq!(log[0]["details"]["parent"], st_id);
    assert_eq!(log[0]["details"]["parent_sha256"], st["sha256"]);

    // Missing fields and bad dates are refused before anything is stored.
    let items_before = env.json(&["list"]).as_array().unwrap().len();
    let err = env.fails(
        &[
            "testimony",
            "--case",
            &id,
            "--witness",
            "W-12",
            "--interviewer",
            "R",
            "--date",
            "2024-02-30",
            "--place",
            "x",
            "--language",
            "ar",
            "--text",
            tr.to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("`date`"), "{err}");
    assert_eq!(env.json(&["list"]).as_array().unwrap().len(), items_before);
    env.ok(&["log", "verify"]);
}

#[test]
fn search_finds_chinese_arabic_and_cyrillic() {
    let env = Env::init();
    let id = new_case(&env);
    let a = add(&env, "a.txt", "x", "s");
    assert!(edit(&env, &id, &full_sheet(&id, &a, &a)).status.success());
    let st = env.path("st.txt");
    std::fs::write(&st, "رأيت الضابط يوقع أمر الاعتقال").unwrap();
    env.ok(&[
        "testimony",
        "--case",
        &id,
        "--witness",
        "W-3",
        "--interviewer",
        "R",
        "--date",
        "2024",
        "--place",
        "x",
        "--language",
        "ar",
        "--text",
        st.to_str().unwrap(),
    ]);
    let memo = add(&env, "memo.txt", "memo", "s");
    env.ok(&[
        "edit",
        &memo,
        "--notes",
        "Meeting with Сергей Иванов in Moscow",
    ]);

    let hits = |q: &str| -> Vec<Value> { env.json(&["search", q]).as_array().unwrap().clone() };
    // Chinese: a two-character name inside an unbroken run of characters.
    let zh = hits("王伟");
    assert!(
        zh.iter()
            .any(|h| h["kind"] == "case" && h["id"] == id.as_str()),
        "{zh:?}"
    );
    assert!(!hits("记者").is_empty());
    assert!(hits("王伟X").is_empty());
    // Arabic: a word of the testimony's text.
    let ar = hits("الضابط");
    assert!(
        ar.iter()
            .any(|h| h["title"].as_str().unwrap().starts_with("Testimony of W-3")),
        "{ar:?}"
    );
    // Cyrillic: in a case sheet and in an item's notes; prefix matching.
    let ru = hits("Иванов");
    assert_eq!(ru.len(), 2, "{ru:?}");
    assert_eq!(hits("Иван").len(), 2);
    assert!(hits("Петров").is_empty());
    let err = env.fails(&["search", " "], 2);
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn consent_is_queryable_and_identities_are_kept_apart() {
    let env = Env::init();
    let id = new_case(&env);
    let a = add(&env, "a.txt", "x", "s");
    assert!(edit(&env, &id, &full_sheet(&id, &a, &a)).status.success());
    let cleared = env.json(&[
        "case",
        "cleared",
        &id,
        "--use",
        "submission",
        "--recipient",
        "us-global-magnitsky",
    ]);
    let ids: Vec<&str> = cleared
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["V1"]);
    let none = env.json(&[
        "case",
        "cleared",
        &id,
        "--use",
        "publication",
        "--recipient",
        "us-global-magnitsky",
    ]);
    assert!(none.as_array().unwrap().is_empty());

    let idf = env.path("identity.txt");
    std::fs::write(&idf, "Real Name Marker-99, born 1990").unwrap();
    env.ok(&[
        "case",
        "identity",
        &id,
        "V1",
        "--set-file",
        idf.to_str().unwrap(),
    ]);
    let sheet = env.ok(&["--json", "case", "show", &id]);
    assert!(!sheet.contains("Marker-99"));
    assert!(
        env.ok(&["case", "identity", &id, "V1"])
            .contains("Marker-99")
    );
    let log = env.json(&["log"]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "identity_revealed")
    );
    let err = env.fails(
        &[
            "case",
            "identity",
            &id,
            "V9",
            "--set-file",
            idf.to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("no person V9"), "{err}");
}

#[test]
fn add_with_case_links_and_link_command_logs() {
    let env = Env::init();
    let id = new_case(&env);
    let p = env.path("photo.jpg");
    std::fs::write(&p, b"\xff\xd8\xff\xe0 photo").unwrap();
    let item = env.json(&["add", p.to_str().unwrap(), "--case", &id[..5]])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sheet = env.json(&["case", "show", &id]);
    assert_eq!(sheet["evidence"][0]["item"], item.as_str());
    let log = env.json(&["log", "--item", &item]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "linked" && e["details"]["case"] == id.as_str())
    );
    let err = env.fails(&["add", p.to_str().unwrap(), "--case", "nosuchcase"], 2);
    assert!(err.contains("no case"), "{err}");
    let err = env.fails(
        &["case", "link", &id, "--item", &item, "--incident", "I7"],
        2,
    );
    assert!(err.contains("evidence[1].incident"), "{err}");
}

#[test]
fn demo_fills_a_whole_case() {
    let env = Env::init();
    let sheet = env.json(&["demo"]);
    assert_eq!(sheet["perpetrators"].as_array().unwrap().len(), 2);
    assert_eq!(sheet["incidents"][0]["violation"], "denial-of-medical-care");
    let items = env.json(&["list"]);
    let kinds: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["detention-record", "photo", "testimony"]);
    let id = sheet["id"].as_str().unwrap();
    let text = env.ok(&["case", "show", id, "--matrix"]);
    assert!(text.contains("corroborated"), "{text}");
    assert!(
        !env.json(&["search", "Tolvanen"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    env.ok(&["log", "verify"]);
}

/// A new user writes a case from the template alone: printed without a
/// vault, stored with `case edit` as it is (comments, empty id and all),
/// and read back with every part of the example in place.
#[test]
fn a_sheet_written_from_the_template_loads_as_it_is() {
    let env = Env::new();
    // No vault yet: the template is there to read before there is one.
    let text = env.ok(&["case", "template"]);
    assert!(!env.vault.exists(), "printing a template made a vault");
    assert!(
        text.contains("\"type\": \"gross-violation\",  // one of: gross-violation, corruption")
    );
    assert!(
        text.contains("// one of: perpetrated, ordered, commanded, complicit, facilitated")
            || text.contains("// any of: perpetrated, ordered, commanded, complicit, facilitated")
    );
    assert!(text.contains("\"id\": \"\","), "the template names no case");
    let env = Env::init();
    let id = new_case(&env);
    for (kind, incidents, persons) in [
        ("gross-violation", vec!["I1", "I2"], vec!["V1", "W1"]),
        ("corruption", vec!["I1"], vec!["W1"]),
    ] {
        let text = env.ok(&["case", "template", "--type", kind]);
        let file = env.path(&format!("{kind}.jsonc"));
        std::fs::write(&file, &text).unwrap();
        let out = env.json(&["case", "edit", &id, "--file", file.to_str().unwrap()]);
        assert_eq!(out["id"], id.as_str());
        let sheet = env.json(&["case", "show", &id]);
        assert_eq!(sheet["type"], kind);
        let ids = |list: &str| -> Vec<String> {
            sheet[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids("incidents"), incidents);
        assert_eq!(ids("persons"), persons);
        assert!(ids("perpetrators").contains(&"P3".to_string()));
        assert_eq!(
            sheet["perpetrators"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == "P3")
                .unwrap()["entity"]["registration_number"],
            "1234567890"
        );
    }
    // For a named case the template carries its id and title.
    env.ok(&[
        "case",
        "edit",
        &id,
        "--file",
        env.path("corruption.jsonc").to_str().unwrap(),
    ]);
    let mut sheet = env.json(&["case", "show", &id]);
    sheet["title"] = json!("Detention of four journalists");
    assert!(edit(&env, &id, &sheet).status.success());
    let text = env.ok(&["case", "template", &id]);
    assert!(text.contains(&format!("\"id\": \"{id}\",")));
    assert!(text.contains("\"title\": \"Detention of four journalists\","));
    assert!(
        text.contains("\"type\": \"corruption\","),
        "the case's own type is the default"
    );
    // A case with content comes back as it is: stored again, nothing changes.
    let file = env.path("own.jsonc");
    std::fs::write(&file, &text).unwrap();
    let out = env.json(&["case", "edit", &id, "--file", file.to_str().unwrap()]);
    assert_eq!(out["changed"], json!([]), "{text}");
    // A byte order mark (Notepad's) is no error.
    std::fs::write(&file, format!("\u{feff}{text}")).unwrap();
    env.ok(&["case", "edit", &id, "--file", file.to_str().unwrap()]);
    // A comment marker inside a string is text, not a comment.
    let mut sheet = env.json(&["case", "show", &id]);
    sheet["submission"]["summary"] = json!("See https://example.org/report // page 2 /* of 3 */");
    let file = env.path("with-url.jsonc");
    std::fs::write(
        &file,
        format!(
            "// a note\n{}\n/* end */",
            serde_json::to_string_pretty(&sheet).unwrap()
        ),
    )
    .unwrap();
    env.ok(&["case", "edit", &id, "--file", file.to_str().unwrap()]);
    assert_eq!(
        env.json(&["case", "show", &id])["submission"]["summary"],
        "See https://example.org/report // page 2 /* of 3 */"
    );
}

/// The closed lists of values are in `case --help` and in the README, the
/// same in both, so nobody needs our source to learn them.
#[test]
fn the_vocabularies_are_in_the_help_and_the_readme() {
    let env = Env::new();
    let help = env.ok(&["case", "--help"]);
    let table = casefile::case::vocabulary().describe();
    assert!(
        help.contains(&table),
        "case --help lacks the vocabularies:\n{help}"
    );
    assert!(table.contains("arbitrary-detention") && table.contains("command-responsibility"));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "the README's vocabulary table differs from the build's:\n{table}"
    );
}

/// A case built by commands alone, without writing any JSON: a perpetrator
/// with names in two scripts and a position, a witness with consent, an
/// incident linking them, and a testimony linked where it belongs.
#[test]
fn the_common_edits_need_no_json() {
    let env = Env::init();
    let id = new_case(&env);
    let p = env.json(&[
        "case",
        "add-perpetrator",
        &id,
        "--name",
        "Арвид Марров",
        "--script",
        "ru-Cyrl",
        "--transliteration",
        "Arvid Marrow",
        "--position",
        "Head",
        "--unit",
        "District 3",
        "--institution",
        "Public Security Bureau",
        "--from",
        "2021-06",
        "--liability",
        "ordered",
        "--liability",
        "commanded",
        "--source",
        "official website",
        "--confidence",
        "confirmed",
    ]);
    assert_eq!(p["id"], "P1");
    assert!(
        p["changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("perpetrators"))
    );
    let p2 = env.json(&[
        "case",
        "add-perpetrator",
        &id,
        "--name",
        "Rein Tolvanen",
        "--superior",
        "P1",
    ]);
    assert_eq!(p2["id"], "P2");
    let w = env.json(&[
        "case",
        "add-person",
        &id,
        "--pseudonym",
        "W-7",
        "--role",
        "witness",
        "--consent-use",
        "submission",
        "--consent-to",
        "us-global-magnitsky",
        "--consent-date",
        "2024-03-02",
        "--consent-notes",
        "pseudonym only",
    ]);
    assert_eq!(w["id"], "W1");
    let v = env.json(&[
        "case",
        "add-person",
        &id,
        "--pseudonym",
        "K.D.",
        "--role",
        "victim",
        "--status",
        "journalist",
    ]);
    assert_eq!(v["id"], "V1");
    let i = env.json(&[
        "case",
        "add-incident",
        &id,
        "--violation",
        "arbitrary-detention",
        "--start",
        "2024-02-12",
        "--end",
        "2024-02-19",
        "--place",
        "Detention Centre No. 3",
        "--lat",
        "-33.5",
        "--lon",
        "18.25",
        "--perpetrator",
        "P1=command-responsibility",
        "--perpetrator",
        "P2=direct",
        "--person",
        "V1",
        "--person",
        "W1",
    ]);
    assert_eq!(i["id"], "I1");
    // What a command cannot accept is refused with the field named, and nothing changes.
    let before = env.json(&["case", "show", &id]);
    for (extra, says) in [
        (&["--start", "2024-13-40"][..], "incidents[1].start"),
        (&["--start", "2024", "--perpetrator", "P9=direct"][..], "P9"),
        (&["--start", "2024", "--perpetrator", "P1"][..], "ID=LINK"),
    ] {
        let mut args = vec!["case", "add-incident", &id, "--violation", "killing"];
        args.extend_from_slice(extra);
        let err = env.fails(&args, 2);
        assert!(err.contains(says), "{err}");
    }
    assert_eq!(env.json(&["case", "show", &id]), before);

    let sheet = env.json(&["case", "show", &id]);
    let p1 = &sheet["perpetrators"][0];
    assert_eq!(
        p1["names"][0],
        json!({"value": "Арвид Марров", "kind": "original", "script": "ru-Cyrl", "source": "official website", "confidence": "confirmed"})
    );
    assert_eq!(p1["names"][1]["kind"], "transliteration");
    assert_eq!(p1["positions"][0]["institution"], "Public Security Bureau");
    assert_eq!(p1["liability"], json!(["ordered", "commanded"]));
    assert_eq!(sheet["perpetrators"][1]["superiors"], json!(["P1"]));
    assert_eq!(
        sheet["persons"][0]["consent"],
        json!({"given": true, "date": "2024-03-02", "uses": ["submission"], "recipients": ["us-global-magnitsky"], "notes": "pseudonym only"})
    );
    assert_eq!(sheet["persons"][1]["consent"]["given"], false);
    assert_eq!(
        sheet["incidents"][0]["place"],
        json!({"admin": "Detention Centre No. 3", "lat": -33.5, "lon": 18.25})
    );
    assert_eq!(
        sheet["incidents"][0]["perpetrators"][1],
        json!({"perpetrator": "P2", "link": "direct"})
    );
    let cleared = env.json(&[
        "case",
        "cleared",
        &id,
        "--use",
        "submission",
        "--recipient",
        "us-global-magnitsky",
    ]);
    assert_eq!(cleared.as_array().unwrap().len(), 1);

    // A testimony goes where it belongs: to its witness, its incident and the party it names.
    let text = env.path("statement.txt");
    std::fs::write(&text, "Major Tolvanen refused the doctor.").unwrap();
    let args = |incident: &str, party: &str| -> Vec<String> {
        [
            "testimony",
            "--case",
            &id,
            "--witness",
            "W-7",
            "--interviewer",
            "A. Monitor",
            "--date",
            "2024-03-02",
            "--place",
            "safe location",
            "--language",
            "en",
            "--text",
            text.to_str().unwrap(),
            "--incident",
            incident,
            "--party",
            party,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let items_before = env.json(&["list"]).as_array().unwrap().len();
    for (incident, party, what) in [("I9", "P2", "I9"), ("I1", "P9", "P9")] {
        let a = args(incident, party);
        let err = env.fails(&a.iter().map(String::as_str).collect::<Vec<_>>(), 2);
        assert!(err.contains(what), "{err}");
    }
    assert_eq!(
        env.json(&["list"]).as_array().unwrap().len(),
        items_before,
        "a refused testimony stored nothing"
    );
    let a = args("I1", "P2");
    env.ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let sheet = env.json(&["case", "show", &id]);
    let links: Vec<&Value> = sheet["evidence"].as_array().unwrap().iter().collect();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0]["party"], "W1");
    assert_eq!(
        (links[1]["incident"].as_str(), links[1]["party"].as_str()),
        (Some("I1"), Some("P2"))
    );

    // A photo the same witness sent, under another recorded source, is the
    // same person: I1 rests on one source until someone else's item joins.
    let photo = add(
        &env,
        "cell.jpg",
        "not really a jpeg",
        "sent by W-7 over Signal",
    );
    env.ok(&[
        "case",
        "link",
        &id,
        "--item",
        &photo,
        "--incident",
        "I1",
        "--party",
        "W1",
    ]);
    let i1 = |env: &Env| -> (String, String) {
        let text = env.ok(&["case", "show", &id, "--matrix"]);
        let mut lines = text
            .lines()
            .skip_while(|l| !l.contains("I1: arbitrary-detention"));
        let row = lines.next().unwrap_or_default().trim().to_string();
        let sources: Vec<&str> = lines
            .take_while(|l| l.trim_start().starts_with("- "))
            .collect();
        (row, sources.join("\n"))
    };
    let (row, sources) = i1(&env);
    assert!(row.starts_with("single-source"), "{row}\n{sources}");
    assert!(
        sources.contains("W-7 (W1)") && !sources.contains("Signal"),
        "{sources}"
    );
    let register = add(&env, "register.txt", "entry 0417", "detention register");
    env.ok(&["case", "link", &id, "--item", &register, "--incident", "I1"]);
    let (row, sources) = i1(&env);
    assert!(row.starts_with("corroborated"), "{row}\n{sources}");
    assert!(sources.contains("detention register"), "{sources}");
}

/// The published schema is the one the types make, and an editor's checker
/// (Python's jsonschema) accepts every sheet the library writes and refuses
/// what the library would refuse field by field.
#[test]
fn the_schema_is_the_types_and_checks_sheets_as_the_library_does() {
    let env = Env::init();
    let printed: Value = serde_json::from_str(&env.ok(&["case", "schema"])).unwrap();
    let published: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/case-sheet.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        printed, published,
        "docs/case-sheet.schema.json is not the build's: `casefile case schema > docs/case-sheet.schema.json`"
    );
    let schema = env.path("schema.json");
    std::fs::write(&schema, serde_json::to_vec(&printed).unwrap()).unwrap();

    let id = new_case(&env);
    let mut sheets = Vec::new();
    for kind in ["gross-violation", "corruption"] {
        let file = env.path(&format!("{kind}.jsonc"));
        std::fs::write(&file, env.ok(&["case", "template", "--type", kind])).unwrap();
        env.ok(&["case", "edit", &id, "--file", file.to_str().unwrap()]);
        sheets.push(env.json(&["case", "show", &id]));
    }
    let demo = env.json(&["demo"]);
    sheets.push(env.json(&["case", "show", demo["id"].as_str().unwrap()]));
    let mut bad = sheets[0].clone();
    bad["incidents"][0]["violation"] = json!("genocide");
    let mut unknown = sheets[0].clone();
    unknown["perpetrators"][0]["nickname"] = json!("The Colonel");
    let check = |sheet: &Value| -> String {
        let f = env.path("sheet.json");
        std::fs::write(&f, serde_json::to_vec(sheet).unwrap()).unwrap();
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import json, sys, jsonschema\n\
                 s = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))\n\
                 errors = [e.message for e in jsonschema.Draft202012Validator(s).iter_errors(d)]\n\
                 print('; '.join(errors) or 'valid')",
                schema.to_str().unwrap(),
                f.to_str().unwrap(),
            ])
            .output()
            .expect("python3 with jsonschema (scripts/tools.sh installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    for sheet in &sheets {
        assert_eq!(check(sheet), "valid", "{}", sheet["title"]);
    }
    assert!(check(&bad).contains("genocide"), "{}", check(&bad));
    assert!(check(&unknown).contains("nickname"), "{}", check(&unknown));
    // The library refuses both too.
    for sheet in [&bad, &unknown] {
        let mut s = sheet.clone();
        s["id"] = json!(id);
        assert!(!edit(&env, &id, &s).status.success());
    }
}
