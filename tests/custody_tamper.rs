//! Tampering with the stored custody log, with the database key in hand, is
//! caught by `casefile log verify`, which names the first bad event.

mod common;

use common::{Env, raw_db};
use rusqlite::Connection;

/// A vault with a few events: created, opened, three items added, one viewed.
fn populated() -> Env {
    let env = Env::init();
    for (i, name) in ["a.txt", "b.txt", "c.txt"].iter().enumerate() {
        let p = env.path(name);
        std::fs::write(&p, format!("evidence {i}")).unwrap();
        env.ok(&["add", p.to_str().unwrap()]);
    }
    let id = env.json(&["list"])[0]["id"].as_str().unwrap().to_string();
    env.ok(&["show", &id]);
    env.ok(&["log", "verify"]);
    env
}

fn body(conn: &Connection, seq: i64) -> String {
    conn.query_row("SELECT body FROM events WHERE seq = ?1", [seq], |r| {
        r.get(0)
    })
    .unwrap()
}

fn last_seq(conn: &Connection) -> i64 {
    conn.query_row("SELECT max(seq) FROM events", [], |r| r.get(0))
        .unwrap()
}

fn verify_fails_naming(env: &Env, event: &str) -> String {
    let err = env.fails(&["log", "verify"], 1);
    assert!(
        err.contains(event),
        "expected the report to name {event:?}:\n{err}"
    );
    err
}

#[test]
fn untouched_log_verifies() {
    let env = populated();
    let report = env.json(&["log", "verify"]);
    assert_eq!(report["problems"].as_array().unwrap().len(), 0);
    assert!(report["checkpoints"].as_u64().unwrap() >= 5);
}

#[test]
fn an_edited_event_is_named() {
    let env = populated();
    {
        let conn = raw_db(&env.vault);
        let b = body(&conn, 4);
        assert!(b.contains("Test Collector"));
        conn.execute(
            "UPDATE events SET body = ?1 WHERE seq = 4",
            [b.replace("Test Collector", "Someone Else")],
        )
        .unwrap();
    }
    verify_fails_naming(&env, "event 4 or event 5 was altered");
}

#[test]
fn an_edited_last_event_is_caught_by_the_signed_checkpoint() {
    let env = populated();
    let last = {
        let conn = raw_db(&env.vault);
        let last = last_seq(&conn);
        let b = body(&conn, last);
        conn.execute(
            "UPDATE events SET body = ?1 WHERE seq = ?2",
            (b.replace("Z\"", "Z \""), last),
        )
        .unwrap();
        last
    };
    verify_fails_naming(&env, &format!("event {last} or one before it was altered"));
}

#[test]
fn a_deleted_event_is_named() {
    let env = populated();
    raw_db(&env.vault)
        .execute("DELETE FROM events WHERE seq = 3", [])
        .unwrap();
    verify_fails_naming(&env, "event 3 is missing");
}

#[test]
fn events_deleted_from_the_end_are_caught() {
    let env = populated();
    {
        let conn = raw_db(&env.vault);
        let last = last_seq(&conn);
        conn.execute("DELETE FROM events WHERE seq >= ?1", [last - 1])
            .unwrap();
    }
    let err = env.fails(&["log", "verify"], 1);
    assert!(err.contains("event"), "{err}");
}

#[test]
fn reordered_events_are_named() {
    let env = populated();
    {
        let conn = raw_db(&env.vault);
        let (b3, b4) = (body(&conn, 3), body(&conn, 4));
        conn.execute("UPDATE events SET body = ?1 WHERE seq = 3", [&b4])
            .unwrap();
        conn.execute("UPDATE events SET body = ?1 WHERE seq = 4", [&b3])
            .unwrap();
    }
    verify_fails_naming(&env, "event 3 holds the record of event 4");
}

#[test]
fn reordered_and_renumbered_events_are_caught() {
    let env = populated();
    {
        let conn = raw_db(&env.vault);
        let (b3, b4) = (body(&conn, 3), body(&conn, 4));
        let renumber = |b: &str, from: i64, to: i64| {
            b.replacen(&format!("\"seq\":{from},"), &format!("\"seq\":{to},"), 1)
        };
        conn.execute(
            "UPDATE events SET body = ?1 WHERE seq = 3",
            [renumber(&b4, 4, 3)],
        )
        .unwrap();
        conn.execute(
            "UPDATE events SET body = ?1 WHERE seq = 4",
            [renumber(&b3, 3, 4)],
        )
        .unwrap();
    }
    verify_fails_naming(&env, "event 2 or event 3 was altered");
}

#[test]
fn a_forged_checkpoint_is_caught() {
    let env = populated();
    {
        let conn = raw_db(&env.vault);
        let (size, note): (i64, String) = conn
            .query_row(
                "SELECT size, note FROM checkpoints ORDER BY size LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let forged = note.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 100), 1);
        conn.execute(
            "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
            (forged, size),
        )
        .unwrap();
    }
    verify_fails_naming(&env, "checkpoint at event");
}

#[test]
fn tampering_is_never_blessed_by_a_new_checkpoint() {
    let env = populated();
    let before: i64 = raw_db(&env.vault)
        .query_row("SELECT count(*) FROM checkpoints", [], |r| r.get(0))
        .unwrap();
    {
        let conn = raw_db(&env.vault);
        let b = body(&conn, 2);
        conn.execute(
            "UPDATE events SET body = ?1 WHERE seq = 2",
            [b.replace("vault_opened", "item_viewed")],
        )
        .unwrap();
    }
    env.fails(&["log", "verify"], 1);
    env.ok(&["list"]);
    let after: i64 = raw_db(&env.vault)
        .query_row("SELECT count(*) FROM checkpoints", [], |r| r.get(0))
        .unwrap();
    assert_eq!(after, before, "a checkpoint was signed over a tampered log");
}
