//! The desktop app at the scale of a real archive: 10,000 items and 100
//! cases, in a real window under Xvfb over WebDriver (tests/e2e/desktop.py,
//! phase "scale"). The evidence list draws only the rows in view; the script
//! checks that and prints how long opening, scrolling and searching took
//! (printed, never asserted: timings belong to the benchmark).

mod common;

use std::path::Path;
use std::process::Command;

use casefile::Vault;
use casefile::case::sheet::{CaseType, EvidenceLink, Regime};
use casefile::vault::Secret;
use common::Env;

const PASS: &str = "e2e passphrase for the desktop";
const ITEMS: usize = 10_000;
const CASES: usize = 100;
const LINKED: usize = 2_000;

#[test]
fn the_evidence_list_stays_quick_with_ten_thousand_items() {
    let app = common::desktop_app(&[]);
    let env = Env::with_passphrase(PASS);
    env.ok(&["init", "--collector", "Archive Collector"]);
    let files = env.path("statements");
    std::fs::create_dir(&files).unwrap();
    // statement-0000.txt to statement-9999.txt: the script searches for one.
    let width = (ITEMS - 1).to_string().len();
    for n in 0..ITEMS {
        std::fs::write(
            files.join(format!("statement-{n:0width$}.txt")),
            format!("Statement {n} taken at the border crossing.\n"),
        )
        .unwrap();
    }
    env.ok(&["add", files.to_str().unwrap()]);
    let mut vault = Vault::open(&env.vault, Secret::Passphrase(PASS)).unwrap();
    let items = vault.list().unwrap();
    assert_eq!(items.len(), ITEMS);
    for n in 0..CASES {
        let sheet = casefile::case::create(
            &mut vault,
            &format!("Case {n:03} of the archive"),
            CaseType::GrossViolation,
            vec![Regime::UsGlobalMagnitsky],
        )
        .unwrap();
        // The first case holds the first LINKED statements: the export
        // wizard lists them all.
        if n == 0 {
            let mut sheet = casefile::case::load(&vault, &sheet.id).unwrap();
            sheet.evidence = items[..LINKED]
                .iter()
                .map(|i| EvidenceLink {
                    item: i.id.clone(),
                    incident: None,
                    party: None,
                    supports: String::new(),
                })
                .collect();
            casefile::case::save(&mut vault, &sheet).unwrap();
        }
    }
    drop(vault);

    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
    let home = env.path("app-home");
    let ok = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/desktop.py"))
        .args(["--phase", "scale", "--app", app.to_str().unwrap()])
        .args(["--vault", env.vault.to_str().unwrap()])
        .args(["--bundle", env.path("unused").to_str().unwrap()])
        .args(["--items", &ITEMS.to_string(), "--cases", &CASES.to_string()])
        .args(["--linked", &LINKED.to_string()])
        .args(["--shots", shots.to_str().unwrap()])
        .args(["--home", home.to_str().unwrap()])
        .status()
        .unwrap()
        .success();
    assert!(
        ok,
        "the desktop at scale failed; screenshots in {}",
        shots.display()
    );
}
