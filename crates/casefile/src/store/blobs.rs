//! Encrypted blob files under `blobs/`, named at random.
//!
//! A blob is written under a `.tmp` name and synced; the database commits the
//! item that points to its final name; only then is it renamed. So after any
//! crash a `.tmp` file is either unreferenced (never committed: removed) or
//! referenced (committed: its rename is finished), and a complete blob that
//! no item references can only come from a database put back to an earlier
//! copy, or from damage: it is never deleted, but moved to `quarantine/`
//! beside `blobs/`, which `casefile check` reports.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use super::{StoreError, sync_dir};
use crate::crypto::random_bytes;

const TMP_SUFFIX: &str = ".tmp";

/// The folder of encrypted blobs.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

/// Blobs synced under their temporary names, waiting for the database to
/// commit the items that name them ([`Synced::finish`]) or not ([`Synced::abandon`]).
#[must_use]
pub struct Synced {
    dir: PathBuf,
    names: Vec<String>,
}

/// A blob being written under a temporary name; removed unless committed.
pub struct PendingBlob {
    name: String,
    tmp: PathBuf,
    dir: PathBuf,
    file: Option<File>,
}

/// True for names this store could have made: 32 lowercase hex digits.
fn valid_name(name: &str) -> bool {
    name.len() == 32
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl BlobStore {
    /// The blob folder inside a vault folder.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Creates the folder if needed.
    pub fn create_dir(&self) -> Result<(), StoreError> {
        fs::create_dir_all(&self.dir).map_err(|e| StoreError::io(&self.dir, e))
    }

    /// Starts a new blob under a fresh random name.
    pub fn begin(&self) -> Result<PendingBlob, StoreError> {
        let name = hex::encode(random_bytes::<16>());
        let tmp = self.dir.join(format!("{name}{TMP_SUFFIX}"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| StoreError::io(&tmp, e))?;
        Ok(PendingBlob {
            name,
            tmp,
            dir: self.dir.clone(),
            file: Some(file),
        })
    }

    /// The path of a committed blob; refuses names this store never makes.
    pub fn path(&self, name: &str) -> Result<PathBuf, StoreError> {
        if !valid_name(name) {
            return Err(StoreError::Corrupt {
                path: self.dir.clone(),
                why: format!("invalid blob name {name:?} in the database"),
            });
        }
        Ok(self.dir.join(name))
    }

    /// Opens a committed blob for reading (still under its temporary name
    /// when another process is between its commit and its rename).
    pub fn open(&self, name: &str) -> Result<File, StoreError> {
        let path = self.path(name)?;
        let found = File::open(&path).or_else(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                File::open(self.dir.join(format!("{name}{TMP_SUFFIX}"))).map_err(|_| e)
            }
            _ => Err(e),
        });
        found.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::Corrupt {
                path: path.clone(),
                why: "the encrypted file is missing".into(),
            },
            _ => StoreError::io(&path, e),
        })
    }

    /// Removes a committed blob (used when its item is rolled back).
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let path = self.path(name)?;
        fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))
    }

    /// Syncs several blobs at once (the file system joins the syncs); they
    /// keep their temporary names until [`Synced::finish`]. On error every
    /// blob of the batch is removed.
    pub fn sync_all(&self, mut pending: Vec<PendingBlob>) -> Result<Synced, StoreError> {
        let synced: Result<(), StoreError> = std::thread::scope(|s| {
            let handles: Vec<_> = pending
                .iter()
                .map(|p| {
                    let file = p.file.as_ref();
                    let tmp = &p.tmp;
                    s.spawn(move || {
                        file.map_or(Ok(()), |f| f.sync_all())
                            .map_err(|e| StoreError::io(tmp, e))
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(StoreError::io(
                        &self.dir,
                        std::io::Error::other("sync failed"),
                    ))
                })
            })
        });
        synced?;
        let names = pending
            .iter_mut()
            .map(|p| {
                p.file.take();
                // From here the temporary file outlives the handle: it is
                // renamed by finish or removed by abandon (or by the sweep).
                p.tmp = PathBuf::new();
                p.name.clone()
            })
            .collect();
        Ok(Synced {
            dir: self.dir.clone(),
            names,
        })
    }

    /// Removes a blob under either of its names (used when its item is
    /// rolled back).
    fn remove_any(&self, name: &str) {
        let _ = fs::remove_file(self.dir.join(name));
        let _ = fs::remove_file(self.dir.join(format!("{name}{TMP_SUFFIX}")));
    }

    /// After a crash or at open: finishes the rename of temporary files an
    /// item references, removes those none does (never committed), and moves
    /// complete blobs no item references and that `ours` recognises to
    /// `quarantine`. Returns what it did.
    pub fn sweep(
        &self,
        referenced: &HashSet<String>,
        quarantine: &Path,
        ours: impl Fn(&Path) -> bool,
    ) -> Result<Swept, StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        let mut done = Swept::default();
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&self.dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let path = entry.path();
            let io = |e| StoreError::io(&path, e);
            match name.strip_suffix(TMP_SUFFIX) {
                Some(base) if valid_name(base) && referenced.contains(base) => {
                    fs::rename(&path, self.dir.join(base)).map_err(io)?;
                    done.finished += 1;
                }
                Some(base) if valid_name(base) => {
                    fs::remove_file(&path).map_err(io)?;
                    done.removed += 1;
                }
                // Another vault may share the folder: only our own blobs move.
                None if valid_name(name) && !referenced.contains(name) && ours(&path) => {
                    fs::create_dir_all(quarantine).map_err(|e| StoreError::io(quarantine, e))?;
                    fs::rename(&path, quarantine.join(name)).map_err(io)?;
                    done.quarantined += 1;
                }
                _ => {}
            }
        }
        if done != Swept::default() {
            sync_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        }
        Ok(done)
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Committed blobs whose rename was finished.
    pub finished: usize,
    /// Temporary files of writes never committed, removed.
    pub removed: usize,
    /// Complete blobs no item references, moved to quarantine.
    pub quarantined: usize,
}

