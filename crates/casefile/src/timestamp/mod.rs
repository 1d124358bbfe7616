//! Trusted time from RFC 3161 time-stamping authorities: a token from an
//! authority proves the stamped bytes existed no later than the time it
//! states, on the authority's word rather than the device clock's.
//!
//! Pure Rust: DER and CMS from RustCrypto (`cms`, `x509-cert`, `x509-tsp`),
//! RSA and ECDSA checks from `rsa`, `p256`, `p384`; HTTP from `ureq`.

pub mod token;

use std::time::Duration;

pub use token::{Stamp, verify};

/// Why a time-stamp could not be obtained or does not hold.
#[derive(Debug, thiserror::Error)]
pub enum TimestampError {
    /// The authority could not be reached or answered with an HTTP error.
    #[error("{0}")]
    Unreachable(String),
    /// The authority's answer is not a token for our request.
    #[error("the authority's reply is unusable: {0}")]
    Reply(String),
    /// The token is malformed or its signature does not hold.
    #[error("the token is invalid: {0}")]
    Invalid(String),
    /// The token is valid but stamps other bytes.
    #[error("the token stamps other data")]
    OtherData,
    /// The signer lacks the (critical, sole) time-stamping usage.
    #[error(
        "the token is signed by {0}, a certificate without the time-stamping usage (critical, and alone)"
    )]
    NotTimeStamping(String),
    /// The signer does not chain to a pinned authority certificate.
    #[error("the token is signed by {0}, which does not chain to a pinned authority certificate")]
    Unpinned(String),
    /// A local failure (randomness, encoding).
    #[error("{0}")]
    Local(String),
}

/// How long one authority may take to answer.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Asks the authority at `url` for a token over `data`; `proxy` (for
/// instance `socks5h://127.0.0.1:9050`) routes the request. Only `data`'s
/// SHA-256 leaves the machine. The reply is checked to answer this request
/// before it is returned.
pub fn fetch(url: &str, proxy: Option<&str>, data: &[u8]) -> Result<Vec<u8>, TimestampError> {
    let (request, nonce) = token::request(data)?;
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .max_redirects(0);
    if let Some(p) = proxy {
        let proxy =
            ureq::Proxy::new(p).map_err(|e| TimestampError::Local(format!("proxy {p}: {e}")))?;
        config = config.proxy(Some(proxy));
    }
    let agent: ureq::Agent = config.build().into();
    let mut reply = agent
        .post(url)
        .header("Content-Type", "application/timestamp-query")
        .send(&request[..])
        .map_err(|e| TimestampError::Unreachable(e.to_string()))?;
    let status = reply.status().as_u16();
    if status != 200 {
        return Err(TimestampError::Unreachable(
            if (300..400).contains(&status) {
                format!("it answered with a redirect (HTTP {status}), which is not followed")
            } else {
                format!("it answered HTTP {status}")
            },
        ));
    }
    let body = reply
        .body_mut()
        .with_config()
        .limit(token::MAX_TOKEN as u64)
        .read_to_vec()
        .map_err(|e| TimestampError::Unreachable(e.to_string()))?;
    token::token_from_reply(&body, data, &nonce)
}

/// Reads PEM or DER certificates into DER, refusing anything else.
pub fn certificates_from_file(bytes: &[u8]) -> Result<Vec<Vec<u8>>, TimestampError> {
    use der::{Decode, Encode};
    let text = std::str::from_utf8(bytes).ok();
    let ders: Vec<Vec<u8>> = match text {
        Some(t) if t.contains("-----BEGIN") => x509_cert::Certificate::load_pem_chain(bytes)
            .map_err(|e| TimestampError::Local(format!("not PEM certificates ({e})")))?
            .iter()
            .map(|c| c.to_der())
            .collect::<Result<_, _>>()
            .map_err(|e| TimestampError::Local(e.to_string()))?,
        _ => vec![
            x509_cert::Certificate::from_der(bytes)
                .map_err(|e| TimestampError::Local(format!("not a certificate ({e})")))?
                .to_der()
                .map_err(|e| TimestampError::Local(e.to_string()))?,
        ],
    };
    if ders.is_empty() {
        return Err(TimestampError::Local("no certificate in the file".into()));
    }
    Ok(ders)
}

/// Certificates as PEM text.
pub fn to_pem(ders: &[Vec<u8>]) -> String {
    use base64::Engine;
    let mut out = String::new();
    for d in ders {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let b64 = base64::engine::general_purpose::STANDARD.encode(d);
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

/// An authority's name: 1 to 32 of `a-z`, `0-9` and `-`, not starting with
/// `-`. It becomes part of file names (`<file>.<name>.tsr`), so nothing else
/// is allowed in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AuthorityName(String);

impl AuthorityName {
    /// Checks a name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 32
            && !raw.starts_with('-')
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(AuthorityName(raw.to_string()))
        } else {
            Err(format!(
                "{raw:?} is not an authority name: use 1 to 32 lowercase letters, digits or hyphens"
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AuthorityName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
