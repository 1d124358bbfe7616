//! The one window, made here rather than in tauri.conf.json so that what it
//! may do is decided in code: it navigates only within the app's own pages,
//! opens no other window, and downloads nothing (WebKit's "Download image"
//! would otherwise write a decrypted preview to disk).

use tauri::webview::{NewWindowResponse, WebviewWindowBuilder};
use tauri::{AppHandle, Runtime, Url, WebviewUrl};

/// The app's own pages: `tauri://localhost` (and `http://tauri.localhost`
/// where the webview reaches custom schemes over http).
pub fn own_page(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// Opens the main window.
pub fn open<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
        .title("Casefile")
        .inner_size(1200.0, 820.0)
        .min_inner_size(760.0, 560.0)
        .on_navigation(own_page)
        .on_new_window(|_, _| NewWindowResponse::Deny)
        .on_download(|_, _| false)
        .build()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::own_page;

    #[test]
    fn only_the_apps_own_pages() {
        for ok in ["tauri://localhost/index.html", "http://tauri.localhost/x"] {
            assert!(own_page(&ok.parse().unwrap()), "{ok}");
        }
        for no in [
            "https://example.org/",
            "file:///etc/passwd",
            "casefile://localhost/t/original/x",
            "tauri://evil.example/",
            "data:text/html,hi",
        ] {
            assert!(!own_page(&no.parse().unwrap()), "{no}");
        }
    }
}
