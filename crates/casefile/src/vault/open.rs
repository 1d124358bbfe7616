//! Creating a vault and unlocking an existing one.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use zeroize::Zeroizing;

use super::{
    BLOBS_DIR, DB_FILE, KEYSLOTS_FILE, LOCK_FILE, SECOND_DB_FILE, Vault, VaultError, db_file,
};
use crate::crypto::kdf::{KdfParams, subkey};
use crate::crypto::sign::DeviceKey;
use crate::crypto::{SecretKey, random_bytes, random_key};
use crate::custody::{self, Action, NewEvent};
use crate::store::blobs::BlobStore;
use crate::store::keyslots::{KeySlots, SlotKind, new_recovery_code, normalize_recovery_code};
use crate::store::{StoreError, db};

/// HKDF label of the SQLCipher key derived from the vault key.
pub const DB_KEY_PURPOSE: &str = "casefile sqlcipher v1";
const BLOB_KEY_PURPOSE: &str = "casefile blobs v1";

/// The collector recorded when a vault is created without a name.
pub const UNNAMED_COLLECTOR: &str = "unnamed collector";

/// A secret that unlocks a vault.
pub enum Secret<'a> {
    /// The passphrase.
    Passphrase(&'a str),
    /// The recovery code printed at creation.
    RecoveryCode(&'a str),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> VaultError + '_ {
    move |e| VaultError::Store(StoreError::io(path, e))
}

/// Takes the vault's process lock. Returns true when this process holds it
/// alone, and may therefore sweep orphans no other process is writing.
fn lock(dir: &Path) -> Result<(File, bool), VaultError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err(&path))?;
    // Made now whatever this vault does, so that its presence says nothing.
    let sending = dir.join(super::layout::SEND_LOCK_FILE);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&sending)
        .map_err(io_err(&sending))?;
    match file.try_lock() {
        Ok(()) => Ok((file, true)),
        Err(TryLockError::WouldBlock) => {
            file.lock_shared().map_err(io_err(&path))?;
            Ok((file, false))
        }
        Err(TryLockError::Error(e)) => Err(io_err(&path)(e)),
    }
}

/// A vault setting, if set.
pub(super) fn meta_opt(conn: &Connection, key: &str) -> Result<Option<String>, VaultError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// A vault setting that must be set.
pub(super) fn meta(conn: &Connection, key: &str) -> Result<String, VaultError> {
    meta_opt(conn, key)?.ok_or_else(|| {
        VaultError::Store(StoreError::Corrupt {
            path: DB_FILE.into(),
            why: format!("vault setting {key:?} is missing"),
        })
    })
}

impl Vault {
    /// Creates a new vault in `dir`; returns it with the recovery code, shown once.
    pub fn create(
        dir: &Path,
        passphrase: &str,
        collector: &str,
    ) -> Result<(Vault, Zeroizing<String>), VaultError> {
        let collector = match collector.trim() {
            "" => UNNAMED_COLLECTOR,
            named => named,
        };
        super::passphrase::check_new(passphrase, &[collector])?;
        for name in [KEYSLOTS_FILE, DB_FILE, SECOND_DB_FILE, BLOBS_DIR] {
            if dir.join(name).exists() {
                return Err(VaultError::Exists(dir.to_path_buf()));
            }
        }
        create_private_dir(dir)?;
        let blobs = BlobStore::new(dir.join(BLOBS_DIR));
        blobs.create_dir()?;
        let (lock_file, _) = lock(dir)?;

        let vault_key = random_key();
        let vault_id = hex::encode(random_bytes::<16>());
        let recovery = new_recovery_code();
        let normalized = normalize_recovery_code(&recovery);
        let (slots, at) = KeySlots::create(
            &vault_id,
            &vault_key,
            &[
                (SlotKind::Passphrase, 0, passphrase.as_bytes()),
                (SlotKind::Recovery, 0, normalized.as_bytes()),
            ],
            KdfParams::MINIMUM,
        )?;
        let origin = format!("casefile/{vault_id}");
        let db_path = dir.join(DB_FILE);
        let (conn, device) = init_db(
            &db_path,
            &vault_key,
            &[
                ("vault_id", vault_id.as_str()),
                ("origin", origin.as_str()),
                ("collector", collector),
                ("slot_passphrase", &at[0].to_string()),
                ("slot_recovery", &at[1].to_string()),
            ],
            collector,
        )?;
        // Every vault has a second database file: random bytes of a random
        // size between 1 and 8 MiB, which a second vault takes over (see decoy.rs).
        let pages = 256 + u64::from(u16::from_le_bytes(random_bytes::<2>())) % 1793;
        filler_file(&dir.join(SECOND_DB_FILE), pages * 4096)?;
        // The key slots go last: until they exist, nothing here can be opened,
        // so an interrupted creation leaves no half-usable vault.
        slots.save(&dir.join(KEYSLOTS_FILE))?;

        super::head::write_filler(dir, 1)?;
        // Every vault has its guard file from the start, so its presence
        // tells nothing about failed guesses or a second vault.
        super::guard::Guard::default().save(dir)?;
        let mut vault = Vault {
            dir: dir.to_path_buf(),
            conn,
            blobs,
            blob_key: subkey(&vault_key, BLOB_KEY_PURPOSE),
            head_key: subkey(&vault_key, super::head::HEAD_KEY_PURPOSE),
            vault_id: vault_id.clone(),
            device,
            origin,
            actor: collector.to_string(),
            space: 0,
            discarded: false,
            _lock: lock_file,
        };
        vault.checkpoint()?;
        Ok((vault, recovery))
    }

