//! Encrypted blob files under `blobs/`, named at random.
//!
//! A blob is first written under a `.tmp` name, synced and renamed; only then
//! does the database commit the item that points to it. Anything in the folder
//! that no item references is an orphan from an interrupted write and is swept.

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

    /// Opens a committed blob for reading.
    pub fn open(&self, name: &str) -> Result<File, StoreError> {
        let path = self.path(name)?;
        File::open(&path).map_err(|e| match e.kind() {
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

    /// Commits several blobs at once: their data is synced concurrently (the
    /// file system joins the syncs), then each is renamed, then the folder is
    /// synced once. On error every blob of the batch is removed.
    pub fn commit_all(&self, mut pending: Vec<PendingBlob>) -> Result<Vec<String>, StoreError> {
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
        let mut names = Vec::with_capacity(pending.len());
        for p in &mut pending {
            p.file.take();
            let name = p.name.clone();
            fs::rename(&p.tmp, self.dir.join(&name)).map_err(|e| StoreError::io(&p.tmp, e))?;
            p.tmp = PathBuf::new();
            names.push(name);
        }
        if let Err(e) = sync_dir(&self.dir) {
            names
                .iter()
                .for_each(|n| drop(fs::remove_file(self.dir.join(n))));
            return Err(StoreError::io(&self.dir, e));
        }
        Ok(names)
    }

    /// Deletes temporary files, and blobs that no item references and that
    /// `ours` recognises; returns how many.
    pub fn sweep(
        &self,
        referenced: &HashSet<String>,
        ours: impl Fn(&Path) -> bool,
    ) -> Result<usize, StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        let mut removed = 0;
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&self.dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let orphan = match name.strip_suffix(TMP_SUFFIX) {
                Some(base) => valid_name(base),
                // Another vault may share the folder: only our own blobs go.
                None => valid_name(name) && !referenced.contains(name) && ours(&entry.path()),
            };
            if orphan {
                let path = entry.path();
                fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                removed += 1;
            }
        }
        Ok(removed)
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

    /// Syncs the data, renames the blob to its final name and syncs the folder.
    pub fn commit(mut self) -> Result<String, StoreError> {
        let file = self.file.take();
        let result = (|| {
            if let Some(f) = file {
                f.sync_all()?;
            }
            fs::rename(&self.tmp, self.dir.join(&self.name))?;
            sync_dir(&self.dir)
        })();
        match result {
            Ok(()) => {
                self.tmp = PathBuf::new();
                Ok(std::mem::take(&mut self.name))
            }
            Err(e) => Err(StoreError::io(&self.tmp, e)),
        }
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
    fn commit_sweep_and_drop() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::new(dir.path());
        let mut kept = store.begin().unwrap();
        kept.file().write_all(b"x").unwrap();
        let kept = kept.commit().unwrap();
        let orphan = store.begin().unwrap().commit().unwrap();
        {
            let mut dropped = store.begin().unwrap();
            dropped.file().write_all(b"y").unwrap();
        }
        let leftover = store.begin().unwrap();
        std::mem::forget(leftover); // as if the process died mid-write
        fs::write(dir.path().join("unrelated.txt"), b"z").unwrap();
        let removed = store
            .sweep(&HashSet::from([kept.clone()]), |_| true)
            .unwrap();
        assert_eq!(removed, 2);
        assert!(store.open(&kept).is_ok());
        assert!(store.open(&orphan).is_err());
        assert!(dir.path().join("unrelated.txt").exists());
        assert!(store.path("../etc/passwd").is_err());
    }
}
