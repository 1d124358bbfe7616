//! Organisation keys through the real `casefile` binary: an organisation
//! certifies a member's device, a recipient pins the organisation alone,
//! and a revocation refuses what the device sealed unless a real RFC 3161
//! authority's token proves the seal is older. `minisign` checks the
//! statements as a recipient would.

mod common;

use std::path::Path;
use std::process::Command;

use common::Env;
use common::tsa::{Authority, Usage};

const ORG_PASS: &str = "organisation passphrase 7";

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs `casefile org ...` with the organisation's passphrase.
fn org(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["org"];
    all.extend_from_slice(args);
    let out = env.run_env(&all, &[("CASEFILE_ORG_PASSPHRASE", ORG_PASS)]);
    assert!(
        out.status.success(),
        "casefile {all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An organisation, a member's vault certified by it with a demo case, and
/// the device's public key file.
fn certified_member() -> (Env, std::path::PathBuf, String, std::path::PathBuf) {
    let member = Env::init();
    let orgdir = member.path("acme");
    org(
        &member,
        &["init", "--name", "Acme Rights", "--out", s(&orgdir)],
    );
    let device = member.path("device.pub");
    std::fs::write(&device, member.ok(&["key", "show"])).unwrap();
    let cert = member.path("amina.cert");
    org(
        &member,
        &[
            "certify",
            "--key",
            s(&orgdir.join("organisation.key")),
            "--device",
            s(&device),
            "--member",
            "Amina",
            "--from",
            "2026-01-01T00:00:00Z",
            "--out",
            s(&cert),
        ],
    );
    let out = member.ok(&["key", "certificate", s(&cert)]);
    assert!(out.contains("certified as Amina of Acme Rights"), "{out}");
    let sheet = member.json(&["demo"]);
    let case = sheet["id"].as_str().expect("case id").to_string();
    (member, orgdir, case, device)
}

fn minisign_ok(pubkey: &Path, file: &Path) -> bool {
    common::require_tool("minisign");
    Command::new("minisign")
        .args(["-V", "-p", s(pubkey), "-m", s(file)])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn a_recipient_who_pins_the_organisation_trusts_its_certified_device() {
    let (member, orgdir, case, _device) = certified_member();
    let bundle = member.path("bundle");
    member.ok(&["export", "--case", &case, "--out", s(&bundle)]);
    let cert = bundle.join("data/device-certificate.txt");
    assert!(
        minisign_ok(&orgdir.join("organisation.pub"), &cert),
        "minisign checks the certificate with the organisation's key"
    );

    let recipient = Env::init();
    // Not yet pinned: the bundle holds, its signer is unknown.
    recipient.fails(&["verify", s(&bundle)], 3);
    recipient.ok(&[
        "senders",
        "add",
        "acme",
        s(&orgdir.join("organisation.pub")),
        "--organisation",
    ]);
    let out = recipient.ok(&["verify", s(&bundle)]);
    assert!(out.contains("PASS certificate"), "{out}");
    assert!(
        out.contains("sealed by device of Amina of organisation Acme Rights"),
        "{out}"
    );
    // The organisation's key itself seals nothing: it is not a device pin.
    let senders = recipient.json(&["senders", "list"]);
    assert_eq!(senders[0]["kind"], "organisation");
}

#[test]
fn a_certificate_for_another_device_neither_installs_nor_vouches() {
    let (member, orgdir, _case, _device) = certified_member();
    let other = Env::init();
    let err = other.fails(&["key", "certificate", s(&member.path("amina.cert"))], 2);
    assert!(err.contains("not this one"), "{err}");
    // A forged certificate text fails its signature.
    let forged = member.path("forged.cert");
    let text = std::fs::read_to_string(member.path("amina.cert")).unwrap();
    std::fs::write(&forged, text.replace("Amina", "Mallory")).unwrap();
    std::fs::copy(
        member.path("amina.cert.minisig"),
        member.path("forged.cert.minisig"),
    )
    .unwrap();
    let err = member.fails(&["key", "certificate", s(&forged)], 2);
    assert!(err.contains("signature"), "{err}");
    assert!(orgdir.join("organisation.key").exists());
}

#[test]
fn a_revoked_device_is_refused_unless_a_time_stamp_proves_the_seal_is_older() {
    let (member, orgdir, case, device) = certified_member();
    let tsa = Authority::start(&member.path("tsa"), "one", Usage::TimeStamping);
    member.ok(&["tsa", "add", "one", &tsa.url, "--ca", s(&tsa.ca())]);
    let stamped = member.path("stamped");
    member.ok(&["export", "--case", &case, "--out", s(&stamped)]);
    let unstamped = member.path("unstamped");
    member.ok(&["tsa", "remove", "one"]);
    member.ok(&["export", "--case", &case, "--out", s(&unstamped)]);

    // The laptop is seized: the organisation revokes its key from now.
    let revocation = member.path("seized.revocation");
    org(
        &member,
        &[
            "revoke",
            "--key",
            s(&orgdir.join("organisation.key")),
            "--device",
            s(&device),
            "--out",
            s(&revocation),
        ],
    );
    assert!(minisign_ok(&orgdir.join("organisation.pub"), &revocation));

    let recipient = Env::init();
    // A revocation from an organisation nobody pinned is refused.
    let err = recipient.fails(&["senders", "revoke", s(&revocation)], 2);
    assert!(err.contains("not a known organisation"), "{err}");
    recipient.ok(&[
        "senders",
        "add",
        "acme",
        s(&orgdir.join("organisation.pub")),
        "--organisation",
    ]);
    recipient.ok(&["senders", "revoke", s(&revocation)]);
    let pin = format!("one={}", s(&tsa.ca()));

    // Without a time-stamp, nothing proves the seal came before the seizure.
    let out = recipient.run(&["verify", s(&unstamped), "--tsa-ca", &pin]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL revocation"), "{text}");
    assert!(
        text.contains("no time-stamp proves the seal is older"),
        "{text}"
    );

    // With the authority's token over the seal, made before the revocation.
    let out = recipient.ok(&["verify", s(&stamped), "--tsa-ca", &pin]);
    assert!(out.contains("PASS revocation"), "{out}");
    assert!(out.contains("time-stamped the seal earlier"), "{out}");
}
