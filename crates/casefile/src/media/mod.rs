//! Photos and recordings: facts read from their metadata, thumbnails, and
//! redacted copies. Everything works on bytes in memory; nothing is written
//! to disk in the clear.

mod damage;
mod facts;
mod heif;
mod movie;
mod pdf;
mod photo;
mod probe;
mod recording;
pub mod redact;
pub mod segments;
mod tags;

pub use heif::{CHILD_ARG as HEIF_CHILD_ARG, serve_if_asked as serve_heif_decoder_if_asked};

use std::io::{Cursor, Read, Seek};

use serde::{Deserialize, Serialize};

pub use photo::{THUMBNAIL_SIDE, decode, thumbnail};
pub use redact::{Redaction, Region};

/// Largest file read into memory to decode an image or scan a PDF.
pub const MAX_IN_MEMORY: u64 = 96 << 20;

/// What went wrong with a picture.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The bytes are not an image this build can decode.
    #[error("{0}")]
    Unsupported(String),
    /// The image is damaged or truncated.
    #[error("the image cannot be decoded: {0}")]
    Decode(String),
    /// A region lies outside the picture or is empty.
    #[error("{0}")]
    Region(String),
    /// The picture is larger than this build decodes (its header says so;
    /// nothing was allocated for it).
    #[error(
        "too large to preview or redact here ({width} x {height} pixels); the original is kept unchanged"
    )]
    TooLarge {
        /// Width its header declares.
        width: u32,
        /// Height its header declares.
        height: u32,
    },
    /// Encoding the result failed.
    #[error("the redacted image could not be encoded: {0}")]
    Encode(String),
    /// Reading the content failed.
    #[error("reading the content failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A GPS fix read from a photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Degrees north (negative: south).
    pub latitude: f64,
    /// Degrees east (negative: west).
    pub longitude: f64,
    /// Metres above sea level, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude: Option<f64>,
    /// Horizontal accuracy in metres, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
}

/// Facts read from a file's own metadata at ingest. The capture time here is
/// what the device wrote, kept apart from the ingest time and from a time
/// the collector states.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaInfo {
    /// Pixel width as displayed (after orientation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Pixel height as displayed (after orientation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Capture time written by the device (`YYYY-MM-DDTHH:MM:SS`, with an
    /// offset when the device recorded one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    /// When the document says it was made (PDF CreationDate, else XMP
    /// CreateDate); not a capture time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When the file was last saved, by the device or an editor (EXIF
    /// DateTime, when it differs from the capture time; a PDF's ModDate,
    /// else XMP ModifyDate); not a capture time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
    /// UTC time of the GPS fix (`YYYY-MM-DDTHH:MM:SSZ`), from the satellites
    /// rather than the device's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps_time: Option<String>,
    /// Where the device says it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Device maker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    /// Device model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Software that wrote the file (a PDF's Producer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    /// Application the document was made in, before conversion to PDF
    /// (a PDF's Creator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_with: Option<String>,
    /// True when the PDF is encrypted (with or without a password to open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// EXIF orientation (1–8), when not the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<u32>,
    /// Duration of a recording, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Video codec, as ffprobe names it (`h264`, `hevc`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_codec: Option<String>,
    /// Video frames per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
    /// Audio codec, as ffprobe names it (`mp3`, `opus`, `vorbis`, `flac`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Audio channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<u32>,
    /// Audio sample rate, Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
    /// Number of pages of a PDF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    /// PDF version from its header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_version: Option<String>,
    /// Why something could not be read (no preview, unsupported format,
    /// damaged metadata, values out of range), sentences joined by "; ".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl MediaInfo {
    /// True when nothing was learnt.
    pub fn is_empty(&self) -> bool {
        *self == MediaInfo::default()
    }

    /// Adds a sentence to the note.
    pub fn add_note(&mut self, sentence: &str) {
        match &mut self.note {
            Some(note) => {
                note.push_str("; ");
                note.push_str(sentence);
            }
            None => self.note = Some(sentence.to_string()),
        }
    }
}

