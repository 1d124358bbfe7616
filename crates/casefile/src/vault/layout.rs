//! The names of the files in a vault folder, in one place.
//!
//! ```text
//! vault/
//!   keyslots.json    the vault key, wrapped once per unlock method
//!   vault.db         the first vault's database; vault-2.db the second's, or filler
//!   vault.head       the first vault's latest signed tree head, sealed; vault-2.head
//!                    the second's, or filler of the same size
//!   blobs/           encrypted contents, random names
//!   quarantine/      complete blobs no item references (only after damage or a
//!                    database put back to an earlier copy; `check` reports them)
//!   guard.json       wrong secrets in a row and the wipe limit (in the clear)
//!   lock             advisory lock shared by the processes using the vault
//! ```

use std::path::{Path, PathBuf};

/// Name of the key-slot file inside a vault folder.
pub const KEYSLOTS_FILE: &str = "keyslots.json";
/// Name of the database inside a vault folder.
pub const DB_FILE: &str = "vault.db";
/// Name of the second database: a second vault's (see `Vault::create_second`)
/// or, in every vault that has none, random bytes of the same kind of size.
pub const SECOND_DB_FILE: &str = "vault-2.db";
/// Name of the blob folder inside a vault folder.
pub const BLOBS_DIR: &str = "blobs";
/// Where complete blobs no item references are moved.
pub const QUARANTINE_DIR: &str = "quarantine";
/// The process lock.
pub const LOCK_FILE: &str = "lock";
/// Held by the one process sending from the vault (a send, a resume or an
/// abandon), so no other touches a send under way. Made at every open, so
/// its presence says nothing.
pub const SEND_LOCK_FILE: &str = "send.lock";
/// The guard file.
pub const GUARD_FILE: &str = "guard.json";
/// The sealed tree heads of the two spaces.
pub const HEAD_FILES: [&str; 2] = ["vault.head", "vault-2.head"];

/// The database file of a space (0: the first vault, 1: the second).
pub(crate) fn db_file(space: u8) -> &'static str {
    if space == 0 { DB_FILE } else { SECOND_DB_FILE }
}

/// The sealed head file of a space.
pub(crate) fn head_file(space: u8) -> &'static str {
    HEAD_FILES[usize::from(space.min(1))]
}

/// Every file a vault folder may hold (besides the blob and quarantine
/// folders), for wiping it: the key slots first.
pub(crate) fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.join(KEYSLOTS_FILE)];
    for db in [DB_FILE, SECOND_DB_FILE] {
        for suffix in ["", "-wal", "-shm"] {
            out.push(dir.join(format!("{db}{suffix}")));
        }
    }
    out.extend(HEAD_FILES.iter().map(|h| dir.join(h)));
    out.push(dir.join(LOCK_FILE));
    out.push(dir.join(SEND_LOCK_FILE));
    out.push(dir.join(GUARD_FILE));
    out
}
