//! Reading a bundle from a folder, a `.zip`, or an age-encrypted tar stream,
//! refusing anything unsafe before a byte of it is used: absolute or `..`
//! paths, links, device files, duplicate names, oversized files, zip bombs.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use super::BundleError;

/// Called for each regular file of a bundle: its path, size and content.
pub type Visitor<'a> = dyn FnMut(&str, u64, &mut dyn Read) -> Result<(), BundleError> + 'a;

/// Upper bounds on what a bundle may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single file.
    pub max_file: u64,
    /// Largest total of all files.
    pub max_total: u64,
    /// Most entries.
    pub max_entries: usize,
    /// Highest compression ratio accepted for an entry over 1 MiB.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file: 64 << 30,
            max_total: 256 << 30,
            max_entries: 200_000,
            max_ratio: 1000,
        }
    }
}

/// Where a bundle is.
pub enum Source {
    /// An unpacked bag folder.
    Folder(PathBuf),
    /// A `.zip` holding one bag folder.
    Zip(PathBuf),
    /// An age-encrypted tar stream holding one bag folder.
    Encrypted {
        /// The `.age` file.
        path: PathBuf,
        /// Identities that may decrypt it.
        identities: Vec<age::x25519::Identity>,
    },
    /// A tar stream in consecutive age files, as a delivery's parts are
    /// downloaded into one file: each decrypts on its own.
    Parts {
        /// The file of parts.
        path: PathBuf,
        /// Each part's size, in order.
        sizes: Vec<u64>,
        /// Identities that may decrypt them.
        identities: Vec<age::x25519::Identity>,
    },
}