/// What analysing one file produced.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Facts from its metadata.
    pub info: MediaInfo,
    /// A small JPEG, oriented, for images that could be decoded.
    pub thumbnail: Option<Vec<u8>>,
}

/// Longest name (a producer, an encoder) kept from a file, in characters.
const NAME_CHARS: usize = 200;

/// A name a file gives of its software or date, trimmed, without control
/// characters, bounded; `None` when nothing is left.
fn clean_text(s: &str) -> Option<String> {
    let s: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_CHARS)
        .collect();
    (!s.is_empty()).then_some(s)
}

/// True for MIME types worth analysing.
pub fn wanted(mime: &str) -> bool {
    mime.starts_with("image/")
        || mime.starts_with("video/")
        || mime.starts_with("audio/")
        || mime == "application/pdf"
}

/// Reads what can be learnt from a file of type `mime` and `size` bytes.
/// Never fails: what cannot be read becomes a note.
pub fn analyze<R: Read + Seek>(mime: &str, size: u64, content: &mut R) -> Analysis {
    let mut analysis = Analysis::default();
    if mime.starts_with("image/") {
        if size > MAX_IN_MEMORY {
            analysis.info.add_note(&format!(
                "no preview: the image is larger than {} MiB",
                MAX_IN_MEMORY >> 20
            ));
            return analysis;
        }
        let mut bytes = Vec::with_capacity(size as usize);
        if let Err(e) = content.take(MAX_IN_MEMORY).read_to_end(&mut bytes) {
            analysis
                .info
                .add_note(&format!("the image could not be read: {e}"));
            return analysis;
        }
        tags::read_exif(&bytes, &mut analysis.info);
        match photo::decode(&bytes) {
            Ok(image) => {
                analysis.info.width = Some(image.width());
                analysis.info.height = Some(image.height());
                match photo::thumbnail(&image) {
                    Ok(jpeg) => analysis.thumbnail = Some(jpeg),
                    Err(e) => analysis.info.add_note(&format!("no preview: {e}")),
                }
            }
            Err(e) => analysis.info.add_note(&format!("no preview: {e}")),
        }
    } else if mime == "application/pdf" {
        if size > MAX_IN_MEMORY {
            analysis.info.add_note(&format!(
                "no page count: the PDF is larger than {} MiB",
                MAX_IN_MEMORY >> 20
            ));
        } else {
            let mut bytes = Vec::with_capacity(size as usize);
            match content.take(MAX_IN_MEMORY).read_to_end(&mut bytes) {
                Ok(_) => pdf::read(&bytes, &mut analysis.info),
                Err(e) => analysis
                    .info
                    .add_note(&format!("the PDF could not be read: {e}")),
            }
        }
    } else if mime == "audio/x-wav" || mime == "audio/wav" || mime == "audio/vnd.wave" {
        probe::wav(content, &mut analysis.info);
    } else if is_iso_media(mime) {
        probe::mp4(content, size, &mut analysis.info);
    } else if mime.starts_with("video/") || mime.starts_with("audio/") {
        recording::read(mime, content, size, &mut analysis.info);
    }
    analysis
}

/// ISO media files (MP4, MOV, M4A, 3GP), read by the box reader.
fn is_iso_media(mime: &str) -> bool {
    matches!(
        mime,
        "video/mp4"
            | "video/quicktime"
            | "video/3gpp"
            | "video/3gpp2"
            | "video/x-m4v"
            | "audio/mp4"
            | "audio/m4a"
            | "audio/x-m4a"
            | "audio/3gpp"
    )
}

/// [`analyze`] over bytes in memory.
pub fn analyze_bytes(mime: &str, data: &[u8]) -> Analysis {
    analyze(mime, data.len() as u64, &mut Cursor::new(data))
}
