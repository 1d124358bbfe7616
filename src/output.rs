//! Printing for people and for scripts, and the progress bar.

use std::io::IsTerminal;

use casefile::Item;
use casefile::custody::Event;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Prints a value as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
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
        println!("The vault holds no items yet. Add some with `casefile add FILE...`.");
        return;
    }
    println!("{:<10}  {:<16}  {:>10}  TITLE", "ID", "KIND", "SIZE");
    for it in items {
        println!(
            "{:<10}  {:<16}  {:>10}  {}",
            it.id,
            it.kind.as_str(),
            size(it.size),
            it.title
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
        println!("{k:>17}: {v}");
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
    println!(
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