impl Source {
    /// Recognises a bundle by what it is on disk; `.age` needs an identity file.
    pub fn open(path: &Path, identity: Option<&Path>) -> Result<Source, BundleError> {
        let meta = fs::symlink_metadata(path).map_err(|e| BundleError::io(path, e))?;
        if meta.is_dir() {
            return Ok(Source::Folder(path.to_path_buf()));
        }
        if !meta.is_file() {
            return Err(BundleError::Unsafe(format!(
                "{} is not a file or folder",
                path.display()
            )));
        }
        let mut magic = [0u8; 21];
        let n = File::open(path)
            .and_then(|mut f| crate::crypto::stream::read_full(&mut f, &mut magic))
            .map_err(|e| BundleError::io(path, e))?;
        let magic = &magic[..n];
        if magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06") {
            return Ok(Source::Zip(path.to_path_buf()));
        }
        if magic.starts_with(b"age-encryption.org/v1") {
            let Some(id_path) = identity else {
                return Err(BundleError::NeedsIdentity(path.to_path_buf()));
            };
            return Ok(Source::Encrypted {
                path: path.to_path_buf(),
                identities: read_identities(id_path)?,
            });
        }
        Err(BundleError::NotABundle(path.to_path_buf()))
    }

    /// Consecutive age files of `sizes` bytes in `path`, to decrypt with the
    /// identities in the file `identity`.
    pub fn parts(path: &Path, sizes: Vec<u64>, identity: &Path) -> Result<Source, BundleError> {
        Ok(Source::Parts {
            path: path.to_path_buf(),
            sizes,
            identities: read_identities(identity)?,
        })
    }

    /// A short name for the custody log (the file or folder name).
    pub fn name(&self) -> String {
        let p = match self {
            Source::Folder(p)
            | Source::Zip(p)
            | Source::Encrypted { path: p, .. }
            | Source::Parts { path: p, .. } => p,
        };
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Names of the files at the bag's root, where they can be listed without
    /// reading the bundle (not for an encrypted stream).
    pub fn root_names(&self) -> Vec<String> {
        match self {
            Source::Folder(root) => fs::read_dir(root)
                .map(|rd| {
                    rd.flatten()
                        .filter_map(|e| e.file_name().to_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            Source::Zip(path) => File::open(path)
                .ok()
                .and_then(|f| zip::ZipArchive::new(BufReader::new(f)).ok())
                .map(|z| {
                    z.file_names()
                        .flatten()
                        .filter_map(|n| {
                            let mut parts = n.trim_start_matches("./").split('/');
                            let (_top, name, more) = (parts.next(), parts.next(), parts.next());
                            name.filter(|_| more.is_none()).map(String::from)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Source::Encrypted { .. } | Source::Parts { .. } => Vec::new(),
        }
    }

    /// Calls `visit(path, size, reader)` for every regular file, paths relative
    /// to the bag's root folder, after checking each entry is safe.
    pub fn walk(&self, limits: &Limits, visit: &mut Visitor<'_>) -> Result<(), BundleError> {
        let mut guard = Guard::new(*limits);
        match self {
            Source::Folder(root) => walk_folder(root, root, &mut guard, visit),
            Source::Zip(path) => walk_zip(path, &mut guard, visit),
            Source::Encrypted { path, identities } => {
                let file = File::open(path).map_err(|e| BundleError::io(path, e))?;
                let decryptor = age::Decryptor::new_buffered(BufReader::new(file))
                    .map_err(|e| BundleError::Decrypt(e.to_string()))?;
                let reader = decryptor
                    .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
                    .map_err(|e| BundleError::Decrypt(e.to_string()))?;
                walk_tar(reader, &mut guard, visit)
            }
            Source::Parts {
                path,
                sizes,
                identities,
            } => {
                let mut reader = PartsReader {
                    path,
                    next: sizes
                        .iter()
                        .scan(0u64, |offset, &size| {
                            let at = *offset;
                            *offset = offset.saturating_add(size);
                            Some((at, size))
                        })
                        .collect(),
                    identities,
                    current: None,
                };
                // The first part decides whether the delivery is for these
                // identities at all (a remote may hold others'): that is not
                // damage. A later part that does not decrypt is.
                reader
                    .open_next()
                    .map_err(|e| BundleError::Decrypt(e.to_string()))?;
                walk_tar(&mut reader, &mut guard, visit)?;
                // After the archive's end, only its zero blocks: parts added
                // after the last (any holder of the recipient's public key
                // can make an age file) are refused, not ignored.
                let mut rest = [0u8; 64 << 10];
                let mut after = 0usize;
                loop {
                    let n = reader
                        .read(&mut rest)
                        .map_err(|e| BundleError::Archive(e.to_string()))?;
                    if n == 0 {
                        break;
                    }
                    after += n;
                    if after > 10240 || rest[..n].iter().any(|b| *b != 0) {
                        return Err(BundleError::Unsafe(
                            "the delivery holds more after the end of its bundle".into(),
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

/// The plain stream of consecutive age files in one file.
struct PartsReader<'a> {
    path: &'a Path,
    /// (offset, size) of the parts still to read.
    next: std::collections::VecDeque<(u64, u64)>,
    identities: &'a [age::x25519::Identity],
    current: Option<age::stream::StreamReader<BufReader<io::Take<File>>>>,
}

impl PartsReader<'_> {
    /// Opens the next part; false when there is none.
    fn open_next(&mut self) -> Result<bool, age::DecryptError> {
        let Some((offset, size)) = self.next.pop_front() else {
            return Ok(false);
        };
        let mut f = File::open(self.path)?;
        io::Seek::seek(&mut f, io::SeekFrom::Start(offset))?;
        let decryptor = age::Decryptor::new_buffered(BufReader::new(f.take(size)))?;
        let reader = decryptor.decrypt(self.identities.iter().map(|i| i as &dyn age::Identity))?;
        self.current = Some(reader);
        Ok(true)
    }
}

impl Read for PartsReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(r) = &mut self.current {
                let n = r.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.current = None;
            }
            let opened = self
                .open_next()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("a part: {e}")))?;
            if !opened {
                return Ok(0);
            }
        }
    }
}

fn read_identities(path: &Path) -> Result<Vec<age::x25519::Identity>, BundleError> {
    let text = fs::read_to_string(path).map_err(|e| BundleError::io(path, e))?;
    let ids: Vec<age::x25519::Identity> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.parse().ok())
        .collect();
    if ids.is_empty() {
        return Err(BundleError::Decrypt(format!(
            "{} holds no age identity (AGE-SECRET-KEY-1...)",
            path.display()
        )));
    }
    Ok(ids)
}

/// Enforces names and bounds across one walk.
struct Guard {
    limits: Limits,
    seen: BTreeSet<String>,
    total: u64,
    top: Option<String>,
}

impl Guard {
    fn new(limits: Limits) -> Self {
        Guard {
            limits,
            seen: BTreeSet::new(),
            total: 0,
            top: None,
        }
    }

    /// Checks a name from an archive and strips the bag's top folder.
    fn name(&mut self, raw: &str) -> Result<String, BundleError> {
        let clean = safe_relative(raw)?;
        let (first, rest) = match clean.split_once('/') {
            Some((f, r)) => (f.to_string(), r.to_string()),
            None => {
                return Err(BundleError::Unsafe(format!(
                    "{raw:?} lies outside the bag's folder"
                )));
            }
        };
        match &self.top {
            None => self.top = Some(first),
            Some(t) if *t == first => {}
            Some(t) => {
                return Err(BundleError::Unsafe(format!(
                    "{raw:?} lies outside the bag folder {t:?}"
                )));
            }
        }
        self.admit(&rest)?;
        Ok(rest)
    }

    /// Checks an archive entry's name and size, then hands exactly its
    /// declared bytes to `visit`.
    fn visit(
        &mut self,
        raw: &str,
        size: u64,
        entry: impl Read,
        visit: &mut Visitor<'_>,
    ) -> Result<(), BundleError> {
        let name = self.name(raw)?;
        self.size(&name, size)?;
        let mut exact = Exact {
            inner: entry,
            left: size,
            name: name.clone(),
        };
        visit(&name, size, &mut exact)
    }

    fn admit(&mut self, name: &str) -> Result<(), BundleError> {
        if self.seen.len() >= self.limits.max_entries {
            return Err(BundleError::Unsafe(format!(
                "more than {} files",
                self.limits.max_entries
            )));
        }
        if !self.seen.insert(name.to_string()) {
            return Err(BundleError::Unsafe(format!("{name:?} appears twice")));
        }
        Ok(())
    }

    fn size(&mut self, name: &str, size: u64) -> Result<(), BundleError> {
        if size > self.limits.max_file {
            return Err(BundleError::Unsafe(format!(
                "{name:?} is larger than the limit of {} bytes",
                self.limits.max_file
            )));
        }
        self.total = self.total.saturating_add(size);
        if self.total > self.limits.max_total {
            return Err(BundleError::Unsafe(format!(
                "the bundle is larger than the limit of {} bytes",
                self.limits.max_total
            )));
        }
        Ok(())
    }
}

/// Checks a relative path: no absolute path, no `..`, `.` or empty part, no
/// backslash or control character. Returns it without a leading `./`.
pub fn safe_relative(raw: &str) -> Result<String, BundleError> {
    let unsafe_name = |why: &str| Err(BundleError::Unsafe(format!("{raw:?}: {why}")));
    let trimmed = raw.strip_prefix("./").unwrap_or(raw).trim_end_matches('/');
    if trimmed.is_empty() {
        return unsafe_name("empty name");
    }
    if trimmed.starts_with('/') || trimmed.starts_with('~') {
        return unsafe_name("absolute path");
    }
    if trimmed.contains('\\') || trimmed.chars().any(char::is_control) {
        return unsafe_name("backslash or control character in the name");
    }
    if trimmed
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return unsafe_name("`..`, `.` or empty part in the path");
    }
    Ok(trimmed.to_string())
}

/// Reads exactly `declared` bytes, failing if the entry holds more or less.
struct Exact<R> {
    inner: R,
    left: u64,
    name: String,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut one = [0u8; 1];
            return match self.inner.read(&mut one)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} holds more than its declared size", self.name),
                )),
            };
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} is shorter than its declared size", self.name),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn walk_folder(
    root: &Path,
    dir: &Path,
    guard: &mut Guard,
    visit: &mut Visitor<'_>,
) -> Result<(), BundleError> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| BundleError::io(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| BundleError::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| BundleError::io(&path, e))?;
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let Some(rel) = rel.to_str() else {
            return Err(BundleError::Unsafe(format!(
                "{} has a name that is not UTF-8",
                path.display()
            )));
        };
        if meta.file_type().is_symlink() {
            return Err(BundleError::Unsafe(format!("{rel:?} is a symbolic link")));
        }
        if meta.is_dir() {
            walk_folder(root, &path, guard, visit)?;
        } else if meta.is_file() {
            let rel = safe_relative(rel)?;
            guard.admit(&rel)?;
            guard.size(&rel, meta.len())?;
            refuse_sparse(&rel, &meta)?;
            let file = File::open(&path).map_err(|e| BundleError::io(&path, e))?;
            let mut exact = Exact {
                inner: BufReader::with_capacity(256 * 1024, file),
                left: meta.len(),
                name: rel.clone(),
            };
            visit(&rel, meta.len(), &mut exact)?;
        } else {
            return Err(BundleError::Unsafe(format!(
                "{rel:?} is a device, socket or pipe"
            )));
        }
    }
    Ok(())
}

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;

