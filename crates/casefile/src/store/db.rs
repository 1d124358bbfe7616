//! Opening the SQLCipher database with a raw key and bringing its schema up to date.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use zeroize::Zeroizing;

use super::StoreError;
use super::schema::MIGRATIONS;
use crate::crypto::SecretKey;

/// The schema version this build writes.
pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Whether a database error means the file is damaged rather than busy or misused.
pub fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

/// Maps damage errors to [`StoreError::Corrupt`] naming `path`.
pub fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    if is_damage(&e) {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            why: format!("the encrypted database cannot be read ({e})"),
        }
    } else {
        StoreError::Db(e)
    }
}

/// Opens (or with `create`, creates) the encrypted database under `key`.
pub fn open(path: &Path, key: &SecretKey, create: bool) -> Result<Connection, StoreError> {
    if !create && !path.is_file() {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            why: "the database file is missing".into(),
        });
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    // A raw key skips SQLCipher's own PBKDF2: the vault key is already strong.
    // SQLCipher would otherwise print its own diagnostics on stderr.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")
        .map_err(|e| classify(path, e))?;
    let mut hex = Zeroizing::new([0u8; 64]);
    hex::encode_to_slice(&key[..], &mut hex[..]).map_err(|_| StoreError::Corrupt {
        path: path.to_path_buf(),
        why: "bad key length".into(),
    })?;
    let mut pragma = Zeroizing::new(String::with_capacity(80));
    pragma.push_str("PRAGMA key = \"x'");
    pragma.extend(hex.iter().map(|&b| b as char));
    pragma.push_str("'\";");
    conn.execute_batch(&pragma).map_err(|e| classify(path, e))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| classify(path, e))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(|e| classify(path, e))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    migrate(&mut conn).map_err(|e| match e {
        StoreError::Db(e) => classify(path, e),
        other => other,
    })?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > schema_version() {
        return Err(StoreError::TooNew {
            found,
            known: schema_version(),
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random_key;

    #[test]
    fn encrypted_on_disk_and_key_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let key = random_key();
        {
            let conn = open(&path, &key, true).unwrap();
            conn.execute(
                "INSERT INTO meta VALUES ('marker', 'plain-marker-7731')",
                [],
            )
            .unwrap();
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.starts_with(b"SQLite format 3"));
        assert!(!bytes.windows(17).any(|w| w == b"plain-marker-7731"));
        let again = open(&path, &key, false).unwrap();
        let v: i64 = again
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema_version());
        drop(again);
        assert!(matches!(
            open(&path, &random_key(), false),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let key = random_key();
        open(&path, &key, true)
            .unwrap()
            .pragma_update(None, "user_version", 999)
            .unwrap();
        assert!(matches!(
            open(&path, &key, false),
            Err(StoreError::TooNew { found: 999, .. })
        ));
    }
}
