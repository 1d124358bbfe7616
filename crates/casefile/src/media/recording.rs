//! Facts about sound recordings (MP3, Ogg Vorbis and Opus, FLAC, WebM and
//! Matroska), read by Symphonia's demuxers: codec, channels, sample rate,
//! duration, the encoder and the recording date. Nothing is decoded.
//!
//! Artist and title tags are not kept: on a recording they often name the
//! person speaking, and a fact that names a person would have to be
//! weighed for consent.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::well_known as audio;
use symphonia::core::common::Limit;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, StandardTag};

use super::probe::ReadSeek;
use super::{MediaInfo, clean_text};

/// A request from the probing thread to the thread that holds the reader.
enum Request {
    Read(usize),
    Seek(SeekFrom),
}

/// The answer to a [`Request`].
enum Reply {
    Data(Vec<u8>),
    Position(u64),
}

/// Symphonia's source: the item's reader, reached over channels. Symphonia
/// wants a source it could send to another thread, and the vault's
/// decrypting reader, which borrows the open vault, is not one; so the probe
/// runs on a scoped thread and asks for bytes.
struct Remote {
    channel: Mutex<(Sender<Request>, Receiver<std::io::Result<Reply>>)>,
    len: u64,
}

impl Remote {
    fn ask(&self, request: Request) -> std::io::Result<Reply> {
        let gone = || std::io::Error::other("the recording's reader stopped");
        let channel = self.channel.lock().map_err(|_| gone())?;
        channel.0.send(request).map_err(|_| gone())?;
        channel.1.recv().map_err(|_| gone())?
    }
}

impl Read for Remote {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.ask(Request::Read(buf.len()))? {
            Reply::Data(data) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                Ok(n)
            }
            Reply::Position(_) => Err(std::io::Error::other("unexpected reply")),
        }
    }
}

impl Seek for Remote {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        match self.ask(Request::Seek(pos))? {
            Reply::Position(p) => Ok(p),
            Reply::Data(_) => Err(std::io::Error::other("unexpected reply")),
        }
    }
}

