//! One pass over a bundle: every file's size and digests, and the text of the
//! small files verification needs, each read whole only within its bound
//! (see [`format::READ_WHOLE`]) and all of them within one total, so no
//! bundle can make verification hold more than a few hundred MiB.

use std::collections::{BTreeMap, BTreeSet};

use super::BundleError;
use super::digest::{Alg, HashPool};
use super::format;
use super::source::{Limits, Source};
use crate::Task;

/// Most bytes of a manifest or tag manifest made by another tool.
const MAX_FOREIGN_MANIFEST: u64 = 64 << 20;
/// How far the payload may exceed twice what bag-info.txt declares before
/// reading stops.
const PAYLOAD_SLACK: u64 = 64 << 20;
/// Most bytes of `fetch.txt`, read only to report it.
const MAX_FETCH: u64 = 1 << 20;

/// What one file of a bundle holds.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    /// Size in bytes.
    pub size: u64,
    /// Digests, by algorithm.
    pub digests: BTreeMap<Alg, String>,
    /// The bytes, for the files read whole.
    pub content: Option<Vec<u8>>,
}

/// Every file of a bundle, by path relative to the bag's root.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Files by path.
    pub files: BTreeMap<String, FileFacts>,
    /// Files that would be read whole but are larger than their bound;
    /// their content is absent, and verification names them.
    pub oversized: Vec<(String, u64)>,
}

impl Scanned {
    /// The text of a file read whole, if it is valid UTF-8.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.files
            .get(name)
            .and_then(|f| f.content.as_deref())
            .and_then(|b| std::str::from_utf8(b).ok())
    }
}

fn manifest_alg(name: &str) -> Option<Alg> {
    let stem = name
        .strip_prefix("tagmanifest-")
        .or_else(|| name.strip_prefix("manifest-"))?;
    Alg::from_name(stem.strip_suffix(".txt")?)
}

/// The most bytes of `name` to read whole, or None when it is only hashed.
fn read_bound(name: &str) -> Option<u64> {
    if let Some(limit) = format::read_whole_limit(name) {
        return Some(limit);
    }
    if name.contains('/') {
        return None;
    }
    if manifest_alg(name).is_some() {
        return Some(MAX_FOREIGN_MANIFEST);
    }
    (name == format::FETCH).then_some(MAX_FETCH)
}

/// The payload bytes bag-info.txt declares (`Payload-Oxum: bytes.files`).
fn declared_payload(bag_info: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(bag_info).ok()?;
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("Payload-Oxum"))
        .and_then(|(_, v)| v.trim().split_once('.'))
        .and_then(|(bytes, _)| bytes.parse().ok())
}

/// Fails a read once the task is cancelled.
struct Watched<'a, 'b> {
    inner: &'a mut dyn std::io::Read,
    task: &'a Task<'b>,
}

impl std::io::Read for Watched<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Not ErrorKind::Interrupted: readers retry those, forever.
        if self.task.cancelled() {
            return Err(std::io::Error::other("cancelled"));
        }
        self.inner.read(buf)
    }
}

/// Reads the whole bundle once.
pub fn scan(source: &Source, limits: &Limits, task: &Task<'_>) -> Result<Scanned, BundleError> {
    // SHA-256 and SHA-512 always (what Casefile writes); others as manifests
    // name them. In a stream, a manifest adds its algorithm for what follows,
    // and Casefile writes its tag files first.
    let mut algs: BTreeSet<Alg> = BTreeSet::from([Alg::Sha256, Alg::Sha512]);
    algs.extend(source.root_names().iter().filter_map(|n| manifest_alg(n)));
    let mut out = Scanned::default();
    let mut kept_total = 0u64;
    let mut json_total = 0u64;
    let mut payload_total = 0u64;
    let mut payload_bound: Option<u64> = None;
    let mut pool = HashPool::new();
    let mut streams = Vec::new();
    source.walk(limits, &mut |name, size, reader| {
        if task.cancelled() {
            return Err(BundleError::Cancelled);
        }
        let root_file = !name.contains('/');
        if root_file && let Some(a) = manifest_alg(name) {
            algs.insert(a);
        }
        if name.starts_with("data/") {
            payload_total = payload_total.saturating_add(size);
            if let Some(bound) = payload_bound
                && payload_total > bound
            {
                return Err(BundleError::Unsafe(format!(
                    "the payload holds far more than the bytes its Payload-Oxum declares (more than {bound})"
                )));
            }
        }
        let keep = match read_bound(name) {
            Some(bound) if size > bound => {
                if root_file {
                    return Err(BundleError::Unsafe(format!(
                        "{name} is {size} bytes, more than the {bound} a tag file may hold"
                    )));
                }
                out.oversized.push((name.to_string(), bound));
                false
            }
            Some(_) => {
                kept_total += size;
                if kept_total > format::READ_WHOLE_TOTAL {
                    return Err(BundleError::Unsafe(format!(
                        "the bundle's tag files and records hold more than {} MiB together",
                        format::READ_WHOLE_TOTAL >> 20
                    )));
                }
                true
            }
            None => false,
        };
        let list: Vec<Alg> = algs.iter().copied().collect();
        let mut content = keep.then(|| Vec::with_capacity(size as usize));
        // Checked block by block, so a lock or a cancel stops even one huge file.
        let mut watched = Watched { inner: reader, task };
        let (stream, _) = pool
            .hash(&mut watched, size, &list, content.as_mut(), &|n| task.advance(n))
            .map_err(
                |e| {
                    if task.cancelled() {
                        BundleError::Cancelled
                    } else {
                        BundleError::Archive(format!("{name}: {e}"))
                    }
                },
            )?;
        if let Some(bytes) = &content
            && (name.ends_with(".json") || name.ends_with(".jsonl"))
        {
            json_total = json_total.saturating_add(format::json_values(bytes));
            if json_total > format::MAX_JSON_VALUES {
                return Err(BundleError::Unsafe(format!(
                    "the bundle's records hold more than {} JSON values together, more than can \
                     be checked in bounded memory",
                    format::MAX_JSON_VALUES
                )));
            }
        }
        if name == format::BAG_INFO
            && let Some(bytes) = &content
        {
            // Slack, so a bag altered by a few files is still judged and its
            // failures named; a bag many times larger than it says is refused.
            payload_bound =
                declared_payload(bytes).map(|d| d.saturating_mul(2).saturating_add(PAYLOAD_SLACK));
        }
        streams.push((stream, name.to_string()));
        out.files.insert(
            name.to_string(),
            FileFacts {
                size,
                digests: BTreeMap::new(),
                content,
            },
        );
        Ok(())
    })?;
    let mut digests = pool
        .finish()
        .map_err(|e| BundleError::Archive(e.to_string()))?;
    for (stream, name) in streams {
        if let (Some(found), Some(facts)) = (digests.remove(&stream), out.files.get_mut(&name)) {
            facts.digests = found.into_iter().collect();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(read_bound("bagit.txt"), Some(64 << 10));
        assert_eq!(read_bound("manifest-md5.txt"), Some(MAX_FOREIGN_MANIFEST));
        assert_eq!(read_bound("data/case.json"), Some(48 << 20));
        assert_eq!(read_bound("data/evidence/x"), None);
        assert_eq!(read_bound("junk.bin"), None);
        assert_eq!(
            declared_payload(b"Bagging-Date: x\nPayload-Oxum: 1234.5\n"),
            Some(1234)
        );
        assert_eq!(declared_payload(b"Payload-Oxum: x.5\n"), None);
    }
}
