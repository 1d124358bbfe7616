//! Where an exported bag is written: a folder, one zip file, or an
//! age-encrypted tar stream. Each takes files one at a time, in order, with
//! their paths inside the bag; the folder builds every path from checked
//! single names ([`crate::names::inside`]), so nothing lands outside it.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};

use crate::names;
use crate::pipeline::BackgroundFlush;

/// Writes a bag file by file.
pub(crate) trait BagSink {
    /// Adds one file of `size` bytes at `path` (relative to the bag's top folder).
    fn put(&mut self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<()>;
    /// Completes the bag and makes it durable.
    fn finish(self: Box<Self>) -> io::Result<()>;
}

fn unsafe_path(e: names::NameError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

/// A bag folder.
pub(crate) struct FolderSink {
    root: PathBuf,
}

impl FolderSink {
    /// A new folder at `root`.
    pub(crate) fn create(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root)?;
        Ok(FolderSink {
            root: root.to_path_buf(),
        })
    }
}

impl BagSink for FolderSink {
    fn put(&mut self, path: &str, _size: u64, content: &mut dyn Read) -> io::Result<()> {
        let target = names::inside(&self.root, path).map_err(unsafe_path)?;
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)?;
        let mut flush = BackgroundFlush::new(&f)?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = content.read(&mut buf)?;
            if n == 0 {
                break;
            }
            io::Write::write_all(&mut f, &buf[..n])?;
            flush.wrote(n as u64);
        }
        drop(flush);
        f.sync_all()
    }
    fn finish(self: Box<Self>) -> io::Result<()> {
        crate::store::sync_dir(&self.root)
    }
}

/// Entry names inside an archive: the top folder, then checked names only.
fn entry_name(top: &names::FileName, path: &str) -> io::Result<String> {
    names::inside(Path::new(top.as_str()), path).map_err(unsafe_path)?;
    Ok(format!("{top}/{path}"))
}

/// One zip file (stored, not compressed: evidence rarely shrinks, and a
/// recipient's tools read it either way).
pub(crate) struct ZipSink {
    zip: zip::ZipWriter<BufWriter<File>>,
    top: names::FileName,
}

impl ZipSink {
    /// A new zip at `path` whose entries lie in the folder `top`.
    pub(crate) fn create(path: &Path, top: names::FileName) -> io::Result<Self> {
        let f = File::create_new(path)?;
        Ok(ZipSink {
            zip: zip::ZipWriter::new(BufWriter::new(f)),
            top,
        })
    }
}

impl BagSink for ZipSink {
    fn put(&mut self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<()> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(size >= u32::MAX as u64)
            .unix_permissions(0o644);
        self.zip
            .start_file(entry_name(&self.top, path)?, options)
            .map_err(io::Error::other)?;
        io::copy(content, &mut self.zip)?;
        Ok(())
    }
    fn finish(self: Box<Self>) -> io::Result<()> {
        let w = self.zip.finish().map_err(io::Error::other)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

/// Where an encrypted export goes when it is not a file: a delivery to a
/// remote, which takes the bytes as they come.
pub trait Delivery: io::Write + Send {
    /// Everything was written, whose SHA-256 is `sha256` (hex, computed
    /// once by the export as the bytes passed): make the delivery whole (for
    /// a remote, the last part, then the index that says the parts are
    /// complete).
    fn complete(self: Box<Self>, sha256: &str) -> io::Result<()>;
}

/// A delivery and the SHA-256 of what passes into it, which the delivery
/// gets on completion and the export reports.
pub(crate) struct Hashed {
    inner: Box<dyn Delivery>,
    hash: sha2::Sha256,
    digest: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl Hashed {
    /// Hashes what `inner` is given.
    pub(crate) fn new(inner: Box<dyn Delivery>) -> Self {
        Hashed {
            inner,
            hash: sha2::Digest::new(),
            digest: Default::default(),
        }
    }

    /// Where the digest appears once the delivery completed.
    pub(crate) fn digest(&self) -> std::sync::Arc<std::sync::OnceLock<String>> {
        std::sync::Arc::clone(&self.digest)
    }

    fn complete(self) -> io::Result<()> {
        let hex = hex::encode(sha2::Digest::finalize(self.hash));
        self.inner.complete(&hex)?;
        let _ = self.digest.set(hex);
        Ok(())
    }
}

impl io::Write for Hashed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        sha2::Digest::update(&mut self.hash, &buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The encrypted stream's destination.
enum Out {
    File(BufWriter<File>),
    Delivery(Hashed),
}

impl io::Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Out::File(f) => f.write(buf),
            Out::Delivery(d) => d.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::File(f) => f.flush(),
            Out::Delivery(d) => d.flush(),
        }
    }
}

/// A tar stream encrypted to age recipients (`.tar.age`): a zip cannot be
/// streamed through encryption and read back without seeking.
pub(crate) struct TarSink {
    tar: tar::Builder<age::stream::StreamWriter<Out>>,
    top: names::FileName,
    mtime: u64,
}

impl TarSink {
    /// A new encrypted tar at `path`, for `recipients`.
    pub(crate) fn create(
        path: &Path,
        top: names::FileName,
        recipients: &[age::x25519::Recipient],
    ) -> io::Result<Self> {
        let f = File::create_new(path)?;
        Self::over(Out::File(BufWriter::new(f)), top, recipients)
    }

    /// A new encrypted tar streamed into `delivery`.
    pub(crate) fn deliver(
        delivery: Hashed,
        top: names::FileName,
        recipients: &[age::x25519::Recipient],
    ) -> io::Result<Self> {
        Self::over(Out::Delivery(delivery), top, recipients)
    }

    fn over(
        out: Out,
        top: names::FileName,
        recipients: &[age::x25519::Recipient],
    ) -> io::Result<Self> {
        let recips = recipients.iter().map(|r| r as &dyn age::Recipient);
        let enc = age::Encryptor::with_recipients(recips).map_err(io::Error::other)?;
        let w = enc.wrap_output(out)?;
        let mtime = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
        Ok(TarSink {
            tar: tar::Builder::new(w),
            top,
            mtime,
        })
    }
}

impl BagSink for TarSink {
    fn put(&mut self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        self.tar
            .append_data(&mut header, entry_name(&self.top, path)?, content)
    }
    fn finish(self: Box<Self>) -> io::Result<()> {
        let age = self.tar.into_inner()?;
        match age.finish()? {
            Out::File(f) => f.into_inner().map_err(|e| e.into_error())?.sync_all(),
            Out::Delivery(d) => d.complete(),
        }
    }
}
