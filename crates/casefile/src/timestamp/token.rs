//! RFC 3161 time-stamp tokens: the request we send, and the check of a token
//! against the bytes it stamps and the authority certificates a user pinned.
//! Everything here reads DER that came from a server or a bundle, so every
//! step fails closed with a sentence naming what did not hold.

use cms::cert::x509::ext::pkix::ExtendedKeyUsage;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{Int, OctetString};
use der::oid::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::Digest;
use x509_cert::Certificate;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use super::TimestampError;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const ID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// Largest token accepted (real ones are a few KiB with their chain).
pub const MAX_TOKEN: usize = 256 << 10;
/// Longest chain from the signing certificate to a pinned one.
const MAX_CHAIN: usize = 4;

/// A hash algorithm a token may use for its imprint or signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            ID_SHA256 => Some(HashAlg::Sha256),
            ID_SHA384 => Some(HashAlg::Sha384),
            ID_SHA512 => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// A request for a token over `data`'s SHA-256, asking for the signing
/// certificate, with a nonce. Returns the DER and the nonce.
pub fn request(data: &[u8]) -> Result<(Vec<u8>, Vec<u8>), TimestampError> {
    let mut nonce = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    // A positive INTEGER: clear the top bit.
    nonce[0] &= 0x7f;
    nonce[0] |= 0x01;
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifier {
                oid: ID_SHA256,
                parameters: None,
            },
            hashed_message: OctetString::new(HashAlg::Sha256.digest(data))
                .map_err(|e| TimestampError::Local(e.to_string()))?,
        },
        req_policy: None,
        nonce: Some(Int::new(&nonce).map_err(|e| TimestampError::Local(e.to_string()))?),
        cert_req: true,
        extensions: None,
    };
    let der = req
        .to_der()
        .map_err(|e| TimestampError::Local(e.to_string()))?;
    Ok((der, nonce.to_vec()))
}

/// The token inside an authority's reply, after checking that the authority
/// granted it and that it answers this request (imprint and nonce).
pub fn token_from_reply(
    reply: &[u8],
    data: &[u8],
    nonce: &[u8],
) -> Result<Vec<u8>, TimestampError> {
    if reply.len() > MAX_TOKEN {
        return Err(TimestampError::Reply(
            "the reply is larger than any time-stamp token".into(),
        ));
    }
    let resp = TimeStampResp::from_der(reply)
        .map_err(|e| TimestampError::Reply(format!("not an RFC 3161 reply ({e})")))?;
    let status = resp.status.status as u8;
    if status > 1 {
        return Err(TimestampError::Reply(format!(
            "the authority refused the request (status {status})"
        )));
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| TimestampError::Reply("the reply holds no token".into()))?
        .to_der()
        .map_err(|e| TimestampError::Reply(e.to_string()))?;
    let info = parse(&token)?.info;
    check_imprint(&info, data)?;
    if info.nonce.as_ref().map(|n| n.as_bytes()) != Some(strip_zeros(nonce)) {
        return Err(TimestampError::Reply(
            "the token does not carry the nonce of our request".into(),
        ));
    }
    Ok(token)
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// When the authority saw the data, RFC 3339 UTC (second precision).
    pub time: String,
    /// The certificate that signed the token, by subject.
    pub signer: String,
    /// The token's serial number, hex.
    pub serial: String,
}

struct Parsed {
    signed: SignedData,
    info: TstInfo,
    econtent: Vec<u8>,
}

fn bad(why: impl Into<String>) -> TimestampError {
    TimestampError::Invalid(why.into())
}

fn parse(token: &[u8]) -> Result<Parsed, TimestampError> {
    if token.len() > MAX_TOKEN {
        return Err(bad("it is larger than any time-stamp token"));
    }
    let ci = ContentInfo::from_der(token).map_err(|e| bad(format!("not CMS ({e})")))?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(bad("it is not CMS signed data"));
    }
    let signed: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| bad(format!("its signed data is malformed ({e})")))?;
    if signed.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(bad("it does not hold a time-stamp (TSTInfo)"));
    }
    let econtent = signed
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| bad("it holds no time-stamp content"))?;
    let octets = OctetString::from_der(
        &econtent
            .to_der()
            .map_err(|e| bad(format!("its content is malformed ({e})")))?,
    )
    .map_err(|e| bad(format!("its content is malformed ({e})")))?;
    let econtent = octets.as_bytes().to_vec();
    let info =
        TstInfo::from_der(&econtent).map_err(|e| bad(format!("its TSTInfo is malformed ({e})")))?;
    Ok(Parsed {
        signed,
        info,
        econtent,
    })
}

