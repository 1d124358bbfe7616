//! Talking to a remote, through Apache OpenDAL: one blocking operator over a
//! small tokio runtime of its own, and our own HTTP client (no proxy or
//! credentials taken from the environment, no redirects followed, so a
//! server cannot send our credentials elsewhere).

use std::time::Duration;

use opendal::{ErrorKind, blocking};
use serde::Serialize;

use super::{Endpoint, Remote, RemoteError};

/// An open connection to one remote.
pub struct Storage {
    name: String,
    op: blocking::Operator,
    // Declared last: dropped after the operator that runs on it.
    _runtime: tokio::runtime::Runtime,
}

/// What `remote test` found.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// The remote.
    pub remote: String,
    /// Bytes written, read back and deleted.
    pub bytes: usize,
    /// How long the round trip took, in milliseconds.
    pub millis: u128,
}

/// Connection setup and a stalled server: long enough for Tor, short enough
/// that a dead server is named instead of waited on forever.
const CONNECT: Duration = Duration::from_secs(30);
const STALL: Duration = Duration::from_secs(120);
/// Any one request, however slowly the server drips: an 8 MiB part needs
/// 14 KB/s to fit, which Tor gives.
const REQUEST: Duration = Duration::from_secs(600);
/// A whole request that moves no object (a listing, a stat, a delete),
/// however slowly the server drips its answer.
const OPERATION: Duration = Duration::from_secs(180);
/// The most a server may answer to anything but a download: a listing of
/// many thousand objects fits; an endless one is cut off.
const REPLY_BOUND: u64 = 16 << 20;
const TOO_LONG: &str =
    "its answer was far larger than any answer to this request (cut off at 16 MiB)";

/// Our HTTP client, with every answer but a download's bounded in size (a
/// hostile server's endless listing would otherwise fill memory; downloads
/// are bounded by their callers, who know the size to expect).
struct Bounded(opendal_http_transport_reqwest::ReqwestTransport);

impl opendal::HttpTransport for Bounded {
    async fn fetch(
        &self,
        req: http::Request<opendal::Buffer>,
    ) -> opendal::Result<http::Response<opendal::HttpBody>> {
        use futures_util::StreamExt;
        let download = req.method() == http::Method::GET;
        let resp = self.0.fetch(req).await?;
        if download {
            return Ok(resp);
        }
        Ok(resp.map(|body| {
            body.map_inner(|stream| {
                let mut seen = 0u64;
                Box::new(stream.map(move |chunk| {
                    let chunk = chunk?;
                    seen = seen.saturating_add(chunk.len() as u64);
                    if seen > REPLY_BOUND {
                        return Err(opendal::Error::new(ErrorKind::Unexpected, TOO_LONG));
                    }
                    Ok(chunk)
                }))
            })
        }))
    }
}

