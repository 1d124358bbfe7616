//! The `casefile:` protocol: decrypted previews streamed straight to the
//! webview from the vault, never through a file.
//! `casefile://localhost/TOKEN/thumb/ID` is an item's thumbnail;
//! `casefile://localhost/TOKEN/original/ID` its original bytes, with HTTP
//! range requests for audio and video. TOKEN is random for each unlock, so
//! an address from before a lock never shows anything after it; ID must be
//! a whole item id.

use std::io::Read;

use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

/// Most bytes sent for one range request; players ask again for more.
const MAX_SLICE: u64 = 4 << 20;
/// Largest whole original sent in one response (pictures).
const MAX_WHOLE: u64 = casefile::media::MAX_IN_MEMORY;

/// Handles one request on a worker thread, so the window never waits on the vault.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = ctx.app_handle().clone();
    std::thread::spawn(move || {
        let state = app.state::<AppState>();
        responder.respond(respond(&state, &request));
    });
}

fn plain(status: StatusCode, message: &str) -> Response<Vec<u8>> {
    with_headers(Response::builder().status(status))
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(message.as_bytes().to_vec())
        .unwrap_or_default()
}

/// Nothing served here may be cached (on disk, in the clear), sniffed into
/// another type, or run as a document.
fn with_headers(b: tauri::http::response::Builder) -> tauri::http::response::Builder {
    b.header(header::CACHE_CONTROL, "no-store")
        .header("X-Content-Type-Options", "nosniff")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        )
}

/// Types a webview shows without running anything, and whose decoders are
/// the common, well-worn ones: an allow-list, not everything called image/.
pub fn previewable(mime: &str) -> bool {
    matches!(
        mime,
        "image/jpeg"
            | "image/png"
            | "image/webp"
            | "image/gif"
            | "video/mp4"
            | "video/webm"
            | "video/ogg"
            | "audio/mp4"
            | "audio/mpeg"
            | "audio/ogg"
            | "audio/webm"
            | "audio/wav"
            | "audio/x-wav"
            | "audio/vnd.wave"
            | "audio/flac"
            | "audio/x-flac"
    )
}

fn respond(state: &AppState, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let path = request.uri().path().trim_start_matches('/');
    let mut parts = path.splitn(3, '/');
    let (Some(token), Some(what), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return plain(StatusCode::NOT_FOUND, "no such preview");
    };
    if state.token().as_deref() != Some(token) {
        return plain(StatusCode::FORBIDDEN, "the vault is locked");
    }
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let result = state.with(|vault| {
        Ok(match what {
            "thumb" => match vault.thumbnail(&vault.item_exact(id)?.id)? {
                Some(jpeg) => with_headers(Response::builder())
                    .header(header::CONTENT_TYPE, "image/jpeg")
                    .body(jpeg)
                    .unwrap_or_default(),
                None => plain(StatusCode::NOT_FOUND, "no thumbnail"),
            },
            "original" => original(vault, id, range.as_deref())?,
            _ => plain(StatusCode::NOT_FOUND, "no such preview"),
        })
    });
    result.unwrap_or_else(|e| {
        let status = if e.code == crate::error::ErrorCode::Locked {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        plain(status, &e.message)
    })
}

fn original(
    vault: &mut casefile::Vault,
    id: &str,
    range: Option<&str>,
) -> crate::error::ApiResult<Response<Vec<u8>>> {
    let item = vault.item_exact(id)?;
    if !previewable(&item.mime) {
        return Ok(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "this kind of file is not previewed; extract it to open it",
        ));
    }
    let size = item.size;
    let (start, end, partial) = match range.map(|r| parse_range(r, size)) {
        Some(Some((start, end))) => (start, end.min(start + MAX_SLICE - 1), true),
        Some(None) => {
            return Ok(
                with_headers(Response::builder().status(StatusCode::RANGE_NOT_SATISFIABLE))
                    .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                    .body(Vec::new())
                    .unwrap_or_default(),
            );
        }
        None if size > MAX_WHOLE => (0, MAX_SLICE.min(size).saturating_sub(1), true),
        None => (0, size.saturating_sub(1), false),
    };
    let len = if size == 0 { 0 } else { end - start + 1 };
    let (_, reader) = vault.open_item_at(&item.id, start)?;
    let mut body = Vec::with_capacity(len as usize);
    reader.take(len).read_to_end(&mut body).map_err(|e| {
        crate::error::ApiError::new(
            crate::error::ErrorCode::Damaged,
            format!("item {} cannot be read: {e}", item.id),
        )
    })?;
    let mut b = with_headers(Response::builder())
        .header(header::CONTENT_TYPE, item.mime.as_str())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, body.len());
    if partial {
        b = b
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"));
    }
    Ok(b.body(body).unwrap_or_default())
}

