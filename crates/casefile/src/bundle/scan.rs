//! One pass over a bundle: every file's size and digests, and the text of the
//! small files verification needs.

use std::collections::{BTreeMap, BTreeSet};

use super::BundleError;
use super::digest::{Alg, hash_stream};
use super::source::{Limits, Source};
use crate::Task;

/// Files whose content verification reads (besides the tag files at the root).
pub const KEPT: &[&str] = &[
    "data/case.json",
    "data/custody.jsonl",
    "data/proofs.json",
    "data/checkpoint.txt",
    "data/device.pub",
];
const MAX_KEPT: u64 = 64 << 20;

/// What one file of a bundle holds.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    /// Size in bytes.
    pub size: u64,
    /// Digests, by algorithm.
    pub digests: BTreeMap<Alg, String>,
    /// The bytes, for tag files and the files in [`KEPT`].
    pub content: Option<Vec<u8>>,
}

/// Every file of a bundle, by path relative to the bag's root.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Files by path.
    pub files: BTreeMap<String, FileFacts>,
}

fn manifest_alg(name: &str) -> Option<Alg> {
    let stem = name
        .strip_prefix("tagmanifest-")
        .or_else(|| name.strip_prefix("manifest-"))?;
    Alg::from_name(stem.strip_suffix(".txt")?)
}

/// Reads the whole bundle once.
pub fn scan(source: &Source, limits: &Limits, task: &Task<'_>) -> Result<Scanned, BundleError> {
    // SHA-256 and SHA-512 always (what Casefile writes); others as manifests
    // name them. In a stream, a manifest adds its algorithm for what follows,
    // and Casefile writes its tag files first.
    let mut algs: BTreeSet<Alg> = BTreeSet::from([Alg::Sha256, Alg::Sha512]);
    algs.extend(source.root_names().iter().filter_map(|n| manifest_alg(n)));
    let mut out = Scanned::default();
    source.walk(limits, &mut |name, size, reader| {
        if task.cancelled() {
            return Err(BundleError::Cancelled);
        }
        let root_file = !name.contains('/');
        if root_file && let Some(a) = manifest_alg(name) {
            algs.insert(a);
        }
        let keep = (root_file || KEPT.contains(&name)) && size <= MAX_KEPT;
        let list: Vec<Alg> = algs.iter().copied().collect();
        let mut content = keep.then(|| Vec::with_capacity(size as usize));
        let (digests, _) = hash_stream(reader, size, &list, content.as_mut(), &|n| task.advance(n))
            .map_err(|e| BundleError::Archive(format!("{name}: {e}")))?;
        out.files.insert(
            name.to_string(),
            FileFacts {
                size,
                digests: digests.into_iter().collect(),
                content,
            },
        );
        Ok(())
    })?;
    Ok(out)
}
