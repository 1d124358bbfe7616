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
        let transport = opendal::HttpTransporter::new(
            opendal_http_transport_reqwest::ReqwestTransport::new(client),
        );
        let context = op.base_context().with_http_transport(transport);
        let op = op.with_context(context);
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

    /// One sentence for what OpenDAL said, never the secret (OpenDAL's
    /// messages carry the request's address, not its headers).
    fn error(&self, path: &str, e: opendal::Error) -> RemoteError {
        let remote = self.name.clone();
        let text = format!("{e:#}");
        let lower = text.to_ascii_lowercase();
        match e.kind() {
            ErrorKind::NotFound => RemoteError::NotFound {
                remote,
                path: path.to_string(),
            },
            ErrorKind::PermissionDenied => RemoteError::Denied { remote },
            _ if lower.contains("status: 401") || lower.contains("status: 403") => {
                RemoteError::Denied { remote }
            }
            _ if lower.contains("status: 507")
                || lower.contains("insufficient storage")
                || lower.contains("entitytoolarge")
                || lower.contains("quotaexceeded")
                || lower.contains("no space") =>
            {
                RemoteError::Full { remote }
            }
            _ if e.is_temporary()
                || lower.contains("error sending request")
                || lower.contains("connect")
                || lower.contains("timed out") =>
            {
                RemoteError::Unreachable {
                    remote,
                    why: root_cause(&e),
                }
            }
            _ => RemoteError::Server {
                remote,
                why: format!("{} ({})", e.kind(), root_cause(&e)),
            },
        }
    }
}

/// The innermost cause, which says what happened ("Connection refused"),
/// on one line and short.
fn root_cause(e: &opendal::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    let line = text.lines().next().unwrap_or_default();
    line.chars().take(300).collect()
}

/// `https://host:port/some/path` into the endpoint and the root folder.
fn split_url(url: &str) -> Result<(String, String), RemoteError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| RemoteError::Invalid(e.to_string()))?;
    let mut base = parsed.clone();
    base.set_path("");
    let root = format!("{}/", parsed.path().trim_end_matches('/'));
    Ok((base.as_str().trim_end_matches('/').to_string(), root))
}