fn check_imprint(info: &TstInfo, data: &[u8]) -> Result<(), TimestampError> {
    let alg = HashAlg::from_oid(&info.message_imprint.hash_algorithm.oid)
        .ok_or_else(|| bad("its imprint uses a hash other than SHA-256, -384 or -512"))?;
    if info.message_imprint.hashed_message.as_bytes() != alg.digest(data).as_slice() {
        return Err(TimestampError::OtherData);
    }
    Ok(())
}

/// Checks `token` stamps exactly `data`, is signed by a certificate with the
/// time-stamping usage, valid at the stamped time, that is one of `anchors`
/// (DER certificates the user pinned) or chains to one through the
/// certificates the token carries. Returns what it says.
pub fn verify(token: &[u8], data: &[u8], anchors: &[Vec<u8>]) -> Result<Stamp, TimestampError> {
    let p = parse(token)?;
    check_imprint(&p.info, data)?;
    let mut infos = p.signed.signer_infos.0.iter();
    let (Some(si), None) = (infos.next(), infos.next()) else {
        return Err(bad("it does not have exactly one signer"));
    };
    let certs: Vec<&Certificate> = p
        .signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let anchors: Vec<Certificate> = anchors
        .iter()
        .map(|a| Certificate::from_der(a))
        .collect::<Result<_, _>>()
        .map_err(|e| TimestampError::Local(format!("a pinned certificate is malformed ({e})")))?;
    let signer = certs
        .iter()
        .copied()
        .chain(anchors.iter())
        .find(|c| identifies(&si.sid, c))
        .ok_or_else(|| bad("the certificate that signed it is neither in it nor pinned"))?;

    // The signature covers the signed attributes, which carry the content
    // type and the digest of the TSTInfo.
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| bad("it has no signed attributes"))?;
    let digest_alg = HashAlg::from_oid(&si.digest_alg.oid)
        .ok_or_else(|| bad("its signer uses a digest other than SHA-256, -384 or -512"))?;
    let attr = |oid: ObjectIdentifier| -> Result<Vec<u8>, TimestampError> {
        let mut found = attrs.iter().filter(|a| a.oid == oid);
        match (found.next(), found.next()) {
            (Some(a), None) if a.values.len() == 1 => a
                .values
                .iter()
                .next()
                .map(|v| v.value().to_vec())
                .ok_or_else(|| bad("a signed attribute is empty")),
            _ => Err(bad("a signed attribute is missing or repeated")),
        }
    };
    if attr(ID_CONTENT_TYPE)? != ID_CT_TST_INFO.as_bytes() {
        return Err(bad("its signed content type is not a time-stamp"));
    }
    if attr(ID_MESSAGE_DIGEST)? != digest_alg.digest(&p.econtent) {
        return Err(bad("its signed digest does not match its content"));
    }
    let signed_bytes = attrs
        .to_der()
        .map_err(|e| bad(format!("its signed attributes are malformed ({e})")))?;
    verify_signature(
        signer,
        &si.signature_algorithm.oid,
        Some(digest_alg),
        &signed_bytes,
        si.signature.as_bytes(),
    )
    .map_err(|_| bad("its signature does not verify"))?;

    if !time_stamping_usage(signer)? {
        return Err(TimestampError::NotTimeStamping(subject(signer)));
    }
    signing_certificate_named(attrs, signer)?;
    let time = p.info.gen_time.to_date_time();
    let at = time.unix_duration();
    if !valid_at(signer, at) {
        return Err(bad(format!(
            "its signing certificate ({}) was not valid at the stamped time",
            subject(signer)
        )));
    }
    chain_to_anchor(signer, &certs, &anchors, at)?;
    Ok(Stamp {
        time: time.to_string(),
        signer: subject(signer),
        serial: hex::encode(p.info.serial_number.as_bytes()),
    })
}

/// The time a token states and its signer's subject, unchecked: for showing
/// what a token claims before or without pinning.
pub fn claimed(token: &[u8]) -> Result<(String, String), TimestampError> {
    let p = parse(token)?;
    let time = p.info.gen_time.to_date_time().to_string();
    let signer = p
        .signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => Some(subject(c)),
            _ => None,
        })
        .unwrap_or_default();
    Ok((time, signer))
}

/// The certificates a token carries, DER, signer first when it is there.
pub fn carried_certificates(token: &[u8]) -> Result<Vec<Vec<u8>>, TimestampError> {
    let p = parse(token)?;
    p.signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => Some(c.to_der()),
            _ => None,
        })
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))
}

/// A certificate's subject, as RFC 4514 text.
pub fn subject(c: &Certificate) -> String {
    c.tbs_certificate.subject.to_string()
}

