//! Export: a case's items, sheet and custody history as a sealed BagIt bag.
//!
//! Every manifest is computed before a byte is written (the vault fixed each
//! item's hashes at ingest), so tag files come first and the bag can be
//! streamed into a folder, a zip, or an age-encrypted tar. Each item is
//! re-hashed as it is decrypted and the export fails if it differs. The
//! output appears under its final name only once complete.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::bagit::encode_path;
use super::digest::{Alg, hex_digest};
use super::documents::{self, Context};
use super::{BundleError, seal};
use crate::case::sheet::{ConsentUse, Regime};
use crate::case::{self, CaseSheet};
use crate::custody::log::{self, Signing};
use crate::custody::merkle::inclusion_proof;
use crate::custody::{Action, NewEvent};
use crate::pipeline::{BackgroundFlush, Prefetch};
use crate::{Item, Task, Vault};

/// How the bag is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A folder.
    Folder,
    /// One `.zip` file.
    Zip,
    /// An age-encrypted tar stream (`.tar.age`), for the given recipients.
    Encrypted,
}

/// What to export and how.
pub struct ExportOptions {
    /// Case id or prefix.
    pub case: String,
    /// Destination (must not exist).
    pub out: PathBuf,
    /// Folder, zip or encrypted.
    pub format: Format,
    /// Only these items (ids or prefixes), originals or derivatives; default: all linked.
    pub items: Option<Vec<String>>,
    /// age recipients, for [`Format::Encrypted`].
    pub recipients: Vec<age::x25519::Recipient>,
    /// The regime or mechanism receiving it (default: the case's first).
    pub prepared_for: Option<Regime>,
    /// Send each item's latest redacted copy in place of the item, where one exists.
    pub prefer_redacted: bool,
}

/// An exported item as `case.json` lists it: the item's record and its path in the bag.
#[derive(Debug, Clone, Serialize)]
pub struct BundleItem {
    /// Path in the bag.
    pub path: String,
    /// The item as the vault records it.
    #[serde(flatten)]
    pub item: Item,
}

/// What an export produced.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    /// The bundle written.
    pub path: PathBuf,
    /// SHA-256 of the bundle file (zip or encrypted), or of its signed
    /// tag manifest (folder).
    pub sha256: String,
    /// Items included.
    pub items: usize,
    /// Payload bytes of the evidence.
    pub bytes: u64,
    /// Persons left out because their consent does not cover this use.
    pub withheld_persons: Vec<String>,
    /// Items left out because they concern only withheld persons.
    pub withheld_items: Vec<String>,
    /// Key id that signed it.
    pub key_id: String,
}

/// Keeps only what consent allows: drops persons whose consent does not cover
/// a submission to `recipient`, their mentions, and every item linked to them
/// (their testimony above all), with all of that item's links.
fn consent_filter(sheet: &CaseSheet, recipient: Regime) -> (CaseSheet, Vec<String>, Vec<String>) {
    let mut out = sheet.clone();
    let withheld: Vec<String> = sheet
        .persons
        .iter()
        .filter(|p| !p.consent.covers(ConsentUse::Submission, recipient))
        .map(|p| p.id.clone())
        .collect();
    out.persons.retain(|p| !withheld.contains(&p.id));
    for inc in &mut out.incidents {
        inc.persons.retain(|p| !withheld.contains(p));
    }
    let concerning: BTreeSet<String> = sheet
        .evidence
        .iter()
        .filter(|l| l.party.as_ref().is_some_and(|p| withheld.contains(p)))
        .map(|l| l.item.clone())
        .collect();
    out.evidence.retain(|l| !concerning.contains(&l.item));
    // Free text (notes, sources, corroboration) may name them too.
    let pseudonyms: Vec<String> = sheet
        .persons
        .iter()
        .filter(|p| withheld.contains(&p.id) && p.pseudonym.chars().count() >= 2)
        .map(|p| p.pseudonym.clone())
        .collect();
    if let Ok(mut v) = serde_json::to_value(&out) {
        scrub(&mut v, &pseudonyms);
        if let Ok(clean) = serde_json::from_value(v) {
            out = clean;
        }
    }
    (out, withheld, pseudonyms)
}