/// The first range of a `Range: bytes=...` header as inclusive offsets, or
/// None when it cannot be satisfied.
pub fn parse_range(header: &str, size: u64) -> Option<(u64, u64)> {
    let spec = header
        .trim()
        .strip_prefix("bytes=")?
        .split(',')
        .next()?
        .trim();
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            if n == 0 {
                return None;
            }
            (size.saturating_sub(n), size.checked_sub(1)?)
        }
        (s, "") => (s.parse().ok()?, size.checked_sub(1)?),
        (s, e) => (
            s.parse().ok()?,
            e.parse::<u64>().ok()?.min(size.checked_sub(1)?),
        ),
    };
    (start <= end && start < size).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some((0, 99)));
        assert_eq!(parse_range("bytes=500-", 1000), Some((500, 999)));
        assert_eq!(parse_range("bytes=-100", 1000), Some((900, 999)));
        assert_eq!(parse_range("bytes=900-5000", 1000), Some((900, 999)));
        assert_eq!(parse_range("bytes=0-0,5-9", 1000), Some((0, 0)));
        assert_eq!(parse_range("bytes=1000-", 1000), None);
        assert_eq!(parse_range("bytes=9-3", 1000), None);
        assert_eq!(parse_range("bytes=0-", 0), None);
        assert_eq!(parse_range("items=0-9", 1000), None);
        assert_eq!(parse_range("bytes=x-9", 1000), None);
    }
}

#[cfg(test)]
mod protocol_tests {
    use tauri::http::{Request, StatusCode, header};

    use super::respond;
    use crate::state::AppState;

    fn get(state: &AppState, path: &str, range: Option<&str>) -> tauri::http::Response<Vec<u8>> {
        let mut b = Request::builder().uri(format!("casefile://localhost{path}"));
        if let Some(r) = range {
            b = b.header(header::RANGE, r);
        }
        respond(state, &b.body(Vec::new()).expect("request"))
    }

    #[test]
    fn serves_decrypted_ranges_and_refuses_what_it_must_not_show() {
        let tmp = tempfile::tempdir().expect("tmp");
        let state = AppState::at(tmp.path().join("vault"));
        let (vault, _) =
            casefile::Vault::create(&state.dir, "protocol test passphrase", "T").expect("vault");
        state.unlocked(vault);
        let t = state.token().expect("token");
        // A recording bigger than one encrypted chunk, and a page that must never be served.
        let mut wav = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        wav.extend((0..300_000u32).map(|i| (i % 251) as u8));
        let (audio, html) = state
            .with(|v| {
                let meta = casefile::vault::NewItem::default();
                Ok((
                    v.add_bytes("a.wav", &wav, &meta, None)?,
                    v.add_bytes(
                        "p.html",
                        b"<html><script>alert(1)</script></html>",
                        &meta,
                        None,
                    )?,
                ))
            })
            .expect("items");

        let r = get(
            &state,
            &format!("/{t}/original/{}", audio.id),
            Some("bytes=70000-70009"),
        );
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(r.body(), &wav[70000..70010]);
        assert_eq!(
            r.headers()[header::CONTENT_RANGE],
            format!("bytes 70000-70009/{}", wav.len()).as_str()
        );
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        let r = get(
            &state,
            &format!("/{t}/original/{}", audio.id),
            Some("bytes=-5"),
        );
        assert_eq!(r.body(), &wav[wav.len() - 5..]);
        let r = get(
            &state,
            &format!("/{t}/original/{}", audio.id),
            Some("bytes=999999-"),
        );
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        let r = get(&state, &format!("/{t}/original/{}", audio.id), None);
        assert_eq!((r.status(), r.body().len()), (StatusCode::OK, wav.len()));

        let r = get(&state, &format!("/{t}/original/{}", html.id), None);
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            get(&state, &format!("/{t}/original/nosuchitem"), None).status(),
            StatusCode::NOT_FOUND
        );
        // A prefix of an id is not an id.
        assert_eq!(
            get(&state, &format!("/{t}/original/{}", &audio.id[..6]), None).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&state, &format!("/{t}/elsewhere/x"), None).status(),
            StatusCode::NOT_FOUND
        );
        // No other origin may read it.
        assert!(
            r.headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .is_none()
        );
        // Without this unlock's token, nothing is served.
        assert_eq!(
            get(&state, &format!("/0000/original/{}", audio.id), None).status(),
            StatusCode::FORBIDDEN
        );

        // Locked: nothing is served, not even at the old address.
        state.revoke();
        drop(state.slot().take());
        let r = get(
            &state,
            &format!("/{t}/original/{}", audio.id),
            Some("bytes=0-9"),
        );
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}