    /// Unlocks the vault in `dir`.
    pub fn open(dir: &Path, secret: Secret<'_>) -> Result<Vault, VaultError> {
        let slots_path = dir.join(KEYSLOTS_FILE);
        if !slots_path.is_file() {
            return Err(VaultError::NoVault(dir.to_path_buf()));
        }
        let (lock_file, alone) = lock(dir)?;
        let slots = KeySlots::load(&slots_path)?;
        let unlocked = super::guard::unlock(dir, &slots, &secret)?;
        Self::open_with_key(
            dir,
            &unlocked.key,
            unlocked.space,
            &slots.vault_id,
            lock_file,
            alone,
        )
    }

    fn open_with_key(
        dir: &Path,
        vault_key: &SecretKey,
        space: u8,
        slots_vault_id: &str,
        lock_file: File,
        alone: bool,
    ) -> Result<Vault, VaultError> {
        let db_path = dir.join(db_file(space));
        let conn = db::open(&db_path, &subkey(vault_key, DB_KEY_PURPOSE), false)?;
        let vault_id = meta(&conn, "vault_id")?;
        if vault_id != slots_vault_id {
            return Err(VaultError::Store(StoreError::Corrupt {
                path: db_path,
                why: "the database belongs to another vault than keyslots.json".into(),
            }));
        }
        let (seed, key_id): (Vec<u8>, Vec<u8>) = conn
            .query_row("SELECT seed, key_id FROM device WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or_else(|| StoreError::Corrupt {
                path: db_path.clone(),
                why: "the device key is missing".into(),
            })?;
        let seed = Zeroizing::new(seed);
        let device = DeviceKey::from_parts(&seed, &key_id).map_err(StoreError::from)?;
        let blobs = BlobStore::new(dir.join(BLOBS_DIR));
        let blob_key = subkey(vault_key, BLOB_KEY_PURPOSE);
        let head_key = subkey(vault_key, super::head::HEAD_KEY_PURPOSE);
        // Before anything is swept or written: a database put back to an
        // earlier copy is refused, so the newer evidence it does not know of
        // is never taken for orphans.
        check_head(&conn, dir, space, &head_key, &vault_id, &device, &db_path)?;
        if alone {
            let referenced: HashSet<String> = conn
                .prepare("SELECT blob FROM items")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let quarantine = dir.join(super::QUARANTINE_DIR);
            blobs.sweep(&referenced, &quarantine, |path| {
                let mut header = [0u8; crate::crypto::stream::HEADER_LEN];
                File::open(path)
                    .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
                    .is_ok_and(|()| crate::crypto::stream::owned_by(&blob_key, &header))
            })?;
            // Others may now share the vault; the sweep is done.
            lock_file
                .lock_shared()
                .map_err(io_err(&dir.join(LOCK_FILE)))?;
        }
        let mut vault = Vault {
            dir: dir.to_path_buf(),
            origin: meta(&conn, "origin")?,
            actor: meta(&conn, "collector")?,
            conn,
            blobs,
            blob_key,
            head_key,
            vault_id,
            device,
            space,
            discarded: false,
            _lock: lock_file,
        };
        let other = 1 - space.min(1);
        if !dir.join(super::layout::head_file(other)).exists() {
            super::head::write_filler(dir, other)?;
        }
        same_times(dir, space);
        // Events left unsigned by a process that was killed get signed now.
        vault.checkpoint()?;
        let actor = vault.actor.clone();
        vault.record(NewEvent::vault(Action::VaultOpened, &actor))?;
        Ok(vault)
    }
}

