//! Remotes: the organisation's own storage (WebDAV, S3) that sealed bundles
//! travel through. What a remote is lives here, parsed at the boundary; how
//! to talk to one is in [`storage`]. The vault keeps remotes, secrets
//! included, inside its encrypted database (`vault::remotes`).

pub mod storage;

use serde::{Deserialize, Serialize};

pub use crate::names::Label as RemoteName;
pub use storage::{Probe, Storage};

/// Why a remote could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The configuration given is not usable.
    #[error("{0}")]
    Invalid(String),
    /// The server refused the credentials.
    #[error("{remote} refused the user name or secret: check them with the server's administrator")]
    Denied {
        /// The remote.
        remote: String,
    },
    /// The server could not be reached.
    #[error("cannot reach {remote}: {why}")]
    Unreachable {
        /// The remote.
        remote: String,
        /// What the connection said.
        why: String,
    },
    /// The server has no room left.
    #[error("{remote} has no room left for what was sent: free space on the server, then retry")]
    Full {
        /// The remote.
        remote: String,
    },
    /// No such object.
    #[error("{remote} holds no {path}")]
    NotFound {
        /// The remote.
        remote: String,
        /// The object.
        path: String,
    },
    /// An object larger than what may be read of it.
    #[error("{path} on {remote} is {size} bytes, more than the {bound} it may hold")]
    TooLarge {
        /// The remote.
        remote: String,
        /// The object.
        path: String,
        /// Its size.
        size: u64,
        /// The bound.
        bound: u64,
    },
    /// Anything else the server or the client said.
    #[error("{remote}: {why}")]
    Server {
        /// The remote.
        remote: String,
        /// What went wrong.
        why: String,
    },
}

/// Where a remote is and how to sign in (the secret is kept apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Endpoint {
    /// A WebDAV folder (Nextcloud, ownCloud, Apache mod_dav), basic
    /// authentication with the user's password or app password.
    Webdav {
        /// The folder's address.
        url: String,
        /// The user name.
        user: String,
    },
    /// An S3-compatible bucket, signed with an access key.
    S3 {
        /// The server's address (path-style requests).
        url: String,
        /// The bucket.
        bucket: String,
        /// The region the signature names.
        region: String,
        /// The access key id.
        access_key: String,
    },
}

impl Endpoint {
    /// A WebDAV endpoint, checked.
    pub fn webdav(url: &str, user: &str) -> Result<Self, RemoteError> {
        let user = check_word("user name", user, 256)?;
        if user.contains(':') {
            return Err(RemoteError::Invalid(format!(
                "{} is not usable as the user name: basic authentication cannot carry a colon",
                crate::names::quoted(&user)
            )));
        }
        Ok(Endpoint::Webdav {
            url: check_url(url)?,
            user,
        })
    }

    /// An S3 endpoint, checked.
    pub fn s3(
        url: &str,
        bucket: &str,
        region: &str,
        access_key: &str,
    ) -> Result<Self, RemoteError> {
        let bucket = check_word("bucket", bucket, 63)?;
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b))
            || bucket.len() < 3
        {
            return Err(RemoteError::Invalid(format!(
                "{bucket:?} is not a bucket name: 3 to 63 lowercase letters, digits, dots or hyphens"
            )));
        }
        Ok(Endpoint::S3 {
            url: check_url(url)?,
            bucket,
            region: check_word("region", region, 64)?,
            access_key: check_word("access key id", access_key, 256)?,
        })
    }

    /// The kind, as `remote list` shows it.
    pub fn kind(&self) -> &'static str {
        match self {
            Endpoint::Webdav { .. } => "webdav",
            Endpoint::S3 { .. } => "s3",
        }
    }

    /// The address.
    pub fn url(&self) -> &str {
        match self {
            Endpoint::Webdav { url, .. } | Endpoint::S3 { url, .. } => url,
        }
    }
}

/// A configured remote, without its secret.
#[derive(Debug, Clone, Serialize)]
pub struct Remote {
    /// The name the user gave it.
    pub name: RemoteName,
    /// Where it is.
    pub endpoint: Endpoint,
    /// A proxy every request goes through (`socks5h://127.0.0.1:9050` for Tor).
    pub proxy: Option<String>,
    /// When it was added (UTC).
    pub added_at: String,
}

