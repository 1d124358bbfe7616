//! A sealed bag ready to be written: its generated files (tag files, seal,
//! documents, tokens) by value and in order, and its items by id. Everything
//! that makes two writes differ (the seal's time, the custody record of the
//! export, the time-stamp tokens) is fixed in it, so writing one recipe twice
//! gives the same bytes: a delivery keeps it in the vault, and a resumed send
//! writes the same bundle again.

use serde::{Deserialize, Serialize};

use super::BundleError;
use super::export::{Exported, Watched};
use super::sink::BagSink;
use crate::pipeline::Prefetch;
use crate::vault::CheckedReader;
use crate::{Task, Vault};

/// A file the export generated, by its path in the bag.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Generated {
    pub(crate) path: String,
    /// Hex, so a recipe is plain JSON.
    pub(crate) hex: String,
}

/// An item the bag carries, read from the vault when written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Carried {
    pub(crate) id: String,
    pub(crate) path: String,
    pub(crate) size: u64,
}

/// A sealed bag, ready to be written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recipe {
    /// The top folder inside an archive.
    pub(crate) top: String,
    /// Modification time of every archive entry (the seal's time).
    pub(crate) mtime: u64,
    pub(crate) files: Vec<Generated>,
    pub(crate) items: Vec<Carried>,
    /// What the export reports (its hash once written).
    pub summary: Exported,
}

impl Recipe {
    /// Every text the bundle holds besides evidence, and the evidence files'
    /// names: what consent is checked against.
    pub(crate) fn texts(&self) -> impl Iterator<Item = (String, String)> + '_ {
        let files = self.files.iter().map(|g| {
            let bytes = hex::decode(&g.hex).unwrap_or_default();
            (g.path.clone(), String::from_utf8_lossy(&bytes).into_owned())
        });
        files.chain(
            self.items
                .iter()
                .map(|c| ("the name of an evidence file".to_string(), c.path.clone())),
        )
    }

    /// Writes the bag into `sink`: generated files, then each item checked
    /// against the hashes fixed at ingest as it is decrypted.
    pub(crate) fn write_into(
        &self,
        vault: &Vault,
        sink: &mut dyn BagSink,
        task: &Task<'_>,
        io_err: &dyn Fn(std::io::Error) -> BundleError,
    ) -> Result<(), BundleError> {
        for g in &self.files {
            let bytes = hex::decode(&g.hex).map_err(|_| {
                BundleError::Input(format!("the kept bundle's {} is damaged", g.path))
            })?;
            sink.put(&g.path, bytes.len() as u64, &mut bytes.as_slice())
                .map_err(io_err)?;
        }
        for c in &self.items {
            let item = vault.item(&c.id)?;
            if item.size != c.size {
                return Err(BundleError::Input(format!(
                    "item {} changed since the bundle was sealed",
                    c.id
                )));
            }
            // Decryption runs ahead on its own thread; here the check of
            // every byte against the hashes fixed at ingest, and the write.
            let (_, reader) = vault.open_item(&item.id)?;
            let reader = Prefetch::new(reader, 256 * 1024, 8);
            let mut watched = Watched {
                inner: CheckedReader::new(&item, reader),
                task,
            };
            sink.put(&c.path, item.size, &mut watched).map_err(io_err)?;
        }
        Ok(())
    }
}