/// Replaces every mention of `names` in the strings of `v`.
fn scrub(v: &mut serde_json::Value, names: &[String]) {
    match v {
        serde_json::Value::String(s) => {
            for n in names {
                if s.contains(n.as_str()) {
                    *s = s.replace(n.as_str(), "[withheld]");
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| scrub(x, names)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| scrub(x, names)),
        _ => {}
    }
}

/// A file name safe in every manifest and on every system.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    let short: String = trimmed.chars().take(80).collect();
    if short.is_empty() {
        "file".into()
    } else {
        short
    }
}

/// Writes a bag under a top folder, file by file.
trait BagSink {
    fn put(&mut self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<()>;
    fn finish(self: Box<Self>) -> io::Result<()>;
}

struct FolderSink {
    root: PathBuf,
}

impl BagSink for FolderSink {
    fn put(&mut self, path: &str, _size: u64, content: &mut dyn Read) -> io::Result<()> {
        let target = self.root.join(path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut f = File::create(&target)?;
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

struct ZipSink {
    zip: zip::ZipWriter<BufWriter<File>>,
    top: String,
}

impl BagSink for ZipSink {
    fn put(&mut self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<()> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(size >= u32::MAX as u64)
            .unix_permissions(0o644);
        self.zip
            .start_file(format!("{}/{path}", self.top), options)
            .map_err(io::Error::other)?;
        io::copy(content, &mut self.zip)?;
        Ok(())
    }
    fn finish(self: Box<Self>) -> io::Result<()> {
        let w = self.zip.finish().map_err(io::Error::other)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

struct TarSink {
    tar: tar::Builder<age::stream::StreamWriter<BufWriter<File>>>,
    top: String,
    mtime: u64,
}

impl BagSink for TarSink {
    fn put(&mut self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        self.tar
            .append_data(&mut header, format!("{}/{path}", self.top), content)
    }
    fn finish(self: Box<Self>) -> io::Result<()> {
        let age = self.tar.into_inner()?;
        let file = age.finish()?.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

/// Hashes what passes through, to check it against the stored hashes.
struct Checked<R> {
    inner: R,
    sha256: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha256.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Reports progress and honours cancellation while a file is copied.
struct Watched<'a, R> {
    inner: R,
    task: &'a Task<'a>,
}

impl<R: Read> Read for Watched<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.task.cancelled() {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                BundleError::Cancelled,
            ));
        }
        let n = self.inner.read(buf)?;
        self.task.advance(n as u64);
        Ok(n)
    }
}

fn partial_path(out: &Path) -> PathBuf {
    let mut p = out.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

fn remove_partial(p: &Path) {
    let _ = if p.is_dir() {
        fs::remove_dir_all(p)
    } else {
        fs::remove_file(p)
    };
}

/// Exports a case as a sealed bag.
pub fn export(
    vault: &mut Vault,
    opts: &ExportOptions,
    task: &Task<'_>,
) -> Result<Exported, BundleError> {
    if opts.out.exists() {
        return Err(BundleError::Exists(opts.out.clone()));
    }
    if opts.format == Format::Encrypted && opts.recipients.is_empty() {
        return Err(BundleError::Input(
            "an encrypted bundle needs at least one age recipient (--to)".into(),
        ));
    }
    let full = case::load(vault, &opts.case)?;
    let recipient = match opts
        .prepared_for
        .or_else(|| full.submission.regimes.first().copied())
    {
        Some(r) => r,
        None => {
            return Err(BundleError::Input(
                "the case names no regime; say which recipient it is for (--for)".into(),
            ));
        }
    };
    let (sheet, withheld_persons, pseudonyms) = consent_filter(&full, recipient);

    // Items: those chosen, or every item the (filtered) sheet links.
    let linked: Vec<String> = sheet.evidence.iter().map(|l| l.item.clone()).collect();
    let all_linked: BTreeSet<String> = full.evidence.iter().map(|l| l.item.clone()).collect();
    let mut ids: Vec<String> = Vec::new();
    match &opts.items {
        Some(chosen) => {
            for c in chosen {
                let id = vault.resolve(c)?;
                if all_linked.contains(&id) && !linked.contains(&id) {
                    return Err(BundleError::Input(format!(
                        "item {id} concerns only persons whose consent does not cover a submission to {recipient}"
                    )));
                }
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        None => {
            for id in linked {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    if opts.prefer_redacted {
        for id in ids.iter_mut() {
            if let Some(copy) = vault.latest_redaction(id)? {
                *id = copy;
            }
        }
        let mut seen = BTreeSet::new();
        ids.retain(|i| seen.insert(i.clone()));
    }
    if ids.is_empty() {
        return Err(BundleError::Input(format!(
            "case {} has no evidence to export",
            sheet.id
        )));
    }
    let withheld_items: Vec<String> = all_linked
        .iter()
        .filter(|i| !ids.contains(i) && opts.items.is_none())
        .cloned()
        .collect();
    let items: Vec<Item> = ids
        .iter()
        .map(|i| vault.item(i))
        .collect::<Result<_, _>>()?;

    // Record the export, then sign a tree head that covers it.
    let bundle_name = opts
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let actor = vault.actor().to_string();
    let events: Vec<NewEvent> = items
        .iter()
        .map(|it| {
            NewEvent::item(Action::Exported, &actor, &it.id, &it.sha256).with_details(
                serde_json::json!({
                    "case": sheet.id, "bundle": bundle_name, "for": recipient,
                }),
            )
        })
        .collect();
    vault.transact(|_| Ok(((), events)))?;
    let size = match vault.checkpoint()? {
        Signing::Signed(n) => n,
        Signing::UpToDate => {
            return Err(BundleError::Input(
                "the custody log did not grow; cannot seal".into(),
            ));
        }
        Signing::Refused => {
            return Err(BundleError::Integrity(
                "the custody log does not verify; run `casefile log verify`".into(),
            ));
        }
    };
    let (_, note) = log::latest_checkpoint(vault.conn())?
        .ok_or_else(|| BundleError::Integrity("no signed checkpoint".into()))?;
    let leaves = log::leaf_hashes(vault.conn(), size)?;
    let mut custody = String::new();
    let mut proofs = Vec::new();
    for it in &items {
        for (seq, body) in log::raw_events(vault.conn(), &it.id, size)? {
            let index = (seq - 1) as usize;
            custody.push_str(&body);
            custody.push('\n');
            proofs.push(serde_json::json!({
                "seq": seq,
                "leaf_index": index,
                "leaf_hash": hex::encode(leaves[index]),
                "path": inclusion_proof(index, &leaves).iter().map(hex::encode).collect::<Vec<_>>(),
            }));
        }
    }
    let root = crate::custody::merkle::root(&leaves);
    let public = vault.device_key();
    let key_id = public.key_id_hex();
    let exported_at = log::now_utc();

    let bundle_items: Vec<BundleItem> = items
        .iter()
        .map(|it| {
            let mut item = it.clone();
            // Free text may name a withheld person.
            let mut v = serde_json::to_value(&item).unwrap_or_default();
            scrub(&mut v, &pseudonyms);
            for (field, text) in [
                ("title", &mut item.title),
                ("notes", &mut item.notes),
                ("source", &mut item.source),
            ] {
                if let Some(clean) = v[field].as_str() {
                    *text = clean.to_string();
                }
            }
            BundleItem {
                path: format!("data/evidence/{}-{}", it.id, safe_name(&it.original_name)),
                item,
            }
        })
        .collect();
    let ctx = Context {
        sheet: &sheet,
        items: &bundle_items,
        key_id: &key_id,
        exported_at: &exported_at,
        recipient: recipient.as_str(),
        withheld: withheld_persons.len(),
        events: proofs.len(),
    };
    let case_json = serde_json::to_string_pretty(&serde_json::json!({
        "schema": "casefile-bundle/1",
        "exported_at": exported_at,
        "prepared_for": { "use": "submission", "recipient": recipient },
        "origin": vault.origin(),
        "device_key": { "key_id": key_id, "minisign": public.to_minisign().lines().nth(1).unwrap_or_default() },
        "withheld_persons": withheld_persons.len(),
        "case": sheet,
        "items": bundle_items,
    }))
    .map_err(|e| BundleError::Input(e.to_string()))?;
    let proofs_json = serde_json::to_string_pretty(&serde_json::json!({
        "checkpoint": { "origin": vault.origin(), "size": size, "root": hex::encode(root) },
        "proofs": proofs,
    }))
    .map_err(|e| BundleError::Input(e.to_string()))?;
    let docs: Vec<(&str, String)> = vec![
        ("data/case.json", case_json + "\n"),
        ("data/custody.jsonl", custody),
        ("data/proofs.json", proofs_json + "\n"),
        ("data/checkpoint.txt", note),
        ("data/device.pub", public.to_minisign()),
        ("data/report.html", documents::report_html(&ctx)),
        ("data/VERIFY.txt", documents::verify_txt(&ctx)),
        ("data/certification.txt", documents::certification_txt(&ctx)),
    ];

    // Manifests from known hashes: evidence from the vault, documents computed here.
    let mut payload: Vec<(String, String, String, u64)> = bundle_items
        .iter()
        .map(|b| {
            (
                b.path.clone(),
                b.item.sha256.clone(),
                b.item.sha512.clone(),
                b.item.size,
            )
        })
        .collect();
    for (path, text) in &docs {
        payload.push((
            path.to_string(),
            hex_digest(Alg::Sha256, text.as_bytes()),
            hex_digest(Alg::Sha512, text.as_bytes()),
            text.len() as u64,
        ));
    }
    payload.sort();
    let bytes: u64 = payload.iter().map(|p| p.3).sum();
    let manifest = |pick: fn(&(String, String, String, u64)) -> &str| {
        payload
            .iter()
            .map(|p| format!("{}  {}\n", pick(p), encode_path(&p.0)))
            .collect::<String>()
    };
    let manifest256 = manifest(|p| &p.1);
    let manifest512 = manifest(|p| &p.2);
    let one_line = |s: &str| s.replace(['\r', '\n'], " ");
    let bag_info = format!(
        "Source-Organization: {}\nContact-Name: {}\nContact-Email: {}\nExternal-Identifier: {}\n\
         External-Description: {}\nBagging-Date: {}\nPayload-Oxum: {}.{}\nBag-Size: {}\n\
         Bag-Software-Agent: casefile {}\nCasefile-Device-Key: {}\n",
        one_line(&sheet.submission.organisation),
        one_line(&sheet.submission.contact_name),
        one_line(&sheet.submission.contact_email),
        sheet.id,
        one_line(&sheet.title),
        &exported_at[..10],
        bytes,
        payload.len(),
        indicatif::HumanBytes(bytes),
        env!("CARGO_PKG_VERSION"),
        key_id,
    );
    let bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_string();
    let tags = [
        ("bagit.txt", &bagit),
        ("bag-info.txt", &bag_info),
        ("manifest-sha256.txt", &manifest256),
        ("manifest-sha512.txt", &manifest512),
    ];
    let tagmanifest = |alg: Alg| {
        tags.iter()
            .map(|(n, t)| format!("{}  {n}\n", hex_digest(alg, t.as_bytes())))
            .collect::<String>()
    };
    let tag256 = tagmanifest(Alg::Sha256);
    let tag512 = tagmanifest(Alg::Sha512);
    let signature = seal::sign(
        vault.device(),
        tag256.as_bytes(),
        &format!(
            "casefile bundle {} case {} exported {}",
            bundle_name, sheet.id, exported_at
        ),
    );

    // Write: tag files first, then documents, then evidence.
    let partial = partial_path(&opts.out);
    if partial.exists() {
        remove_partial(&partial);
    }
    let top = {
        let stem = bundle_name
            .trim_end_matches(".age")
            .trim_end_matches(".tar")
            .trim_end_matches(".zip");
        if stem.is_empty() {
            "bundle".to_string()
        } else {
            stem.to_string()
        }
    };
    let write = || -> Result<(), BundleError> {
        let io_err = |e: io::Error| match e.get_ref().and_then(|i| i.downcast_ref::<BundleError>())
        {
            Some(BundleError::Cancelled) => BundleError::Cancelled,
            _ => BundleError::io(&opts.out, e),
        };
        let mut sink: Box<dyn BagSink> = match opts.format {
            Format::Folder => {
                fs::create_dir_all(&partial).map_err(io_err)?;
                Box::new(FolderSink {
                    root: partial.clone(),
                })
            }
            Format::Zip => {
                let f = File::create(&partial).map_err(io_err)?;
                Box::new(ZipSink {
                    zip: zip::ZipWriter::new(BufWriter::new(f)),
                    top: top.clone(),
                })
            }
            Format::Encrypted => {
                let f = File::create(&partial).map_err(io_err)?;
                let recips: Vec<&dyn age::Recipient> = opts
                    .recipients
                    .iter()
                    .map(|r| r as &dyn age::Recipient)
                    .collect();
                let enc = age::Encryptor::with_recipients(recips.into_iter())
                    .map_err(|e| BundleError::Input(e.to_string()))?;
                let w = enc.wrap_output(BufWriter::new(f)).map_err(io_err)?;
                let mtime = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
                Box::new(TarSink {
                    tar: tar::Builder::new(w),
                    top: top.clone(),
                    mtime,
                })
            }
        };
        let tag_files = [
            ("bagit.txt", &bagit),
            ("bag-info.txt", &bag_info),
            ("manifest-sha256.txt", &manifest256),
            ("manifest-sha512.txt", &manifest512),
            ("tagmanifest-sha256.txt", &tag256),
            ("tagmanifest-sha512.txt", &tag512),
            ("tagmanifest-sha256.txt.minisig", &signature),
        ];
        for (name, text) in tag_files
            .iter()
            .map(|(n, t)| (*n, t.as_str()))
            .chain(docs.iter().map(|(n, t)| (*n, t.as_str())))
        {
            sink.put(name, text.len() as u64, &mut text.as_bytes())
                .map_err(io_err)?;
        }
        for (it, b) in items.iter().zip(&bundle_items) {
            // Decryption runs ahead on its own thread; here SHA-256 (backed
            // by AES-GCM's authentication of every chunk) and the write.
            let (_, reader) = vault.open_item(&it.id)?;
            let reader = Prefetch::new(reader, 256 * 1024, 8);
            let mut checked = Checked {
                inner: Watched {
                    inner: reader,
                    task,
                },
                sha256: Sha256::new(),
                bytes: 0,
            };
            sink.put(&b.path, it.size, &mut checked).map_err(io_err)?;
            let ok =
                checked.bytes == it.size && hex::encode(checked.sha256.finalize()) == it.sha256;
            if !ok {
                return Err(BundleError::Integrity(format!(
                    "item {} does not match the hashes fixed at ingest",
                    it.id
                )));
            }
        }
        sink.finish().map_err(io_err)?;
        fs::rename(&partial, &opts.out).map_err(io_err)?;
        Ok(())
    };
    if let Err(e) = write() {
        remove_partial(&partial);
        return Err(e);
    }
    let sha256 = if opts.format == Format::Folder {
        hex_digest(Alg::Sha256, tag256.as_bytes())
    } else {
        let mut f = File::open(&opts.out).map_err(|e| BundleError::io(&opts.out, e))?;
        let mut h = Sha256::new();
        io::copy(&mut f, &mut h).map_err(|e| BundleError::io(&opts.out, e))?;
        hex::encode(h.finalize())
    };
    Ok(Exported {
        path: opts.out.clone(),
        sha256,
        items: items.len(),
        bytes: items.iter().map(|i| i.size).sum(),
        withheld_persons,
        withheld_items,
        key_id,
    })
}