impl Synced {
    /// The blobs' final names, which the database records.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// After the database committed: gives each blob its final name and
    /// syncs the folder once. A crash before this is finished by the sweep.
    pub fn finish(self) -> Result<(), StoreError> {
        for n in &self.names {
            let tmp = self.dir.join(format!("{n}{TMP_SUFFIX}"));
            fs::rename(&tmp, self.dir.join(n)).map_err(|e| StoreError::io(&tmp, e))?;
        }
        sync_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))
    }

    /// When the database did not commit: removes the blobs.
    pub fn abandon(self) {
        let store = BlobStore::new(&self.dir);
        self.names.iter().for_each(|n| store.remove_any(n));
    }
}

impl PendingBlob {
    /// The name the blob will have once committed.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The open temporary file to write the ciphertext into.
    pub fn file(&mut self) -> &mut File {
        match self.file.as_mut() {
            Some(f) => f,
            None => unreachable!("file is only taken by commit, which consumes self"),
        }
    }

    /// The temporary path (for error messages).
    pub fn tmp_path(&self) -> &Path {
        &self.tmp
    }

    /// Syncs the data; the blob keeps its temporary name until the
    /// database commits (see [`Synced`]).
    pub fn sync(self) -> Result<Synced, StoreError> {
        let store = BlobStore::new(&self.dir);
        store.sync_all(vec![self])
    }
}

impl Drop for PendingBlob {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn sync_finish_sweep_and_drop() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::new(dir.path());
        let quarantine = dir.path().join("quarantine");
        let mut kept = store.begin().unwrap();
        kept.file().write_all(b"x").unwrap();
        let kept_sync = kept.sync().unwrap();
        let kept = kept_sync.names()[0].clone();
        // Readable while only synced, and after.
        assert!(store.open(&kept).is_ok());
        kept_sync.finish().unwrap();
        assert!(store.open(&kept).is_ok());
        // Committed to the database, then the process died before the rename.
        let crashed = store.begin().unwrap().sync().unwrap();
        let crashed_name = crashed.names()[0].clone();
        std::mem::forget(crashed);
        // Never committed: a synced and a half-written one.
        let never = store.begin().unwrap().sync().unwrap();
        std::mem::forget(never);
        std::mem::forget(store.begin().unwrap());
        {
            let mut dropped = store.begin().unwrap();
            dropped.file().write_all(b"y").unwrap();
        }
        // A complete blob nothing references (a database rolled back).
        let stray = store.begin().unwrap().sync().unwrap();
        let stray_name = stray.names()[0].clone();
        stray.finish().unwrap();
        fs::write(dir.path().join("unrelated.txt"), b"z").unwrap();
        let referenced = HashSet::from([kept.clone(), crashed_name.clone()]);
        let done = store.sweep(&referenced, &quarantine, |_| true).unwrap();
        assert_eq!(
            done,
            Swept {
                finished: 1,
                removed: 2,
                quarantined: 1
            }
        );
        assert!(dir.path().join(&crashed_name).is_file());
        assert!(quarantine.join(&stray_name).is_file());
        assert!(store.open(&kept).is_ok());
        assert!(dir.path().join("unrelated.txt").exists());
        assert!(store.path("../etc/passwd").is_err());
    }
}