impl MediaSource for Remote {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// Largest read served at once.
const READ_CHUNK: usize = 1 << 20;

/// Longest tag kept in memory while probing: tags are small; pictures are
/// skipped entirely.
const TAG_BYTES: usize = 64 << 10;

/// Fills `info` from a recording; what cannot be read becomes a note. A
/// demuxer that panics on a hostile file costs only the facts.
pub(super) fn read(mime: &str, content: &mut dyn ReadSeek, size: u64, info: &mut MediaInfo) {
    let (requests, asked) = mpsc::channel::<Request>();
    let (replies, answered) = mpsc::channel::<std::io::Result<Reply>>();
    let remote = Remote {
        channel: Mutex::new((requests, answered)),
        len: size,
    };
    let mut found = MediaInfo::default();
    let probed = std::thread::scope(|scope| {
        let worker = scope.spawn(|| probe(mime, remote, &mut found));
        // Serve the probe until it is done and drops its end.
        for request in asked {
            let reply = match request {
                Request::Read(n) => {
                    let mut buf = vec![0u8; n.min(READ_CHUNK)];
                    content.read(&mut buf).map(|k| {
                        buf.truncate(k);
                        Reply::Data(buf)
                    })
                }
                Request::Seek(pos) => content.seek(pos).map(Reply::Position),
            };
            if replies.send(reply).is_err() {
                break;
            }
        }
        worker.join().is_ok()
    });
    if probed {
        merge(info, found);
    } else {
        info.add_note("the recording's container could not be read (the reader failed on it)");
    }
}

/// Copies what the probe learnt into `info`.
fn merge(info: &mut MediaInfo, found: MediaInfo) {
    info.codec = found.codec;
    info.channels = found.channels;
    info.sample_rate = found.sample_rate;
    info.duration = found.duration;
    info.software = found.software;
    info.created_at = found.created_at;
    if let Some(note) = found.note {
        info.add_note(&note);
    }
}

/// Probes the recording through `remote` into `info`.
fn probe(mime: &str, remote: Remote, info: &mut MediaInfo) {
    let stream = MediaSourceStream::new(Box::new(remote), MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    hint.mime_type(mime);
    let options = MetadataOptions::default()
        .limit_tag_bytes(Limit::Maximum(TAG_BYTES))
        .limit_visual_bytes(Limit::Maximum(0));
    let mut format = match symphonia::default::get_probe().probe(
        &hint,
        stream,
        FormatOptions::default(),
        options,
    ) {
        Ok(f) => f,
        Err(e) => {
            info.add_note(&format!(
                "the recording's container could not be read ({e}); no duration or codec"
            ));
            return;
        }
    };
    read_tags(format.as_mut(), info);
    let Some(track) = format
        .first_track(TrackType::Audio)
        .or_else(|| format.tracks().first())
        .cloned()
    else {
        info.add_note("the recording holds no track that could be read");
        return;
    };
    if let Some(CodecParameters::Audio(a)) = &track.codec_params {
        info.codec = Some(codec_name(a.codec).to_string());
        info.channels = a.channels.as_ref().map(|c| c.count() as u32);
        info.sample_rate = a.sample_rate;
    }
    let stated = track
        .time_base
        .zip(track.duration)
        .and_then(|(tb, d)| tb.calc_duration(d))
        .map(|t| t.as_secs_f64());
    // The packets are walked to the end, reading headers only: an MP3
    // without a Xing or VBRI frame gives no length in its headers, and a
    // cut-off file keeps the length its headers promised.
    let present = walked(format.as_mut(), &track);
    info.duration = present.or(stated);
    match (stated, present) {
        (Some(s), Some(p)) if p < s * 0.98 - 0.05 => info.add_note(&format!(
            "the recording holds {p:.1} s of the {s:.1} s its header gives: it may be cut off"
        )),
        (_, None) if stated.is_none() => {
            info.add_note("the recording's duration could not be read")
        }
        _ => {}
    }
}

/// The duration found by walking every packet of `track`.
fn walked(format: &mut dyn FormatReader, track: &symphonia::core::formats::Track) -> Option<f64> {
    let tb = track.time_base?;
    let mut end = 0u64;
    loop {
        match format.next_packet() {
            Ok(Some(p)) if p.track_id == track.id => {
                let at = u64::try_from(p.pts.get()).unwrap_or(0);
                end = end.max(at.saturating_add(p.dur.get()));
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    (end > 0)
        .then(|| tb.calc_duration(symphonia::core::units::Duration::new(end)))
        .flatten()
        .map(|t| t.as_secs_f64())
}

/// The encoder and recording date of the newest metadata revision.
fn read_tags(format: &mut dyn FormatReader, info: &mut MediaInfo) {
    let mut metadata = format.metadata();
    let Some(revision) = metadata.skip_to_latest() else {
        return;
    };
    for tag in &revision.media.tags {
        match &tag.std {
            Some(StandardTag::Encoder(s) | StandardTag::EncodedBy(s))
                if info.software.is_none() =>
            {
                info.software = clean_text(s);
            }
            Some(
                StandardTag::RecordingDate(s)
                | StandardTag::RecordingTime(s)
                | StandardTag::OriginalRecordingDate(s),
            ) if info.created_at.is_none() => info.created_at = clean_text(s),
            _ => {}
        }
    }
}

/// The short name ffprobe also gives a codec.
fn codec_name(id: symphonia::core::codecs::audio::AudioCodecId) -> &'static str {
    match id {
        audio::CODEC_ID_MP3 => "mp3",
        audio::CODEC_ID_MP2 => "mp2",
        audio::CODEC_ID_AAC => "aac",
        audio::CODEC_ID_VORBIS => "vorbis",
        audio::CODEC_ID_OPUS => "opus",
        audio::CODEC_ID_FLAC => "flac",
        audio::CODEC_ID_ALAC => "alac",
        _ => "other",
    }
}