/// An `http://` or `https://` address with a host and no credentials, query
/// or fragment. Plain HTTP only to this machine or an onion service: over
/// anything else the secret would cross the network readable.
pub fn check_url(raw: &str) -> Result<String, RemoteError> {
    let bad = |why: &str| {
        RemoteError::Invalid(format!(
            "{} is not usable: {why}",
            crate::names::quoted(raw)
        ))
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    let host = url.host_str().ok_or_else(|| bad("it names no host"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it holds a user name or password; give them with --user and the secret instead",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it holds a query or fragment"));
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            let local = is_loopback(host) || is_onion(host);
            if !local {
                return Err(bad(
                    "plain http:// would send the secret readable over the network; use https:// \
                     (http:// is accepted only for this machine and onion services)",
                ));
            }
        }
        _ => return Err(bad("use an http:// or https:// address")),
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// A proxy address: `socks5h://`, `socks5://`, `http://` or `https://` with
/// a host and a port, and no credentials (they would be shown and logged).
pub fn check_proxy(raw: &str) -> Result<String, RemoteError> {
    let bad = |why: &str| {
        RemoteError::Invalid(format!(
            "{} is not a proxy: {why}",
            crate::names::quoted(raw)
        ))
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "socks5h" | "socks5" | "http" | "https") {
        return Err(bad(
            "use socks5h://HOST:PORT (Tor: socks5h://127.0.0.1:9050), socks5:// or http://",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it holds a user name or password, which would be shown and kept in the custody log",
        ));
    }
    if url.host_str().is_none() || url.port_or_known_default().is_none_or(|p| p == 0) {
        return Err(bad("it needs a host and a port"));
    }
    if !url.path().trim_matches('/').is_empty() || url.query().is_some() || url.fragment().is_some()
    {
        return Err(bad("a proxy address is only a host and a port"));
    }
    Ok(raw.trim().trim_end_matches('/').to_string())
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

fn is_onion(host: &str) -> bool {
    host.ends_with(".onion")
}

/// Whether requests to `endpoint` through `proxy` keep the secret and the
/// destination private: plain http:// only to this machine, directly or
/// through a proxy on it (never through one elsewhere, which would read the
/// password); an onion service only through `socks5h://` on this machine
/// (Tor), so its name never goes to the ordinary resolver.
pub fn check_route(endpoint: &Endpoint, proxy: Option<&str>) -> Result<(), RemoteError> {
    let invalid = |e: &dyn std::fmt::Display| RemoteError::Invalid(e.to_string());
    let url = reqwest::Url::parse(endpoint.url()).map_err(|e| invalid(&e))?;
    let host = url.host_str().unwrap_or_default();
    let proxy = proxy
        .map(reqwest::Url::parse)
        .transpose()
        .map_err(|e| invalid(&e))?;
    let proxy_host = proxy.as_ref().map(|p| p.host_str().unwrap_or_default());
    if is_onion(host) {
        let label = host
            .trim_end_matches(".onion")
            .rsplit('.')
            .next()
            .unwrap_or_default();
        let v3 = label.len() == 56
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
        if !v3 {
            return Err(RemoteError::Invalid(format!(
                "{host} is not an onion address (56 letters and digits 2 to 7, then .onion)"
            )));
        }
        let tor = proxy.as_ref().is_some_and(|p| p.scheme() == "socks5h")
            && proxy_host.is_some_and(is_loopback);
        if !tor {
            return Err(RemoteError::Invalid(format!(
                "{host} is an onion service: reach it through Tor with --proxy \
                 socks5h://127.0.0.1:9050, so its name never goes to the ordinary resolver"
            )));
        }
    } else if url.scheme() == "http" && !proxy_host.is_none_or(is_loopback) {
        return Err(RemoteError::Invalid(
            "a plain http:// address through a proxy elsewhere would let the proxy read the \
             secret; use https://, or a proxy on this machine"
                .into(),
        ));
    }
    Ok(())
}

fn check_word(what: &str, raw: &str, max: usize) -> Result<String, RemoteError> {
    let ok = !raw.is_empty()
        && raw.len() <= max
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(raw.to_string())
    } else {
        Err(RemoteError::Invalid(format!(
            "{} is not usable as the {what}: give 1 to {max} characters, no spaces",
            crate::names::quoted(raw)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_would_leak_or_mislead_are_refused() {
        assert!(check_url("https://cloud.example.org/remote.php/dav/files/u/").is_ok());
        assert!(check_url("http://127.0.0.1:8080/dav").is_ok());
        assert!(check_url("http://abcdef.onion/dav").is_ok());
        for bad in [
            "http://cloud.example.org/dav",
            "https://user:pw@cloud.example.org/",
            "https://cloud.example.org/?x=1",
            "ftp://cloud.example.org/",
            "file:///etc/passwd",
            "cloud.example.org",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_proxy("socks5h://127.0.0.1:9050").is_ok());
        assert!(check_proxy("socks5h://user:pw@127.0.0.1:9050").is_err());
        assert!(check_proxy("socks5h://127.0.0.1:0").is_err());
        let onion = format!("http://{}.onion/dav", "a".repeat(56));
        let dav = |u: &str| Endpoint::webdav(u, "alice").unwrap();
        let tor = Some("socks5h://127.0.0.1:9050");
        assert!(check_route(&dav(&onion), tor).is_ok());
        assert!(check_route(&dav(&onion), None).is_err());
        assert!(check_route(&dav(&onion), Some("socks5://127.0.0.1:9050")).is_err());
        assert!(check_route(&dav(&onion), Some("socks5h://192.0.2.2:9050")).is_err());
        assert!(check_route(&dav("http://abc.onion/dav"), tor).is_err());
        let local = dav("http://localhost:8081/dav");
        assert!(check_route(&local, Some("http://192.0.2.2:8199")).is_err());
        assert!(check_route(&local, Some("socks5h://127.0.0.1:1080")).is_ok());
        assert!(check_route(&local, None).is_ok());
        let far = dav("https://dav.example.org/dav");
        assert!(check_route(&far, Some("http://192.0.2.2:8199")).is_ok());
        assert!(Endpoint::webdav("https://dav.example.org", "a:b").is_err());
        assert!(check_proxy("socks4://127.0.0.1:9050").is_err());
        assert!(check_proxy("socks5h://127.0.0.1:9050/x").is_err());
        assert!(Endpoint::s3("https://s3.example.org", "Bad_Bucket", "r", "k").is_err());
        assert!(Endpoint::webdav("https://dav.example.org", "two words").is_err());
    }
}
