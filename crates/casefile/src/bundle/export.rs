//! Export: a case's items, sheet and custody history as a sealed BagIt bag.
//!
//! Export is a short sequence of steps: choose what consent allows, record
//! the export and sign a tree head over it, gather the items' custody records
//! with their proofs, write the documents, compute the tag files and the seal,
//! then stream everything into the destination. Every manifest is known before
//! a byte is written (the vault fixed each item's hashes at ingest), so tag
//! files come first; each item is re-checked as it is decrypted, and the
//! output appears under its final name only once complete.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::bagit::{PayloadFile, TagFiles};
use super::digest::{Alg, hex_digest};
use super::documents::{self, Context, Language};
use super::format::{
    self, CaseFile, DisclosureLine, EvidencePath, PreparedFor, Proof, ProofHead, ProofsFile,
    SealKey, Sha256Hex, Sha512Hex, WireItem, WithheldEvent, WithheldLine,
};
use super::recipe::{Carried, Generated, Recipe};
use super::report;
use super::sink::{BagSink, Delivery, FolderSink, TarSink, ZipSink};
use super::{BundleError, seal};
use crate::case::consent::{Matcher, Withholding};
use crate::case::matrix::corroboration_by;
use crate::case::sheet::{ConsentUse, Regime};
use crate::case::{self, CaseSheet};
use crate::custody::log::{self, Signing};
use crate::custody::merkle::Prover;
use crate::custody::{Action, NewEvent};
use crate::media::MediaInfo;
use crate::names::{FileName, Id, Line, Text};
use crate::vault::CheckedReader;
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

impl Format {
    /// The form a user's choices mean: encrypted when there are recipients,
    /// else a zip when asked for, else a folder. Asking for a zip and for
    /// recipients is refused: an encrypted bundle is a `.tar.age`, and a
    /// plaintext zip must never be what someone who asked for encryption
    /// gets, nor the reverse.
    pub fn chosen(recipients: &[age::x25519::Recipient], zip: bool) -> Result<Format, BundleError> {
        match (recipients.is_empty(), zip) {
            (false, true) => Err(BundleError::Input(
                "a zip is not encrypted and an encrypted bundle is a .tar.age: give --zip or --to, not both"
                    .into(),
            )),
            (false, false) => Ok(Format::Encrypted),
            (true, true) => Ok(Format::Zip),
            (true, false) => Ok(Format::Folder),
        }
    }

    /// The path a bundle of this form is written to for `out`: `.zip` or
    /// `.tar.age` added when the name lacks it, so the file says what it
    /// is. A folder named like a file is refused.
    pub fn path_for(self, out: &Path) -> Result<PathBuf, BundleError> {
        let written = out.as_os_str().to_string_lossy();
        if written.ends_with('/') && self != Format::Folder {
            return Err(BundleError::Input(format!(
                "{} names a folder; a zip or encrypted bundle is one file: give its name",
                out.display()
            )));
        }
        // "bundle/" is the folder "bundle".
        let out: PathBuf = out.components().collect();
        let out = out.as_path();
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if self == Format::Zip && (name.ends_with(".age") || name.ends_with(".tar.age")) {
            return Err(BundleError::Input(format!(
                "{} names an encrypted bundle, but a zip is not encrypted: give --to (without --zip) to encrypt",
                out.display()
            )));
        }
        let with = |suffix: &str| {
            let mut s = out.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        match self {
            Format::Zip if name.ends_with(".zip") => Ok(out.to_path_buf()),
            Format::Zip => Ok(with(".zip")),
            Format::Encrypted if name.ends_with(".tar.age") => Ok(out.to_path_buf()),
            Format::Encrypted => Ok(with(".tar.age")),
            Format::Folder if name.ends_with(".zip") || name.ends_with(".age") => {
                Err(BundleError::Input(format!(
                    "{} names a file, but without --zip or --to a bundle is a folder: add --zip (or --to), or name a folder",
                    out.display()
                )))
            }
            Format::Folder => Ok(out.to_path_buf()),
        }
    }
}

/// Where the plaintext note on opening an encrypted bundle is written:
/// beside it, `NAME.tar.age.how-to-open.txt`.
pub fn opening_note_path(bundle: &Path) -> PathBuf {
    let mut s = bundle.as_os_str().to_owned();
    s.push(".how-to-open.txt");
    PathBuf::from(s)
}

/// The note beside an encrypted bundle: how to open it with standard tools.
/// It says nothing of the case: only the file's name and hash.
fn opening_note(bundle: &Path, sha256: &str) -> String {
    let name = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Quoted for the shell when it holds anything beyond the plainest characters.
    let quoted = if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
    {
        name.clone()
    } else {
        format!("'{}'", name.replace('\'', r"'\''"))
    };
    format!(
        "{name} is a sealed evidence bundle made with Casefile and encrypted with age
(https://age-encryption.org) for the recipients it was made for. Without a
recipient's age identity nothing of it can be read, and this note says nothing
of what it holds.

To open it (age and tar are standard tools):

    age -d -i YOUR-AGE-IDENTITY-FILE {quoted} | tar x

Then read data/VERIFY.txt in the folder that appears: it says how to check the
bundle's hashes and seal with standard tools (sha256sum, minisign). With
Casefile: casefile verify {quoted} --identity YOUR-AGE-IDENTITY-FILE

SHA-256 of {name}, to check it arrived whole:
{sha256}
"
    )
}

/// Reads age recipients as a user gives them (`age1…`, surrounding space
/// allowed). A blank entry is refused, never skipped: `--to "$EMPTY"` must
/// not turn an encrypted export into a plaintext one.
pub fn parse_recipients<S: AsRef<str>>(
    texts: &[S],
) -> Result<Vec<age::x25519::Recipient>, BundleError> {
    texts
        .iter()
        .map(|r| r.as_ref().trim())
        .map(|r| {
            if r.is_empty() {
                return Err(BundleError::Input(
                    "an empty recipient was given; give an age recipient (age1...) or no --to"
                        .into(),
                ));
            }
            r.parse::<age::x25519::Recipient>()
                .map_err(|_| BundleError::Input(format!("{r:?} is not an age recipient (age1...)")))
        })
        .collect()
}

/// What to export and how.
#[derive(Clone)]
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
    /// Send each item's latest redacted copy made in this vault in place of
    /// the item, where one exists.
    pub prefer_redacted: bool,
    /// The language of the instructions besides English.
    pub language: Option<Language>,
}

/// What an export produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exported {
    /// The bundle written.
    pub path: PathBuf,
    /// SHA-256 of the bundle file (zip or encrypted), or, for a folder, of
    /// its signed tag manifest (a folder has no single file to hash).
    pub sha256: String,
    /// What `sha256` is the hash of: `bundle file` or `tagmanifest-sha256.txt`.
    #[serde(skip_deserializing)]
    pub sha256_of: &'static str,
    /// Items included.
    pub items: usize,
    /// Payload bytes of the evidence.
    pub bytes: u64,
    /// Persons left out because their consent does not cover this use.
    pub withheld_persons: Vec<String>,
    /// Items left out because they concern only withheld persons.
    pub withheld_items: Vec<String>,
    /// Items sent as they are although redacted copies were asked for:
    /// none has been made of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unredacted: Vec<String>,
    /// minisign key id of the sealing key (a label).
    pub key_id: String,
    /// Fingerprint of the sealing key.
    pub fingerprint: String,
    /// Tokens over the seal: (authority, time it states).
    pub sealed_no_later_than: Vec<(String, String)>,
    /// Authorities that gave no token: (authority, why).
    pub stamp_failures: Vec<(String, String)>,
    /// The plaintext note on opening an encrypted bundle, written beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_note: Option<PathBuf>,
}