/// Refuses a database whose log is behind, or has another history than, the
/// tree head sealed in the head file.
fn check_head(
    conn: &Connection,
    dir: &Path,
    space: u8,
    key: &SecretKey,
    vault_id: &str,
    device: &DeviceKey,
    db_path: &Path,
) -> Result<(), VaultError> {
    let written = meta_opt(conn, "head_file")?.is_some();
    let head = match super::head::read(dir, space, key, vault_id) {
        Ok(Some(h)) => h,
        // Before this vault first sealed its head, the file is filler.
        Ok(None) | Err(_) if !written => return Ok(()),
        Ok(None) => {
            return Err(VaultError::Store(StoreError::Corrupt {
                path: dir.join(super::layout::head_file(space)),
                why: "the sealed tree head is missing".into(),
            }));
        }
        Err(e) => return Err(e),
    };
    let at: Option<String> = conn
        .query_row(
            "SELECT note FROM checkpoints WHERE size = ?1",
            [head.size],
            |r| r.get(0),
        )
        .optional()?;
    let matches = at
        .as_deref()
        .and_then(|n| crate::custody::checkpoint::Checkpoint::verify(n, &device.public()).ok())
        .is_some_and(|cp| cp.root == head.root);
    if matches {
        return Ok(());
    }
    let latest = crate::custody::log::latest_checkpoint(conn)?.map_or(0, |(s, _)| s);
    let found = if at.is_some() {
        format!("holds another history at event {}", head.size)
    } else {
        format!("was signed only up to event {latest}")
    };
    Err(VaultError::RolledBack {
        db: db_path.to_path_buf(),
        sealed: head.size,
        found,
    })
}

fn create_private_dir(dir: &Path) -> Result<(), VaultError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err(dir))?;
    }
    Ok(())
}

/// Creates and fills a vault database: schema, `meta` rows, a new device
/// key and the `vault_created` event.
pub(super) fn init_db(
    path: &Path,
    vault_key: &SecretKey,
    meta_rows: &[(&str, &str)],
    collector: &str,
) -> Result<(Connection, DeviceKey), VaultError> {
    let mut conn = db::open(path, &subkey(vault_key, DB_KEY_PURPOSE), true)?;
    let device = DeviceKey::generate();
    let now = custody::log::now_utc();
    let tx = conn.transaction()?;
    for (k, v) in meta_rows.iter().chain([&("created_at", now.as_str())]) {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![k, v],
        )?;
    }
    let public = device.public();
    tx.execute(
        "INSERT INTO device (id, seed, key_id, public, created_at) VALUES (1, ?1, ?2, ?3, ?4)",
        params![
            &device.seed()[..],
            &public.key_id[..],
            public.key.as_bytes(),
            now
        ],
    )?;
    custody::log::append(
        &tx,
        &public,
        NewEvent::vault(Action::VaultCreated, collector).with_details(serde_json::json!({
            "device_key": public.to_minisign().lines().nth(1).unwrap_or_default(),
        })),
    )?;
    tx.commit()?;
    Ok((conn, device))
}

/// Writes `size` random bytes to a new file at `path` and syncs them.
fn filler_file(path: &Path, size: u64) -> Result<(), VaultError> {
    let mut f = File::create(path).map_err(io_err(path))?;
    crate::store::write_random(&mut f, size).map_err(io_err(path))
}

/// Gives the other files of the folder the modification time of this
/// space's database, so the times never tell which of the two databases is
/// in use, nor that the key slots changed (a passphrase change, a decoy).
pub(super) fn same_times(dir: &Path, space: u8) {
    let here = dir.join(db_file(space));
    let Ok(t) = fs::metadata(&here).and_then(|m| m.modified()) else {
        return;
    };
    let others = [
        db_file(1 - space.min(1)),
        super::layout::HEAD_FILES[0],
        super::layout::HEAD_FILES[1],
        super::layout::KEYSLOTS_FILE,
        super::layout::GUARD_FILE,
    ];
    for name in others {
        if let Ok(f) = OpenOptions::new().write(true).open(dir.join(name)) {
            let _ = f.set_modified(t);
        }
    }
}
