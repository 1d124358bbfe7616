//! Versioned schema migrations: entry N brings a database from version N to N+1.

/// Migration scripts in order; `PRAGMA user_version` counts how many have run.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: vault metadata, device key, items, custody log and checkpoints.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE device (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        seed       BLOB NOT NULL,
        key_id     BLOB NOT NULL,
        public     BLOB NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE items (
        id            TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        title         TEXT NOT NULL,
        original_name TEXT NOT NULL,
        mime          TEXT NOT NULL,
        size          INTEGER NOT NULL,
        sha256        TEXT NOT NULL,
        sha512        TEXT NOT NULL,
        blob          TEXT NOT NULL UNIQUE,
        ingested_at   TEXT NOT NULL,
        captured_at   TEXT,
        collector     TEXT NOT NULL,
        source        TEXT NOT NULL DEFAULT '',
        method        TEXT NOT NULL DEFAULT '',
        language      TEXT NOT NULL DEFAULT '',
        notes         TEXT NOT NULL DEFAULT '',
        restriction   TEXT NOT NULL DEFAULT '',
        parent        TEXT REFERENCES items(id),
        derivation    TEXT
    ) STRICT;

    -- The custody log: `body` is the exact canonical JSON that is hashed.
    CREATE TABLE events (
        seq  INTEGER PRIMARY KEY,
        item TEXT,
        body TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_by_item ON events(item);

    -- Signed tree heads, in the signed-note text form.
    CREATE TABLE checkpoints (
        size INTEGER PRIMARY KEY,
        note TEXT NOT NULL
    ) STRICT;
    "#,
    // 2: case sheets, protected identities, testimonies, derivations, full-text search.
    r#"
    CREATE TABLE cases (
        id         TEXT PRIMARY KEY,
        title      TEXT NOT NULL,
        sheet      TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT;

    -- Real identities of pseudonymous persons, kept out of the sheet itself.
    CREATE TABLE identities (
        case_id  TEXT NOT NULL REFERENCES cases(id),
        person   TEXT NOT NULL,
        identity TEXT NOT NULL,
        PRIMARY KEY (case_id, person)
    ) STRICT;

    CREATE TABLE testimonies (
        item        TEXT PRIMARY KEY REFERENCES items(id),
        case_id     TEXT NOT NULL REFERENCES cases(id),
        witness     TEXT NOT NULL,
        interviewer TEXT NOT NULL,
        date        TEXT NOT NULL,
        place       TEXT NOT NULL,
        language    TEXT NOT NULL,
        audio       TEXT REFERENCES items(id)
    ) STRICT;

    CREATE VIRTUAL TABLE search USING fts5(
        kind UNINDEXED, ref UNINDEXED, title, body,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO search (kind, ref, title, body)
        SELECT 'item', id, title, original_name || char(10) || notes || char(10) || source FROM items;
    "#,
    // 3: custody events received with imported items, kept as the sender recorded them.
    r#"
    CREATE TABLE received_events (
        item   TEXT NOT NULL,
        bundle TEXT NOT NULL,
        origin TEXT NOT NULL,
        seq    INTEGER NOT NULL,
        body   TEXT NOT NULL
    ) STRICT;
    CREATE INDEX received_by_item ON received_events(item);
    "#,
    // 4: facts read from each file's own metadata, and thumbnails.
    r#"
    CREATE TABLE media (
        item      TEXT PRIMARY KEY REFERENCES items(id),
        info      TEXT NOT NULL,
        thumbnail BLOB
    ) STRICT;
    "#,
    // 5: received items keep the sender's id apart from a local one of their
    // own; keys of known senders. Items imported before this (which kept the
    // sender's id as theirs) are marked as received, so nothing ever takes
    // them for evidence made here.
    r#"
    ALTER TABLE items ADD COLUMN sender_log TEXT;
    ALTER TABLE items ADD COLUMN sender_id TEXT;
    UPDATE items SET
        sender_log = COALESCE((
            SELECT json_extract(e.body, '$.details.sender_log') FROM events e
            WHERE e.item = items.id AND json_extract(e.body, '$.action') = 'received'
            ORDER BY e.seq LIMIT 1), ''),
        sender_id = id
    WHERE id IN (SELECT item FROM events WHERE json_extract(body, '$.action') = 'received');
    CREATE UNIQUE INDEX items_by_sender ON items(sender_log, sender_id) WHERE sender_log IS NOT NULL;

    CREATE TABLE senders (
        name     TEXT PRIMARY KEY,
        kind     TEXT NOT NULL DEFAULT 'device',
        public   TEXT NOT NULL UNIQUE,
        added_at TEXT NOT NULL
    ) STRICT;
    "#,
    // 6: log format 2: each event's strings are salted commitments, their
    // disclosures kept beside it (for events received in bundles too).
    // Events written before stay as they were, and verify as they were.
    r#"
    ALTER TABLE events ADD COLUMN disclosures TEXT;
    ALTER TABLE received_events ADD COLUMN disclosures TEXT;
    "#,
    // 7: pinned time-stamping authorities and the tokens they gave: over a
    // checkpoint (`target` 'checkpoint', `size` its size) or over a bundle's
    // seal (`target` 'seal', `size` 0, `subject` the seal's SHA-256).
    r#"
    CREATE TABLE authorities (
        name     TEXT PRIMARY KEY,
        url      TEXT NOT NULL,
        proxy    TEXT,
        certs    TEXT NOT NULL,
        added_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE timestamps (
        authority TEXT NOT NULL,
        target    TEXT NOT NULL,
        size      INTEGER NOT NULL,
        subject   TEXT NOT NULL,
        token     BLOB NOT NULL,
        time      TEXT NOT NULL,
        PRIMARY KEY (authority, target, size, subject)
    ) STRICT;
    "#,
    // 8: organisation keys: this device's certificate from its organisation,
    // and revocations of devices by organisations this vault knows (senders
    // of kind 'organisation'). Statements are kept as signed, text and
    // minisign signature.
    r#"
    CREATE TABLE device_certificate (
        id        INTEGER PRIMARY KEY CHECK (id = 1),
        statement TEXT NOT NULL,
        signature TEXT NOT NULL,
        added_at  TEXT NOT NULL
    ) STRICT;
    CREATE TABLE revocations (
        device       TEXT NOT NULL,
        organisation TEXT NOT NULL,
        revoked_at   TEXT NOT NULL,
        statement    TEXT NOT NULL,
        signature    TEXT NOT NULL,
        added_at     TEXT NOT NULL,
        PRIMARY KEY (device, organisation)
    ) STRICT;
    "#,
    // 9: remotes, the organisation's storage that bundles travel through.
    // The secret (password, app password, S3 secret key) is kept here and
    // nowhere else: inside the encrypted database.
    r#"
    CREATE TABLE remotes (
        name     TEXT PRIMARY KEY,
        endpoint TEXT NOT NULL,
        proxy    TEXT,
        secret   TEXT NOT NULL,
        added_at TEXT NOT NULL
    ) STRICT;
    "#,
    // 10: sends under way: what an interrupted send needs to write the same
    // bundle again (its generated files, by value) and the parts the remote
    // confirmed, so `send --resume` sends only what is missing. Deleted when
    // the delivery completes or is abandoned.
    r#"
    CREATE TABLE sends (
        delivery   TEXT PRIMARY KEY,
        remote     TEXT NOT NULL,
        request    TEXT NOT NULL,
        recipe     TEXT NOT NULL,
        started_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE send_parts (
        delivery TEXT NOT NULL REFERENCES sends(delivery) ON DELETE CASCADE,
        n        INTEGER NOT NULL,
        size     INTEGER NOT NULL,
        sha256   TEXT NOT NULL,
        PRIMARY KEY (delivery, n)
    ) STRICT;
    "#,
    // 11: items found by their SHA-256 (a file added again is named at once):
    // without it each addition read every item, and adding the ten
    // thousandth file took seconds.
    r#"
    CREATE INDEX items_by_sha256 ON items(sha256);
    "#,
];
