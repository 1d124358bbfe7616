//! `redact` and the media facts shown by `show`.

use std::process::ExitCode;

use casefile::Vault;
use casefile::media::{MediaInfo, Redaction, Region};
use casefile::vault::NewItem;
use clap::Args;

use crate::output;

/// Arguments of `redact`.
#[derive(Args)]
pub struct RedactArgs {
    /// Item id (a photo) or a unique prefix of it.
    id: String,
    /// Drop all metadata (always done: the copy is re-encoded from its pixels alone).
    #[arg(long)]
    strip_metadata: bool,
    /// Paint a region solid black: x,y,width,height in pixels as displayed. Repeatable.
    #[arg(long = "box", value_name = "X,Y,W,H")]
    boxes: Vec<Region>,
    /// Blur a region beyond recovery: x,y,width,height in pixels as displayed. Repeatable.
    #[arg(long = "blur", value_name = "X,Y,W,H")]
    blurs: Vec<Region>,
    /// Title of the redacted copy (default: the original's title + " (redacted)").
    #[arg(long)]
    title: Option<String>,
}

/// `redact`.
pub fn redact(vault: &mut Vault, a: RedactArgs, json: bool) -> anyhow::Result<ExitCode> {
    if !a.strip_metadata && a.boxes.is_empty() && a.blurs.is_empty() {
        anyhow::bail!("say what to redact: --strip-metadata, --box X,Y,W,H or --blur X,Y,W,H");
    }
    let redaction = Redaction {
        boxes: a.boxes,
        blurs: a.blurs,
    };
    let meta = NewItem {
        title: a.title,
        ..NewItem::default()
    };
    let item = vault.redact(&a.id, &redaction, &meta)?;
    if json {
        output::json(&item)?;
    } else {
        say!(
            "redacted {} into {}  {}  (metadata stripped, {} black, {} blurred)",
            item.parent.as_deref().unwrap_or_default(),
            item.id,
            item.sha256,
            redaction.boxes.len(),
            redaction.blurs.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The media facts of an item, one per line, in the style of `show`.
pub fn detail(info: &MediaInfo) {
    for (k, v) in info.facts() {
        say!("{k:>19}: {v}");
    }
}