impl Storage {
    /// Connects to `remote` with its secret (nothing is sent yet).
    pub fn connect(remote: &Remote, secret: &str) -> Result<Self, RemoteError> {
        let name = remote.name.to_string();
        let failed = |why: String| RemoteError::Server {
            remote: name.clone(),
            why,
        };
        // Our rustls uses ring (as the time-stamp client does); set once per
        // process, an error only says it already was.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut client = reqwest::Client::builder()
            .http1_only()
            .connect_timeout(CONNECT)
            .read_timeout(STALL)
            .timeout(REQUEST)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if let Some(p) = &remote.proxy {
            let proxy = reqwest::Proxy::all(p).map_err(|e| failed(format!("proxy {p}: {e}")))?;
            client = client.proxy(proxy);
        }
        let client = client
            .build()
            .map_err(|e| failed(format!("cannot make an HTTP client: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("casefile-remote")
            .enable_all()
            .build()
            .map_err(|e| failed(format!("cannot start the network threads: {e}")))?;
        let op = match &remote.endpoint {
            Endpoint::Webdav { url, user } => {
                let (base, root) = split_url(url)?;
                let b = opendal::services::Webdav::default()
                    .endpoint(&base)
                    .root(&root)
                    .username(user)
                    .password(secret);
                opendal::Operator::new(b)
            }
            Endpoint::S3 {
                url,
                bucket,
                region,
                access_key,
            } => {
                let b = opendal::services::S3::default()
                    .endpoint(url)
                    .bucket(bucket)
                    .region(region)
                    .access_key_id(access_key)
                    .secret_access_key(secret)
                    // Never the environment's or ~/.aws's credentials, never
                    // the cloud metadata service.
                    .disable_config_load();
                opendal::Operator::new(b)
            }
        }
        .map_err(|e| failed(e.to_string()))?;
        let transport = opendal::HttpTransporter::new(Bounded(
            opendal_http_transport_reqwest::ReqwestTransport::new(client),
        ));
        let context = op.base_context().with_http_transport(transport);
        let op = op.with_context(context).layer(
            opendal::layers::TimeoutLayer::new()
                .with_timeout(OPERATION)
                .with_io_timeout(STALL),
        );
        let guard = runtime.enter();
        let op = blocking::Operator::new(op).map_err(|e| failed(e.to_string()))?;
        drop(guard);
        Ok(Storage {
            name,
            op,
            _runtime: runtime,
        })
    }

    /// The remote's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Writes one whole object.
    pub fn put(&self, path: &str, bytes: Vec<u8>) -> Result<(), RemoteError> {
        self.op
            .write(path, bytes)
            .map(|_| ())
            .map_err(|e| self.error(path, e))
    }

    /// Reads one object, refusing it unread when larger than `bound`.
    pub fn get(&self, path: &str, bound: u64) -> Result<Vec<u8>, RemoteError> {
        let size = self.size(path)?;
        if size > bound {
            return Err(RemoteError::TooLarge {
                remote: self.name.clone(),
                path: path.to_string(),
                size,
                bound,
            });
        }
        let data = self.op.read(path).map_err(|e| self.error(path, e))?;
        if data.len() as u64 > bound {
            return Err(RemoteError::TooLarge {
                remote: self.name.clone(),
                path: path.to_string(),
                size: data.len() as u64,
                bound,
            });
        }
        Ok(data.to_vec())
    }

    /// An object's size.
    pub fn size(&self, path: &str) -> Result<u64, RemoteError> {
        self.op
            .stat(path)
            .map(|m| m.content_length())
            .map_err(|e| self.error(path, e))
    }

    /// Whether an object exists.
    pub fn exists(&self, path: &str) -> Result<bool, RemoteError> {
        match self.op.stat(path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.error(path, e)),
        }
    }

    /// The names directly inside folder `dir` (ending in `/`), folders with
    /// a trailing `/`.
    pub fn list(&self, dir: &str) -> Result<Vec<String>, RemoteError> {
        let entries = match self.op.list(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.error(dir, e)),
        };
        let mut names: Vec<String> = entries
            .into_iter()
            .filter_map(|e| {
                let rest = e.path().strip_prefix(dir)?.to_string();
                (!rest.is_empty()).then_some(rest)
            })
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Deletes one object (absent already is not an error).
    pub fn delete(&self, path: &str) -> Result<(), RemoteError> {
        self.op.delete(path).map_err(|e| self.error(path, e))
    }

    /// Writes a small random object, reads it back and deletes it: what
    /// `remote test` does, so a wrong secret or a read-only share shows
    /// before anything is sent.
    pub fn probe(&self) -> Result<Probe, RemoteError> {
        use rand::RngCore;
        let start = std::time::Instant::now();
        let mut bytes = vec![0u8; 4096];
        rand::thread_rng().fill_bytes(&mut bytes);
        let path = format!("casefile/probe-{}", hex::encode(&bytes[..8]));
        self.put(&path, bytes.clone())?;
        let back = self.get(&path, bytes.len() as u64);
        let deleted = self.delete(&path);
        if back? != bytes {
            return Err(RemoteError::Server {
                remote: self.name.clone(),
                why: "an object written was read back different".into(),
            });
        }
        deleted?;
        Ok(Probe {
            remote: self.name.clone(),
            bytes: bytes.len(),
            millis: start.elapsed().as_millis(),
        })
    }

    /// One sentence for what OpenDAL said. Never its full text: that can
    /// carry the server's answer, headers included, and a server or a proxy
    /// that echoes the request would put the password in a message.
    fn error(&self, path: &str, e: opendal::Error) -> RemoteError {
        let remote = self.name.clone();
        let status = status_of(&format!("{e:#}"));
        let cause = transport_cause(&e);
        match (e.kind(), status) {
            (ErrorKind::NotFound, _) | (_, Some(404)) => RemoteError::NotFound {
                remote,
                path: path.to_string(),
            },
            (ErrorKind::PermissionDenied, _) | (_, Some(401 | 403)) => {
                RemoteError::Denied { remote }
            }
            (_, Some(507 | 413)) => RemoteError::Full { remote },
            (_, Some(code @ 300..=399)) => RemoteError::Server {
                remote,
                why: format!(
                    "the server answered with a redirect (HTTP {code}), which is never followed: \
                     give the address it redirects to, if you trust it"
                ),
            },
            (_, Some(code)) => RemoteError::Server {
                remote,
                why: format!("the server answered HTTP {code} ({})", reason(code)),
            },
            (_, None) => match cause {
                Some(c) if c.to_ascii_lowercase().contains("certificate") => RemoteError::Server {
                    remote,
                    why: format!(
                        "its TLS certificate is not trusted, so nothing was sent (someone may be \
                         intercepting the connection): {c}"
                    ),
                },
                Some(c) => RemoteError::Unreachable { remote, why: c },
                None if e.to_string().contains(TOO_LONG) => RemoteError::Server {
                    remote,
                    why: TOO_LONG.into(),
                },
                None if e.is_temporary() => RemoteError::Unreachable {
                    remote,
                    why: "the connection failed".into(),
                },
                None => RemoteError::Server {
                    remote,
                    why: format!(
                        "its answer could not be understood ({}); is the address a {} folder?",
                        e.kind(),
                        "WebDAV or S3"
                    ),
                },
            },
        }
    }
}

/// The HTTP status OpenDAL names, if it names one.
fn status_of(text: &str) -> Option<u16> {
    let at = text.find("status: ")? + "status: ".len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|c| (100..600).contains(c))
}

fn reason(code: u16) -> &'static str {
    match code {
        400 => "bad request",
        405 => "the method is not allowed there: is it a WebDAV folder?",
        409 => "conflict: does the folder exist?",
        423 => "locked",
        429 => "too many requests: try again later",
        500..=599 => "a server error",
        _ => "unexpected",
    }
}

/// What the connection itself said (refused, timed out, a certificate
/// refused), from the innermost error below OpenDAL's own, and only when the
/// HTTP client or the system raised it: those never carry the server's
/// answer. OpenDAL's own errors below it can (a parse error of a listing
/// quotes the server's tag names, which a hostile server fills with the
/// request's Authorization header), so they get a fixed sentence instead.
fn transport_cause(e: &opendal::Error) -> Option<String> {
    let mut cause: &dyn std::error::Error = std::error::Error::source(e)?;
    let mut from_client = false;
    loop {
        from_client |= cause.is::<reqwest::Error>() || cause.is::<std::io::Error>();
        match cause.source() {
            Some(next) => cause = next,
            None => break,
        }
    }
    if !from_client {
        return None;
    }
    let text = cause.to_string();
    let line: String = text
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    Some(line)
}

/// `https://host:port/some/path` into the endpoint and the root folder.
fn split_url(url: &str) -> Result<(String, String), RemoteError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| RemoteError::Invalid(e.to_string()))?;
    let mut base = parsed.clone();
    base.set_path("");
    let root = format!("{}/", parsed.path().trim_end_matches('/'));
    Ok((base.as_str().trim_end_matches('/').to_string(), root))
}