fn identifies(sid: &SignerIdentifier, c: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(is) => {
            is.issuer == c.tbs_certificate.issuer
                && is.serial_number == c.tbs_certificate.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => c
            .tbs_certificate
            .get::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, own)| own == *ski),
    }
}

const ID_AA_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// RFC 3161 2.4.2 (with RFC 5816): the signed attributes name the signing
/// certificate by its hash (ESS signingCertificate, SHA-1, or
/// signingCertificateV2), so no other certificate with the same key and
/// name can stand in for it.
fn signing_certificate_named(
    attrs: &cms::signed_data::SignedAttributes,
    signer: &Certificate,
) -> Result<(), TimestampError> {
    use sha1::Digest as _;
    let der = signer.to_der().map_err(|e| bad(e.to_string()))?;
    let hashes = [
        (ID_AA_SIGNING_CERTIFICATE, sha1::Sha1::digest(&der).to_vec()),
        (ID_AA_SIGNING_CERTIFICATE_V2, HashAlg::Sha256.digest(&der)),
        (ID_AA_SIGNING_CERTIFICATE_V2, HashAlg::Sha384.digest(&der)),
        (ID_AA_SIGNING_CERTIFICATE_V2, HashAlg::Sha512.digest(&der)),
    ];
    let mut present = false;
    for a in attrs.iter() {
        for (oid, hash) in &hashes {
            if a.oid != *oid {
                continue;
            }
            present = true;
            // The first ESSCertID(v2) names the signer; its hash is an
            // OCTET STRING inside the attribute value.
            let mut wanted = vec![0x04, hash.len() as u8];
            wanted.extend_from_slice(hash);
            let holds = a.values.iter().any(|v| {
                v.to_der()
                    .is_ok_and(|d| d.windows(wanted.len()).any(|w| w == wanted.as_slice()))
            });
            if holds {
                return Ok(());
            }
        }
    }
    Err(bad(if present {
        "its signed attributes name another signing certificate"
    } else {
        "it does not name its signing certificate (ESS signingCertificate)"
    }))
}

fn time_stamping_usage(c: &Certificate) -> Result<bool, TimestampError> {
    let Some(exts) = &c.tbs_certificate.extensions else {
        return Ok(false);
    };
    let Some(ext) = exts.iter().find(|e| e.extn_id == ID_EXT_KEY_USAGE) else {
        return Ok(false);
    };
    let eku = ExtendedKeyUsage::from_der(ext.extn_value.as_bytes()).map_err(|e| {
        bad(format!(
            "its signer's extended key usage is malformed ({e})"
        ))
    })?;
    // RFC 3161 2.3: the usage is critical and names time-stamping alone.
    Ok(ext.critical && eku.0.len() == 1 && eku.0[0] == ID_KP_TIME_STAMPING)
}

/// Walks from `leaf` up through `carried` to a pinned certificate, checking
/// each signature, that every issuer is a CA allowed to sign certificates,
/// and that every certificate on the way was valid at `at` (the stamped
/// time); the leaf may itself be pinned.
fn chain_to_anchor(
    leaf: &Certificate,
    carried: &[&Certificate],
    anchors: &[Certificate],
    at: std::time::Duration,
) -> Result<(), TimestampError> {
    let mut current = leaf.clone();
    for _ in 0..MAX_CHAIN {
        if !valid_at(&current, at) {
            return Err(bad(format!(
                "the certificate {} in its chain was not valid at the stamped time",
                subject(&current)
            )));
        }
        if anchors.contains(&current) {
            return Ok(());
        }
        let issuer_name = &current.tbs_certificate.issuer;
        let issuer = anchors
            .iter()
            .chain(carried.iter().copied())
            .filter(|c| c.tbs_certificate.subject == *issuer_name && **c != current)
            .find(|c| signed_by(&current, c));
        let Some(issuer) = issuer else { break };
        if !may_issue(issuer) {
            return Err(bad(format!(
                "{} in its chain is not a certificate authority, yet signs {}",
                subject(issuer),
                subject(&current)
            )));
        }
        current = issuer.clone();
    }
    Err(TimestampError::Unpinned(subject(leaf)))
}

fn valid_at(c: &Certificate, at: std::time::Duration) -> bool {
    let v = &c.tbs_certificate.validity;
    at >= v.not_before.to_unix_duration() && at <= v.not_after.to_unix_duration()
}

/// A CA (basic constraints cA true) whose key usage, if stated, includes
/// certificate signing.
fn may_issue(c: &Certificate) -> bool {
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
    let ca = matches!(
        c.tbs_certificate.get::<BasicConstraints>(),
        Ok(Some((_, bc))) if bc.ca
    );
    let usage = match c.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, ku))) => ku.0.contains(KeyUsages::KeyCertSign),
        Ok(None) => true,
        Err(_) => false,
    };
    ca && usage
}

