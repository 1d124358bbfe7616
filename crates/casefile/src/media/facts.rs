//! The media facts of an item as a reader is shown them: labelled rows, the
//! same on the command line, in the desktop app and in a bundle's report.

use super::MediaInfo;

/// Metres as recorded: whole when whole, else to the decimetre.
fn metres(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        format!("{m:.1}")
    }
}

impl MediaInfo {
    /// The facts, each with its label, in reading order; a document's dates
    /// are labelled as the document's, not a device's.
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        let info = self;
        let mut rows: Vec<(&'static str, String)> = Vec::new();
        if let (Some(w), Some(h)) = (info.width, info.height) {
            rows.push(("dimensions", format!("{w} × {h}")));
        }
        if let Some(at) = &info.captured_at {
            rows.push(("captured (device)", at.clone()));
        }
        // A document's dates are the document's own, not a device's.
        let document = info.pdf_version.is_some();
        if let Some(at) = &info.created_at {
            let label = if document {
                "created (document)"
            } else {
                "created (file)"
            };
            rows.push((label, at.clone()));
        }
        if let Some(at) = &info.modified_at {
            let label = if document {
                "modified (document)"
            } else {
                "modified (device)"
            };
            rows.push((label, at.clone()));
        }
        if let Some(at) = &info.gps_time {
            rows.push(("GPS time (UTC)", at.clone()));
        }
        if let Some(p) = &info.position {
            let mut s = format!("{:.6}, {:.6}", p.latitude, p.longitude);
            if let Some(a) = p.altitude {
                s.push_str(&format!(", {} m altitude", metres(a)));
            }
            if let Some(a) = p.accuracy {
                s.push_str(&format!(", ±{} m", metres(a)));
            }
            rows.push(("position", s));
        }
        let device = [info.make.as_deref(), info.model.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !device.is_empty() {
            rows.push(("device", device));
        }
        if let Some(s) = &info.software {
            rows.push(("software", s.clone()));
        }
        if let Some(s) = &info.made_with {
            rows.push(("made with", s.clone()));
        }
        if let Some(o) = info.orientation {
            rows.push(("orientation", format!("EXIF {o}")));
        }
        if let Some(v) = &info.video_codec {
            let rate = info
                .frame_rate
                .map(|r| format!(", {r} frames/s"))
                .unwrap_or_default();
            rows.push(("video", format!("{v}{rate}")));
        }
        if let Some(d) = info.duration {
            rows.push(("duration", format!("{d:.1} s")));
        }
        if let (Some(c), Some(r)) = (info.channels, info.sample_rate) {
            let codec = info
                .codec
                .as_deref()
                .map(|c| format!("{c}, "))
                .unwrap_or_default();
            rows.push(("audio", format!("{codec}{c} channel(s), {r} Hz")));
        }
        if let Some(p) = info.pages {
            rows.push(("pages", p.to_string()));
        }
        if let Some(v) = &info.pdf_version {
            rows.push(("pdf version", v.clone()));
        }
        if info.encrypted == Some(true) {
            rows.push(("encrypted", "yes".into()));
        }
        if let Some(n) = &info.note {
            rows.push(("note", n.clone()));
        }
        rows
    }
}