fn walk_zip(path: &Path, guard: &mut Guard, visit: &mut Visitor<'_>) -> Result<(), BundleError> {
    let file = File::open(path).map_err(|e| BundleError::io(path, e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| BundleError::Archive(e.to_string()))?;
    if zip.len() > guard.limits.max_entries {
        return Err(BundleError::Unsafe(format!(
            "more than {} files",
            guard.limits.max_entries
        )));
    }
    // The central directory keeps one entry per name; `unzip` and other
    // readers may show another of the same name than the one checked here.
    if zip.has_duplicate_names() {
        return Err(BundleError::Unsafe(
            "the zip names one file twice; readers disagree on which copy is the file".into(),
        ));
    }
    let archive_len = fs::metadata(path)
        .map_err(|e| BundleError::io(path, e))?
        .len();
    refuse_overlaps(&zip, archive_len, &guard.limits)?;
    for i in 0..zip.len() {
        let entry = zip
            .by_index(i)
            .map_err(|e| BundleError::Archive(e.to_string()))?;
        let raw = String::from_utf8(entry.name_raw().to_vec())
            .map_err(|_| BundleError::Unsafe("a file name is not UTF-8".into()))?;
        let kind = entry.unix_mode().map(|m| m & S_IFMT);
        if entry.is_dir() || kind == Some(S_IFDIR) {
            safe_relative(&raw)?;
            continue;
        }
        // A mode without a file type (as some zip writers leave it) is a
        // regular file, as `unzip` takes it.
        if kind.is_some_and(|k| k != S_IFREG && k != 0) {
            return Err(BundleError::Unsafe(format!(
                "{raw:?} is a link or special file"
            )));
        }
        let size = entry.size();
        if size > (1 << 20)
            && entry
                .compressed_size()
                .saturating_mul(guard.limits.max_ratio)
                < size
        {
            return Err(BundleError::Unsafe(format!(
                "{raw:?} expands more than {}:1 (a zip bomb)",
                guard.limits.max_ratio
            )));
        }
        guard.visit(&raw, size, entry, visit)?;
    }
    Ok(())
}

/// Sizes above which a file mostly made of holes is refused.
const SPARSE_FROM: u64 = 256 << 20;

/// Refuses a large file that is mostly holes: no bundle a sender wrote or a
/// copy carried is, and hashing terabytes of nothing would take hours.
/// (Compressed file systems report fewer blocks too, but not 64 times fewer
/// for evidence, which is mostly compressed already.)
fn refuse_sparse(rel: &str, meta: &fs::Metadata) -> Result<(), BundleError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let allocated = meta.blocks().saturating_mul(512);
        if meta.len() > SPARSE_FROM && allocated.saturating_mul(64) < meta.len() {
            return Err(BundleError::Unsafe(format!(
                "{rel:?} is a sparse file: {} bytes long with {allocated} stored",
                meta.len()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (rel, meta);
    Ok(())
}

/// Fixed part of a zip entry's local header, before its name and extra field.
const LOCAL_HEADER: u64 = 30;

/// Refuses a zip whose entries share or overlap their bytes (many names
/// pointing at one compressed stream: a bomb that multiplies a small file),
/// run past the central directory, or declare more bytes in all than the
/// limits allow — all from the central directory, before inflating anything.
fn refuse_overlaps(
    zip: &zip::ZipArchive<BufReader<File>>,
    archive_len: u64,
    limits: &Limits,
) -> Result<(), BundleError> {
    let mut spans = Vec::with_capacity(zip.len());
    let mut declared = 0u64;
    let mut compressed = 0u64;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_data(i)
            .map_err(|e| BundleError::Archive(e.to_string()))?;
        let start = entry.header_start();
        let end = start
            .saturating_add(LOCAL_HEADER)
            .saturating_add(entry.name_raw().len() as u64)
            .saturating_add(entry.compressed_size());
        spans.push((start, end, i));
        declared = declared.saturating_add(entry.size());
        compressed = compressed.saturating_add(entry.compressed_size());
    }
    spans.sort_unstable();
    let name = |i: usize| {
        zip.by_index_data(i)
            .ok()
            .map(|e| String::from_utf8_lossy(e.name_raw()).into_owned())
            .unwrap_or_default()
    };
    for pair in spans.windows(2) {
        let ((_, end, a), (start, _, b)) = (pair[0], pair[1]);
        if start < end {
            return Err(BundleError::Unsafe(format!(
                "zip entries {:?} and {:?} overlap (a zip bomb)",
                name(a),
                name(b)
            )));
        }
    }
    let directory = zip.central_directory_start().min(archive_len);
    if let Some(&(_, end, i)) = spans.last()
        && end > directory
    {
        return Err(BundleError::Unsafe(format!(
            "zip entry {:?} runs into the central directory",
            name(i)
        )));
    }
    if declared > limits.max_total {
        return Err(BundleError::Unsafe(format!(
            "the zip declares {declared} bytes, more than the limit of {}",
            limits.max_total
        )));
    }
    // Casefile stores its zips uncompressed; other tools deflate, but no
    // real bag shrinks a thousandfold overall.
    if declared > (1 << 20) && compressed.saturating_mul(limits.max_ratio) < declared {
        return Err(BundleError::Unsafe(format!(
            "the zip expands more than {}:1 overall (a zip bomb)",
            limits.max_ratio
        )));
    }
    Ok(())
}

fn walk_tar(
    reader: impl Read,
    guard: &mut Guard,
    visit: &mut Visitor<'_>,
) -> Result<(), BundleError> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| BundleError::Archive(e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| BundleError::Archive(e.to_string()))?;
        let raw = String::from_utf8(entry.path_bytes().to_vec())
            .map_err(|_| BundleError::Unsafe("a file name is not UTF-8".into()))?;
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                safe_relative(&raw)?;
                continue;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            _ => {
                return Err(BundleError::Unsafe(format!(
                    "{raw:?} is a link or special file"
                )));
            }
        }
        let size = entry.size();
        guard.visit(&raw, size, entry, visit)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_relative;

    #[test]
    fn hostile_names_are_refused() {
        for bad in [
            "/etc/passwd",
            "../x",
            "bag/../../x",
            "bag/./x",
            "bag//x",
            "~/x",
            "a\\b",
            "a\nb",
            "",
        ] {
            assert!(safe_relative(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            safe_relative("./bag/data/x y.txt").unwrap(),
            "bag/data/x y.txt"
        );
    }
}
