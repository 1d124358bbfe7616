//! Where an exported bag is written: a folder, one zip file, or an
//! age-encrypted tar stream. Each takes files one at a time, in order, with
//! their paths inside the bag; the folder builds every path from checked
//! single names ([`crate::names::inside`]), so nothing lands outside it.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

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
/// remote. It is given the bag's plain tar stream as it is made and
/// encrypts it itself (a delivery is encrypted part by part, so that an
/// interrupted one can be resumed).
pub trait Delivery: io::Write {
    /// Everything was written: make the delivery whole (for a remote, the
    /// last part, then the index that says the parts are complete), and
    /// return the SHA-256 that names what was stored.
    fn complete(self: Box<Self>) -> io::Result<String>;
}

/// The tar stream's destination.
enum Out<'a> {
    File(age::stream::StreamWriter<BufWriter<File>>),
    Delivery(Box<dyn Delivery + 'a>),
}

impl io::Write for Out<'_> {
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

/// A tar stream encrypted to age recipients (`.tar.age`), or given to a
/// delivery that encrypts it: a zip cannot be streamed through encryption
/// and read back without seeking.
pub(crate) struct TarSink<'a> {
    tar: tar::Builder<Out<'a>>,
    top: names::FileName,
    mtime: u64,
    digest: Option<Arc<OnceLock<String>>>,
}

impl<'a> TarSink<'a> {
    /// A new encrypted tar at `path`, for `recipients`, its entries dated `mtime`.
    pub(crate) fn create(
        path: &Path,
        top: names::FileName,
        mtime: u64,
        recipients: &[age::x25519::Recipient],
    ) -> io::Result<Self> {
        let f = File::create_new(path)?;
        let recips = recipients.iter().map(|r| r as &dyn age::Recipient);
        let enc = age::Encryptor::with_recipients(recips).map_err(io::Error::other)?;
        let w = enc.wrap_output(BufWriter::new(f))?;
        Ok(TarSink {
            tar: tar::Builder::new(Out::File(w)),
            top,
            mtime,
            digest: None,
        })
    }

    /// A tar stream given to `delivery`; the hash it returns on completion
    /// is set in `digest`.
    pub(crate) fn deliver(
        delivery: Box<dyn Delivery + 'a>,
        top: names::FileName,
        mtime: u64,
        digest: Arc<OnceLock<String>>,
    ) -> Self {
        TarSink {
            tar: tar::Builder::new(Out::Delivery(delivery)),
            top,
            mtime,
            digest: Some(digest),
        }
    }
}

impl BagSink for TarSink<'_> {
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
        let TarSink { tar, digest, .. } = *self;
        match tar.into_inner()? {
            Out::File(age) => age
                .finish()?
                .into_inner()
                .map_err(|e| e.into_error())?
                .sync_all(),
            Out::Delivery(d) => {
                let hash = d.complete()?;
                if let Some(digest) = digest {
                    let _ = digest.set(hash);
                }
                Ok(())
            }
        }
    }
}