/// Reports progress and honours cancellation while a file is copied.
pub(super) struct Watched<'a, R> {
    pub(super) inner: R,
    pub(super) task: &'a Task<'a>,
}

impl<R: Read> Read for Watched<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Not ErrorKind::Interrupted: readers retry those, forever.
        if self.task.cancelled() {
            return Err(io::Error::other(BundleError::Cancelled));
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

/// What consent and the options chose, before anything is recorded.
struct Plan {
    sheet: CaseSheet,
    recipient: Regime,
    items: Vec<Item>,
    withholding: Withholding,
    withheld_items: Vec<String>,
    unredacted: Vec<String>,
}

/// True when an item's first event (how it entered the vault) is of log
/// format 1 and names a withheld person: it cannot be partly disclosed, so
/// the item concerns that person and stays out.
fn entered_naming_withheld(vault: &Vault, id: &str, w: &Withholding) -> Result<bool, BundleError> {
    if w.matcher.is_empty() {
        return Ok(false);
    }
    let Some(first) = log::raw_events(vault.conn(), id, i64::MAX as u64)?
        .into_iter()
        .next()
    else {
        return Ok(false);
    };
    let event: crate::custody::Event = serde_json::from_str(&first.body)
        .map_err(|e| BundleError::Integrity(format!("custody event {}: {e}", first.seq)))?;
    Ok(event.v.is_none() && w.matcher.find(&first.body).is_some())
}

/// Whether an item's bytes are read for names: everything but pictures,
/// sound, video and PDFs, whose words are not in their bytes as text.
pub(crate) fn content_is_read(item: &Item) -> bool {
    let mime = item.mime.as_str();
    !(mime.starts_with("image/")
        || mime.starts_with("audio/")
        || mime.starts_with("video/")
        || mime == "application/pdf")
}

/// Fails when an item's own words name a withheld person: an original is
/// never altered, so it cannot be scrubbed.
fn content_names_withheld(vault: &Vault, item: &Item, w: &Withholding) -> Result<(), BundleError> {
    if w.matcher.is_empty() {
        return Ok(());
    }
    if item.mime == "image/jpeg" {
        return jpeg_metadata_names_withheld(vault, item, w);
    }
    if !content_is_read(item) {
        return Ok(());
    }
    let (_, reader) = vault.open_item(&item.id)?;
    let found = crate::case::text_scan::find_in(&w.matcher, CheckedReader::new(item, reader))
        .map_err(|e| match crate::vault::vault_error(e) {
            Ok(v) => BundleError::Vault(v),
            Err(e) => BundleError::Integrity(e.to_string()),
        })?;
    match found {
        None => Ok(()),
        Some(person) => Err(BundleError::Consent(crate::case::consent::Unscrubbable {
            place: format!(
                "the content of item {} ({}); send a redacted or translated copy instead",
                item.id, item.title
            ),
            person,
        })),
    }
}

/// Most metadata a JPEG may carry and still be read for names (its
/// segments are at most 64 KiB each; a camera writes a few of them).
const JPEG_METADATA_MAX: usize = 64 << 20;

/// Fails when what is written into a JPEG (EXIF, XMP, IPTC, comments, what
/// follows the image) names a withheld person, in UTF-8, Latin-1 or
/// UTF-16 (EXIF's XP fields); its compressed picture data is not read, as
/// a short name would turn up there by chance.
fn jpeg_metadata_names_withheld(
    vault: &Vault,
    item: &Item,
    w: &Withholding,
) -> Result<(), BundleError> {
    let (_, reader) = vault.open_item(&item.id)?;
    let integrity = |e: io::Error| match crate::vault::vault_error(e) {
        Ok(v) => BundleError::Vault(v),
        Err(e) => BundleError::Integrity(e.to_string()),
    };
    let redacted = "export its redacted copy instead (casefile redact, then export --redacted), which carries no metadata";
    let meta = crate::media::segments::jpeg_metadata(CheckedReader::new(item, reader), JPEG_METADATA_MAX)
        .map_err(integrity)?
        .ok_or_else(|| {
            BundleError::Input(format!(
                "item {} ({}) carries more than 64 MiB of metadata, which cannot be checked for the names of persons left out; {redacted}",
                item.id, item.title
            ))
        })?;
    // UTF-16 without a byte order mark reads as its letters once the zero
    // bytes go; a pair of them (a terminator) still ends a word.
    let mut narrow = Vec::with_capacity(meta.len());
    let mut zeros = meta.iter().peekable();
    while let Some(&b) = zeros.next() {
        match (b, zeros.peek()) {
            (0, Some(0)) => {
                zeros.next();
                narrow.push(b'\n');
            }
            (0, _) => {}
            _ => narrow.push(b),
        }
    }
    for bytes in [&meta, &narrow] {
        if let Some(person) =
            crate::case::text_scan::find_in_metadata(&w.matcher, &bytes[..]).map_err(integrity)?
        {
            return Err(BundleError::Consent(crate::case::consent::Unscrubbable {
                place: format!(
                    "the metadata of photo {} ({}); {redacted}",
                    item.id, item.title
                ),
                person,
            }));
        }
    }
    Ok(())
}

/// Step 1: the sheet as consent allows it, and the items to send.
fn plan(vault: &Vault, opts: &ExportOptions) -> Result<Plan, BundleError> {
    if opts.out.exists() {
        return Err(BundleError::Exists(opts.out.clone()));
    }
    let note = opening_note_path(&opts.out);
    if opts.format == Format::Encrypted && note.exists() {
        return Err(BundleError::Exists(note));
    }
    if opts.format == Format::Encrypted && opts.recipients.is_empty() {
        return Err(BundleError::Input(
            "an encrypted bundle needs at least one age recipient (--to)".into(),
        ));
    }
    let full = case::load(vault, &opts.case)?;
    let Some(recipient) = opts
        .prepared_for
        .or_else(|| full.submission.regimes.first().copied())
    else {
        return Err(BundleError::Input(
            "the case names no regime; say which recipient it is for (--for)".into(),
        ));
    };
    let derivations = vault.derivations()?;
    let mut children = |id: &str| {
        derivations
            .iter()
            .filter(|(_, p)| p == id)
            .map(|(c, _)| c.clone())
            .collect()
    };
    // Real identities of those who did not consent are looked for too.
    let mut real = std::collections::BTreeMap::new();
    for p in &full.persons {
        if !p.consent.covers(ConsentUse::Submission, recipient)
            && let Some(r) = case::store::identity_for_matching(vault, &full.id, &p.id)?
        {
            real.insert(p.id.clone(), r);
        }
    }
    let mut real_name = |person: &str| real.get(person).cloned();
    let mut withholding = Withholding::decide(&full, recipient, &mut children, &mut real_name);

    // Items: those chosen, or every item the sheet links that consent allows.
    let concerns = |id: &str| {
        format!(
            "item {id} concerns a person whose consent does not cover a submission to {recipient}"
        )
    };
    let mut ids: Vec<String> = Vec::new();
    match &opts.items {
        Some(chosen) => {
            for c in chosen {
                let id = vault.resolve(c)?;
                if withholding.items.contains(&id)
                    || entered_naming_withheld(vault, &id, &withholding)?
                {
                    return Err(BundleError::Input(concerns(&id)));
                }
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        None => {
            for l in &full.evidence {
                if withholding.items.contains(&l.item) || ids.contains(&l.item) {
                    continue;
                }
                if entered_naming_withheld(vault, &l.item, &withholding)? {
                    withholding.items.insert(l.item.clone());
                    continue;
                }
                ids.push(l.item.clone());
            }
        }
    }
    let mut unredacted = Vec::new();
    if opts.prefer_redacted {
        for id in ids.iter_mut() {
            match vault.latest_redaction(id)? {
                Some(copy) => {
                    if withholding.items.contains(&copy) {
                        return Err(BundleError::Input(concerns(&copy)));
                    }
                    *id = copy;
                }
                None => unredacted.push(id.clone()),
            }
        }
        let mut seen = BTreeSet::new();
        ids.retain(|i| seen.insert(i.clone()));
    }
    if ids.is_empty() {
        return Err(BundleError::Input(format!(
            "case {} has no evidence to export",
            full.id
        )));
    }
    let mut sheet = withholding.sheet(&full)?;
    let withheld_items: Vec<String> = withholding.items.iter().cloned().collect();
    let items: Vec<Item> = ids
        .iter()
        .map(|i| vault.item(i))
        .collect::<Result<_, _>>()?;
    for it in &items {
        content_names_withheld(vault, it, &withholding)?;
    }
    // The sheet links only what the bundle holds (a redacted copy stands in
    // for its original).
    for link in &mut sheet.evidence {
        if let Some(copy) = items
            .iter()
            .find(|i| i.parent.as_deref() == Some(link.item.as_str()) && !ids.contains(&link.item))
        {
            link.item = copy.id.clone();
        }
    }
    sheet.evidence.retain(|l| ids.contains(&l.item));
    Ok(Plan {
        sheet,
        recipient,
        items,
        withholding,
        withheld_items,
        unredacted,
    })
}

/// The signed tree head a bundle's proofs lead to.
struct Head {
    note: String,
    size: u64,
    leaves: Vec<crate::custody::merkle::Hash>,
}

/// Step 2: records the export of each item, then signs a tree head over it.
fn record(vault: &mut Vault, plan: &Plan, bundle_name: &str) -> Result<Head, BundleError> {
    let actor = vault.actor().to_string();
    let events: Vec<NewEvent> = plan
        .items
        .iter()
        .map(|it| {
            NewEvent::item(Action::Exported, &actor, &it.id, &it.sha256).with_details(
                serde_json::json!({
                    "case": plan.sheet.id, "bundle": bundle_name, "for": plan.recipient,
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
    Ok(Head { note, size, leaves })
}

/// Step 3: the items' events exactly as stored, each with its inclusion
/// proof; of each event's committed values, the disclosures of those that
/// name no withheld person. An event of log format 1 that names one is
/// withheld whole: only its proof says it is there.
fn custody(
    vault: &Vault,
    items: &[Item],
    head: &Head,
    w: &Withholding,
) -> Result<(String, String, ProofsFile), BundleError> {
    let mut lines = String::new();
    let mut disclosed = String::new();
    let mut proofs = Vec::new();
    let mut prover = Prover::new(&head.leaves);
    for it in items {
        for stored in log::raw_events(vault.conn(), &it.id, head.size)? {
            let seq = stored.seq;
            let event: crate::custody::Event = serde_json::from_str(&stored.body)
                .map_err(|e| BundleError::Integrity(format!("custody event {seq}: {e}")))?;
            if event.v.is_none() {
                if w.matcher.find(&stored.body).is_some() {
                    let placeholder = WithheldLine {
                        withheld: WithheldEvent { seq },
                    };
                    lines.push_str(&serde_json::to_string(&placeholder).unwrap_or_default());
                } else {
                    lines.push_str(&stored.body);
                }
            } else {
                // What stays in the clear of a format-2 event holds no free
                // text but the actor's name, which must not name them either.
                w.matcher
                    .check(&format!("custody event {seq} (who acted)"), &event.actor)?;
                let kept: Vec<String> = stored
                    .disclosures
                    .iter()
                    .filter(|d| {
                        crate::custody::disclose::value_of(d)
                            .is_some_and(|v| w.matcher.find(&v).is_none())
                    })
                    .cloned()
                    .collect();
                let line = DisclosureLine {
                    seq,
                    disclosures: kept,
                };
                disclosed.push_str(&serde_json::to_string(&line).unwrap_or_default());
                disclosed.push('\n');
                lines.push_str(&stored.body);
            }
            lines.push('\n');
            let index = (seq - 1) as usize;
            proofs.push(Proof {
                seq,
                leaf_index: index as u64,
                leaf_hash: Sha256Hex::of(&head.leaves[index]),
                path: prover.proof(index).iter().map(Sha256Hex::of).collect(),
            });
        }
    }
    let root = crate::custody::merkle::root(&head.leaves);
    let file = ProofsFile {
        checkpoint: ProofHead {
            origin: line(vault.origin(), "the log's origin")?,
            size: head.size,
            root: Sha256Hex::of(&root),
        },
        proofs,
    };
    Ok((lines, disclosed, file))
}

fn line(s: &str, what: &str) -> Result<Line, BundleError> {
    Line::parse(s).map_err(|e| BundleError::Input(format!("{what}: {e}")))
}

fn text(s: &str, what: &str) -> Result<Text, BundleError> {
    Text::parse(s).map_err(|e| BundleError::Input(format!("{what}: {e}")))
}

/// An item as the bundle lists it: every field checked against its grammar
/// (an old vault may hold a name a bundle may not carry), withheld names
/// scrubbed from its free text. Its file in the bag is named after it only
/// when that name names nobody withheld.
fn wire_item(it: &Item, w: &Withholding) -> Result<WireItem, BundleError> {
    let id = Id::parse(&it.id).map_err(|e| BundleError::Input(format!("item {}: {e}", it.id)))?;
    let at = |field: &str| format!("item {} {field}", it.id);
    let m = &w.matcher;
    let one = |s: &str| m.scrub(&s.replace(char::is_control, " "));
    let original = one(&it.original_name);
    let name = FileName::parse(&original).unwrap_or_else(|_| FileName::sanitize(&original, 200));
    let file = if m.find(&it.original_name).is_some() {
        let ext = it
            .original_name
            .rsplit_once('.')
            .map(|(_, e)| e)
            .unwrap_or("bin");
        FileName::sanitize(&format!("file.{ext}"), 20)
    } else {
        FileName::sanitize(&original, 80)
    };
    if let Some(d) = &it.derivation {
        crate::case::consent::check_json(m, &at("derivation"), d)?;
    }
    for (field, value) in [
        ("type", &it.mime),
        ("language", &it.language),
        ("ingest time", &it.ingested_at),
        ("restriction", &it.restriction),
    ] {
        m.check(&at(field), value)?;
    }
    if let Some(c) = &it.captured_at {
        m.check(&at("capture time"), c)?;
    }
    Ok(WireItem {
        path: EvidencePath::new(&id, &file),
        id,
        kind: it.kind,
        title: line(&one(&it.title), &at("title"))?,
        original_name: name,
        mime: line(&it.mime, &at("type"))?,
        size: it.size,
        sha256: Sha256Hex::parse(&it.sha256)
            .map_err(|e| BundleError::Integrity(format!("{}: {e}", at("SHA-256"))))?,
        sha512: Sha512Hex::parse(&it.sha512)
            .map_err(|e| BundleError::Integrity(format!("{}: {e}", at("SHA-512"))))?,
        ingested_at: line(&it.ingested_at, &at("ingest time"))?,
        captured_at: it
            .captured_at
            .as_deref()
            .map(|c| line(c, &at("capture time")))
            .transpose()?,
        collector: line(&one(&it.collector), &at("collector"))?,
        source: text(&m.scrub(&it.source), &at("source"))?,
        method: text(&m.scrub(&it.method), &at("method"))?,
        language: line(&it.language, &at("language"))?,
        notes: text(&m.scrub(&it.notes), &at("notes"))?,
        restriction: text(&it.restriction, &at("restriction"))?,
        parent: it
            .parent
            .as_deref()
            .map(Id::parse)
            .transpose()
            .map_err(|e| BundleError::Input(format!("{}: {e}", at("parent"))))?,
        derivation: it.derivation.clone(),
    })
}

/// The documents of the bundle, by path, in the order they are written.
struct Documents {
    files: Vec<(String, String)>,
    /// Binary payload files (report.pdf, time-stamp tokens).
    binary: Vec<(String, Vec<u8>)>,
}

/// The custody part of a bundle: the signed head, the events and their proofs.
struct Records {
    head: Head,
    lines: String,
    disclosures: String,
    proofs: ProofsFile,
}

/// Items of the bundle whose parents are not in it carry no parent: a
/// received item may only ever refer to one of its own bundle.
fn drop_outside_parents(wire: &mut [WireItem]) {
    let ids: BTreeSet<String> = wire.iter().map(|w| w.id.to_string()).collect();
    for w in wire {
        if w.parent.as_ref().is_some_and(|p| !ids.contains(p.as_str())) {
            w.parent = None;
            w.derivation = None;
        }
    }
}

/// Media facts with every withheld name scrubbed from every text in them:
/// a picture's or recording's bytes are not read for names, so what its
/// metadata says (an author, a device owner) is scrubbed here.
fn scrubbed(info: &MediaInfo, m: &Matcher) -> MediaInfo {
    fn walk(v: &mut serde_json::Value, m: &Matcher) {
        match v {
            serde_json::Value::String(s) => *s = m.scrub(s),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, m)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| walk(x, m)),
            _ => {}
        }
    }
    let Ok(mut value) = serde_json::to_value(info) else {
        return MediaInfo::default();
    };
    walk(&mut value, m);
    serde_json::from_value(value).unwrap_or_default()
}

fn pretty<T: Serialize>(value: &T) -> Result<String, BundleError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| BundleError::Input(e.to_string()))
}

/// Step 4: case.json, the custody records, the key, the report, the
/// instructions and the certification.
fn documents(
    vault: &Vault,
    plan: &Plan,
    wire: &[WireItem],
    records: Records,
    exported_at: &str,
    language: Option<Language>,
) -> Result<Documents, BundleError> {
    let public = vault.device_key();
    let m = &plan.withholding.matcher;
    let mut media = HashMap::new();
    for it in &plan.items {
        if let Some(info) = vault.stored_media_info(&it.id)? {
            media.insert(it.id.clone(), scrubbed(&info, m));
        }
    }
    let sources: HashMap<&str, &str> = wire
        .iter()
        .map(|w| (w.id.as_str(), w.source.as_str()))
        .collect();
    let matrix = corroboration_by(&plan.sheet, &|id| sources.get(id).copied());
    let ctx = Context {
        media: &media,
        matrix: &matrix,
        sheet: &plan.sheet,
        items: wire,
        key: &public,
        exported_at,
        recipient: plan.recipient.as_str(),
        withheld: plan.withholding.persons.len(),
        events: records.proofs.proofs.len(),
    };
    let case_file = CaseFile {
        schema: line(format::BUNDLE_SCHEMA, "schema")?,
        exported_at: line(exported_at, "export time")?,
        prepared_for: PreparedFor {
            usage: ConsentUse::Submission,
            recipient: plan.recipient,
            language: language
                .filter(|l| *l != Language::En)
                .map(|l| line(l.code(), "language"))
                .transpose()?,
        },
        origin: line(vault.origin(), "the log's origin")?,
        device_key: SealKey {
            key_id: line(&public.key_id_hex(), "key id")?,
            minisign: line(&public.minisign_line(), "key")?,
            fingerprint: Some(
                Sha256Hex::parse(&public.fingerprint())
                    .map_err(|e| BundleError::Input(e.to_string()))?,
            ),
        },
        withheld_persons: plan.withholding.persons.len(),
        case: plan.sheet.clone(),
        items: wire.to_vec(),
    };
    let head = &records.head;
    let checkpoint_signature = seal::sign(
        vault.device(),
        head.note.as_bytes(),
        &format!(
            "casefile checkpoint of log {} at size {}",
            vault.origin(),
            head.size
        ),
    );
    let html = report::report_html(&ctx);
    let fonts = crate::typeset::Fonts::system().map_err(|e| BundleError::Input(e.to_string()))?;
    let pdf = super::report_pdf::report_pdf(
        &fonts,
        &html,
        &plan.sheet.id,
        &plan.sheet.title,
        exported_at,
    )
    .map_err(|e| BundleError::Input(format!("report.pdf: {e}")))?;
    let mut files: Vec<(String, String)> = vec![
        (format::CASE_JSON.into(), pretty(&case_file)?),
        (format::CUSTODY.into(), records.lines),
        (format::DISCLOSURES.into(), records.disclosures),
        (format::PROOFS.into(), pretty(&records.proofs)?),
        (format::CHECKPOINT.into(), head.note.clone()),
        (format::CHECKPOINT_SIGNATURE.into(), checkpoint_signature),
        (format::DEVICE_PUB.into(), public.to_minisign()),
        (format::REPORT.into(), html),
        (
            format::VERIFY_TXT.into(),
            documents::verify_txt(&ctx, Language::En),
        ),
        (
            format::CERTIFICATION.into(),
            documents::certification_txt(&ctx),
        ),
    ];
    if let Some(l) = language.filter(|l| *l != Language::En) {
        files.push((l.verify_file(), documents::verify_txt(&ctx, l)));
    }
    if let Some(cert) = vault.device_certificate()? {
        files.push((format::DEVICE_CERTIFICATE.into(), cert.text));
        files.push((format::DEVICE_CERTIFICATE_SIGNATURE.into(), cert.signature));
    }
    let tokens = vault.checkpoint_tokens(head.size)?;
    let certs: BTreeMap<String, Vec<Vec<u8>>> = vault
        .authorities()?
        .into_iter()
        .map(|a| (a.name.to_string(), a.certs))
        .collect();
    let stamped =
        super::stamps::checkpoint_files(&tokens, &records.proofs.proofs, &head.leaves, &certs)
            .map_err(|e| BundleError::Input(format!("a stored time-stamp token: {e}")))?;
    files.extend(stamped.text);
    let mut binary = vec![(format::REPORT_PDF.to_string(), pdf)];
    binary.extend(stamped.binary);
    Ok(Documents { files, binary })
}

/// Step 5: manifests from known hashes (evidence from the vault, documents
/// computed here), bag-info.txt and the tag manifests.
fn tag_files(
    plan: &Plan,
    wire: &[WireItem],
    docs: &Documents,
    key: &crate::crypto::sign::DevicePublicKey,
    exported_at: &str,
) -> TagFiles {
    let mut payload: Vec<PayloadFile> = wire
        .iter()
        .map(|w| PayloadFile {
            path: w.path.as_str().to_string(),
            sha256: w.sha256.as_str().to_string(),
            sha512: w.sha512.as_str().to_string(),
            size: w.size,
        })
        .collect();
    let texts = docs.files.iter().map(|(p, t)| (p, t.as_bytes()));
    for (path, bytes) in texts.chain(docs.binary.iter().map(|(p, b)| (p, b.as_slice()))) {
        payload.push(PayloadFile {
            path: path.clone(),
            sha256: hex_digest(Alg::Sha256, bytes),
            sha512: hex_digest(Alg::Sha512, bytes),
            size: bytes.len() as u64,
        });
    }
    let sub = &plan.sheet.submission;
    let info: Vec<(&str, String)> = vec![
        ("Source-Organization", sub.organisation.clone()),
        ("Contact-Name", sub.contact_name.clone()),
        ("Contact-Email", sub.contact_email.clone()),
        ("External-Identifier", plan.sheet.id.clone()),
        ("External-Description", plan.sheet.title.clone()),
        ("Bagging-Date", exported_at.chars().take(10).collect()),
        (
            "Bag-Software-Agent",
            format!("casefile {}", env!("CARGO_PKG_VERSION")),
        ),
        ("Casefile-Device-Key", key.key_id_hex()),
        ("Casefile-Device-Fingerprint", key.fingerprint()),
    ];
    TagFiles::new(&mut payload, &info)
}

/// The bag's top folder inside an archive: the bundle's file name without
/// its extensions.
fn top_folder(bundle_name: &str) -> FileName {
    let stem = bundle_name
        .trim_end_matches(".age")
        .trim_end_matches(".tar")
        .trim_end_matches(".zip");
    FileName::sanitize(stem, 120)
}

/// A delivery, and where the hash it gives on completion is set.
type Delivering<'a> = (Box<dyn Delivery + 'a>, Arc<OnceLock<String>>);

/// Step 6: the recipe into a partial destination renamed into place once
/// complete, or into a delivery.
fn write(
    vault: &Vault,
    opts: &ExportOptions,
    recipe: &Recipe,
    delivery: Option<Delivering<'_>>,
    task: &Task<'_>,
) -> Result<(), BundleError> {
    // Progress counts the bytes of the items written, each read once.
    task.total(recipe.summary.bytes);
    let partial = partial_path(&opts.out);
    let delivered = delivery.is_some();
    if !delivered && partial.exists() {
        remove_partial(&partial);
    }
    let io_err = |e: io::Error| match e.get_ref().and_then(|i| i.downcast_ref::<BundleError>()) {
        Some(BundleError::Cancelled) => BundleError::Cancelled,
        _ if task.cancelled() => BundleError::Cancelled,
        _ => match crate::vault::vault_error(e) {
            Ok(v) => BundleError::Vault(v),
            Err(e) => BundleError::io(&opts.out, e),
        },
    };
    let top = FileName::sanitize(&recipe.top, 120);
    let result = (|| -> Result<(), BundleError> {
        let mut sink: Box<dyn BagSink + '_> = match (opts.format, delivery) {
            (Format::Encrypted, Some((d, digest))) => {
                Box::new(TarSink::deliver(d, top, recipe.mtime, digest))
            }
            (_, Some(_)) => {
                return Err(BundleError::Input(
                    "only an encrypted bundle can be delivered".into(),
                ));
            }
            (Format::Folder, None) => Box::new(FolderSink::create(&partial).map_err(io_err)?),
            (Format::Zip, None) => Box::new(ZipSink::create(&partial, top).map_err(io_err)?),
            (Format::Encrypted, None) => Box::new(
                TarSink::create(&partial, top, recipe.mtime, &opts.recipients).map_err(io_err)?,
            ),
        };
        recipe.write_into(vault, sink.as_mut(), task, &io_err)?;
        sink.finish().map_err(io_err)?;
        if delivered {
            return Ok(());
        }
        fs::rename(&partial, &opts.out).map_err(io_err)
    })();
    if result.is_err() && !delivered {
        remove_partial(&partial);
    }
    result
}

/// Exports a case as a sealed bag.
pub fn export(
    vault: &mut Vault,
    opts: &ExportOptions,
    task: &Task<'_>,
) -> Result<Exported, BundleError> {
    let recipe = seal(vault, opts)?;
    write(vault, opts, &recipe, None, task)?;
    let mut done = recipe.summary;
    if opts.format == Format::Folder {
        let tag256 = recipe
            .files
            .iter()
            .find(|g| g.path == "tagmanifest-sha256.txt")
            .and_then(|g| hex::decode(&g.hex).ok())
            .unwrap_or_default();
        done.sha256 = hex_digest(Alg::Sha256, &tag256);
        done.sha256_of = "tagmanifest-sha256.txt";
    } else {
        let mut f = File::open(&opts.out).map_err(|e| BundleError::io(&opts.out, e))?;
        let mut h = Sha256::new();
        io::copy(&mut f, &mut h).map_err(|e| BundleError::io(&opts.out, e))?;
        done.sha256 = hex::encode(h.finalize());
        done.sha256_of = "bundle file";
        if opts.format == Format::Encrypted {
            let note = opening_note_path(&opts.out);
            std::fs::write(&note, opening_note(&opts.out, &done.sha256))
                .map_err(|e| BundleError::io(&note, e))?;
            done.opening_note = Some(note);
        }
    }
    Ok(done)
}

/// Seals a case for delivery: everything an export does before the first
/// byte is written (the custody record of the export, the documents, the
/// seal and its time-stamp tokens), kept in a [`Recipe`] that
/// [`write_to`] can write any number of times with the same bytes.
pub fn seal_for_delivery(vault: &mut Vault, opts: &ExportOptions) -> Result<Recipe, BundleError> {
    if opts.format != Format::Encrypted || opts.recipients.is_empty() {
        return Err(BundleError::Input(
            "a delivered bundle is encrypted: give at least one recipient".into(),
        ));
    }
    seal(vault, opts)
}

/// Writes a sealed bag's tar stream into `delivery`, which encrypts it;
/// returns the hash the delivery gives of what it stored.
pub fn write_to(
    vault: &Vault,
    opts: &ExportOptions,
    recipe: &Recipe,
    delivery: Box<dyn Delivery + '_>,
    task: &Task<'_>,
) -> Result<String, BundleError> {
    let digest = Arc::new(OnceLock::new());
    write(
        vault,
        opts,
        recipe,
        Some((delivery, Arc::clone(&digest))),
        task,
    )?;
    Ok(digest.get().cloned().unwrap_or_default())
}

/// Checks, before a kept recipe is written again, that it is still what an
/// export of `opts` would send now: the same items under the same names,
/// and no file naming a person whose consent no longer covers it. Fails
/// closed: a case changed since it was sealed is sealed anew.
pub fn recheck(vault: &Vault, opts: &ExportOptions, recipe: &Recipe) -> Result<(), BundleError> {
    let plan = plan(vault, opts)?;
    let wire = wire_items(&plan)?;
    if carried(&plan, &wire) != recipe.items {
        return Err(BundleError::Input(
            "the case's items, or what consent allows of them, changed since this bundle was sealed"
                .into(),
        ));
    }
    for (what, text) in recipe.texts() {
        plan.withholding
            .matcher
            .check(&format!("the bundle's {what}"), &text)?;
    }
    Ok(())
}

/// The plan's items as the bundle describes them, parents outside it dropped.
fn wire_items(plan: &Plan) -> Result<Vec<WireItem>, BundleError> {
    let mut wire: Vec<WireItem> = plan
        .items
        .iter()
        .map(|it| wire_item(it, &plan.withholding))
        .collect::<Result<_, _>>()?;
    drop_outside_parents(&mut wire);
    Ok(wire)
}

/// The items a bag carries, by id, path and size.
fn carried(plan: &Plan, wire: &[WireItem]) -> Vec<Carried> {
    plan.items
        .iter()
        .zip(wire)
        .map(|(it, w)| Carried {
            id: it.id.to_string(),
            path: w.path.as_str().to_string(),
            size: it.size,
        })
        .collect()
}

/// Steps 1 to 5: what consent allows, the export's custody record, the
/// documents, the tag files, the seal and its tokens.
fn seal(vault: &mut Vault, opts: &ExportOptions) -> Result<Recipe, BundleError> {
    let plan = plan(vault, opts)?;
    let bundle_name = opts
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let wire = wire_items(&plan)?;
    let head = record(vault, &plan, &bundle_name)?;
    let (lines, disclosures, proofs) = custody(vault, &plan.items, &head, &plan.withholding)?;
    let records = Records {
        head,
        lines,
        disclosures,
        proofs,
    };
    let exported_at = log::now_utc();
    let docs = documents(vault, &plan, &wire, records, &exported_at, opts.language)?;
    let public = vault.device_key();
    let tags = tag_files(&plan, &wire, &docs, &public, &exported_at);
    let signature = seal::sign(
        vault.device(),
        tags.tag256.as_bytes(),
        &format!(
            "casefile bundle of case {} exported {}, sealed by key {}",
            plan.sheet.id,
            exported_at,
            public.fingerprint()
        ),
    );
    // Fail closed: whatever the steps above did, no file of the bundle may
    // name a withheld person.
    let m = &plan.withholding.matcher;
    for (name, text) in docs
        .files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .chain(tags.files())
        .chain([(format::SIGNATURE, signature.as_str())])
    {
        m.check(&format!("the bundle's {name}"), text)?;
    }
    for w in &wire {
        m.check("the name of an evidence file", w.path.as_str())?;
    }
    // Trusted time for the seal itself, from every authority that answers.
    let (stamps, stamp_failures) = vault.stamp_seal(signature.as_bytes(), &bundle_name)?;
    let seal_tokens = stamps
        .iter()
        .map(|t| {
            crate::timestamp::token::as_reply(&t.token)
                .map(|r| (format::seal_token_name(t.authority.as_str()), r))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| BundleError::Input(format!("a time-stamp token: {e}")))?;
    let generated = |path: &str, bytes: &[u8]| Generated {
        path: path.to_string(),
        hex: hex::encode(bytes),
    };
    let mut files: Vec<Generated> = tags
        .files()
        .into_iter()
        .chain([(format::SIGNATURE, signature.as_str())])
        .map(|(n, t)| generated(n, t.as_bytes()))
        .collect();
    files.extend(docs.files.iter().map(|(n, t)| generated(n, t.as_bytes())));
    files.extend(
        docs.binary
            .iter()
            .chain(&seal_tokens)
            .map(|(n, b)| generated(n, b)),
    );
    let items = carried(&plan, &wire);
    let mtime =
        time::OffsetDateTime::parse(&exported_at, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp().max(0) as u64)
            .unwrap_or(0);
    Ok(Recipe {
        top: top_folder(&bundle_name).to_string(),
        mtime,
        files,
        items,
        summary: Exported {
            path: opts.out.clone(),
            sha256: String::new(),
            sha256_of: "",
            items: plan.items.len(),
            bytes: plan.items.iter().map(|i| i.size).sum(),
            withheld_persons: plan.withholding.persons,
            withheld_items: plan.withheld_items,
            unredacted: plan.unredacted,
            key_id: public.key_id_hex(),
            fingerprint: public.fingerprint(),
            sealed_no_later_than: stamps
                .into_iter()
                .map(|t| (t.authority.to_string(), t.time))
                .collect(),
            stamp_failures,
            opening_note: None,
        },
    })
}
