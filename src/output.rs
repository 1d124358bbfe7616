//! Printing for people and for scripts, and the progress bar.
//!
//! Everything printed goes through [`terminal`] (the `say!` and `warn!`
//! macros) or [`json`]: a title received from a stranger may hold escape
//! sequences that retitle the window, clear the screen or forge a line of
//! output, and none of them reaches the terminal raw.

/// `println!`, with control characters escaped (see [`terminal`]).
macro_rules! say {
    () => { $crate::output::line_out("") };
    ($($arg:tt)*) => { $crate::output::line_out(&$crate::output::terminal(&format!($($arg)*))) };
}

/// `eprintln!`, with control characters escaped (see [`terminal`]).
macro_rules! warn {
    ($($arg:tt)*) => { $crate::output::line_err(&$crate::output::terminal(&format!($($arg)*))) };
}

use std::io::{IsTerminal, Write};

/// Writes one line to standard output. A reader that went away (`| head`)
/// ends the process quietly, as other command-line tools do; any other
/// failure to write is said on standard error, where it can still be seen.
pub fn line_out(text: &str) {
    if let Err(e) = writeln!(std::io::stdout().lock(), "{text}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        line_err(&format!("error: cannot write the output: {e}"));
        std::process::exit(i32::from(crate::errors::USAGE));
    }
}

/// Writes one line to standard error, never panicking when it is closed.
pub fn line_err(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

use casefile::Item;
use casefile::custody::Event;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Characters a terminal may act on: C0 and C1 controls, DEL, and the
/// bidirectional overrides that reorder what is shown.
fn is_unsafe(c: char) -> bool {
    c.is_control() || casefile::names::is_bidi_control(c)
}

/// Text for a terminal: every control character except line breaks and
/// tabs written as an escape (`\x1b`, `\u{202e}`), so it is shown, not obeyed.
pub fn terminal(text: &str) -> std::borrow::Cow<'_, str> {
    escape(text, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// One line for a terminal: as [`terminal`], line breaks escaped too, for
/// values printed inside a line (a title in a table).
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    escape(text, is_unsafe)
}

fn escape(text: &str, bad: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(&bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !bad(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Prints a value as pretty JSON on stdout. JSON escapes C0 controls; the
/// characters it leaves (DEL, C1 controls, bidirectional overrides) are
/// escaped here as `\uXXXX`, which every JSON reader decodes the same.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    line_out(&out);
    Ok(())
}

/// An event as JSON with its `id` (the sequence number), as every listing has.
pub fn event_json(e: &Event) -> serde_json::Value {
    let mut v = serde_json::to_value(e).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.insert("id".into(), e.seq.into());
    }
    v
}

/// Human-readable size.
pub fn size(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}

/// One line per item: id, kind, size, title.
pub fn item_table(items: &[Item]) {
    if items.is_empty() {
        say!("The vault holds no items yet. Add some with `casefile add FILE...`.");
        return;
    }
    say!("{:<10}  {:<16}  {:>10}  TITLE", "ID", "KIND", "SIZE");
    for it in items {
        say!(
            "{:<10}  {:<16}  {:>10}  {}",
            it.id,
            it.kind.as_str(),
            size(it.size),
            one_line(&it.title)
        );
    }
}

/// All fields of one item.
pub fn item_detail(it: &Item) {
    let rows: [(&str, String); 17] = [
        ("id", it.id.clone()),
        ("title", it.title.clone()),
        ("kind", it.kind.to_string()),
        ("original name", it.original_name.clone()),
        ("type", it.mime.clone()),
        ("size", format!("{} ({} bytes)", size(it.size), it.size)),
        ("sha256", it.sha256.clone()),
        ("sha512", it.sha512.clone()),
        ("ingested", it.ingested_at.clone()),
        (
            "captured (stated)",
            it.captured_at.clone().unwrap_or_default(),
        ),
        ("collector", it.collector.clone()),
        ("source", it.source.clone()),
        ("method", it.method.clone()),
        ("language", it.language.clone()),
        ("notes", it.notes.clone()),
        ("restriction", it.restriction.clone()),
        ("derived from", it.parent.clone().unwrap_or_default()),
    ];
    for (k, v) in rows.iter().filter(|(_, v)| !v.is_empty()) {
        let v = if *k == "notes" {
            terminal(v)
        } else {
            one_line(v)
        };
        say!("{k:>19}: {v}");
    }
}

/// One line per event.
pub fn event_line(e: &Event) {
    let item = e.item.as_deref().unwrap_or("-");
    let hash = e
        .sha256
        .as_deref()
        .map(|h| &h[..h.len().min(16)])
        .unwrap_or("-");
    say!(
        "{:>6}  {}  {:<15}  {:<10}  {:<16}  {}",
        e.seq,
        e.time,
        e.action.as_str(),
        item,
        hash,
        e.actor
    );
}

/// A byte progress bar on a terminal; hidden when stderr is not one.
pub fn progress(total: u64, label: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(label.to_string());
    bar
}