fn signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Some(sig) = cert.signature.as_bytes() else {
        return false;
    };
    verify_signature(issuer, &cert.signature_algorithm.oid, None, &tbs, sig).is_ok()
}

/// Checks `sig` over `msg` by `signer`'s key. `digest` is the CMS digest
/// algorithm when the signature algorithm names only the key type.
fn verify_signature(
    signer: &Certificate,
    alg: &ObjectIdentifier,
    digest: Option<HashAlg>,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), ()> {
    let spki = &signer.tbs_certificate.subject_public_key_info;
    let key_bytes = spki.subject_public_key.as_bytes().ok_or(())?;
    let (hash, family) = match *alg {
        SHA256_WITH_RSA => (HashAlg::Sha256, RSA_ENCRYPTION),
        SHA384_WITH_RSA => (HashAlg::Sha384, RSA_ENCRYPTION),
        SHA512_WITH_RSA => (HashAlg::Sha512, RSA_ENCRYPTION),
        ECDSA_SHA256 => (HashAlg::Sha256, EC_PUBLIC_KEY),
        ECDSA_SHA384 => (HashAlg::Sha384, EC_PUBLIC_KEY),
        ECDSA_SHA512 => (HashAlg::Sha512, EC_PUBLIC_KEY),
        RSA_ENCRYPTION => (digest.ok_or(())?, RSA_ENCRYPTION),
        _ => return Err(()),
    };
    if spki.algorithm.oid != family {
        return Err(());
    }
    let hashed = hash.digest(msg);
    if family == RSA_ENCRYPTION {
        use rsa::pkcs1::DecodeRsaPublicKey;
        let key = rsa::RsaPublicKey::from_pkcs1_der(key_bytes).map_err(|_| ())?;
        // The DER DigestInfo prefix of each hash (RFC 8017, 9.2 note 1).
        let (oid_last, len) = match hash {
            HashAlg::Sha256 => (1u8, 32u8),
            HashAlg::Sha384 => (2, 48),
            HashAlg::Sha512 => (3, 64),
        };
        let prefix = [
            0x30,
            0x11 + len,
            0x30,
            0x0d,
            0x06,
            0x09,
            0x60,
            0x86,
            0x48,
            0x01,
            0x65,
            0x03,
            0x04,
            0x02,
            oid_last,
            0x05,
            0x00,
            0x04,
            len,
        ];
        let scheme = rsa::Pkcs1v15Sign {
            hash_len: Some(usize::from(len)),
            prefix: prefix.into(),
        };
        return key.verify(scheme, &hashed, sig).map_err(|_| ());
    }
    use ecdsa::signature::hazmat::PrehashVerifier;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        .ok_or(())?;
    match curve {
        P256 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes).map_err(|_| ())?;
            let sig = p256::ecdsa::Signature::from_der(sig).map_err(|_| ())?;
            key.verify_prehash(&hashed, &sig).map_err(|_| ())
        }
        P384 => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes).map_err(|_| ())?;
            let sig = p384::ecdsa::Signature::from_der(sig).map_err(|_| ())?;
            key.verify_prehash(&hashed, &sig).map_err(|_| ())
        }
        _ => Err(()),
    }
}

/// A token wrapped as a granted RFC 3161 reply, the form `openssl ts -verify
/// -in` reads.
pub fn as_reply(token: &[u8]) -> Result<Vec<u8>, TimestampError> {
    let token = ContentInfo::from_der(token).map_err(|e| bad(format!("not CMS ({e})")))?;
    TimeStampResp {
        status: cmpv2::status::PkiStatusInfo {
            status: cmpv2::status::PkiStatus::Accepted,
            status_string: None,
            fail_info: None,
        },
        time_stamp_token: Some(token),
    }
    .to_der()
    .map_err(|e| bad(e.to_string()))
}

/// The token inside a reply file (or the file itself, if it is a bare token).
pub fn from_file(bytes: &[u8]) -> Result<Vec<u8>, TimestampError> {
    if bytes.len() > MAX_TOKEN {
        return Err(bad("it is larger than any time-stamp token"));
    }
    if ContentInfo::from_der(bytes).is_ok() {
        return Ok(bytes.to_vec());
    }
    let resp = TimeStampResp::from_der(bytes)
        .map_err(|e| bad(format!("neither a reply nor a token ({e})")))?;
    if resp.status.status as u8 > 1 {
        return Err(bad("the reply it holds was refused by the authority"));
    }
    resp.time_stamp_token
        .ok_or_else(|| bad("the reply holds no token"))?
        .to_der()
        .map_err(|e| bad(e.to_string()))
}
