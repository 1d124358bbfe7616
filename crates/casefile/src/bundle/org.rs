//! Organisation keys: one key per organisation that a recipient pins, which
//! certifies its members' devices and revokes them when a laptop is lost or
//! seized.
//!
//! Statements are short UTF-8 texts, one `field: value` per line after a
//! header line, each signed with minisign by the organisation's key (so
//! `minisign -V -p organisation.pub -m STATEMENT` checks one). The
//! organisation's secret key is an age file encrypted with a passphrase
//! (`age -d` opens it), kept apart from any vault.

use std::io::{Read, Write};

use zeroize::Zeroizing;

use super::seal;
use crate::crypto::sign::{DeviceKey, DevicePublicKey};
use crate::names::Line;

const CERTIFICATE_HEADER: &str = "casefile-device-certificate/1";
const REVOCATION_HEADER: &str = "casefile-device-revocation/1";
const SECRET_HEADER: &str = "casefile-organisation-key/1";
/// Most bytes of a statement or its signature.
pub const MAX_STATEMENT: u64 = 16 << 10;

/// Why an organisation statement or key is refused.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// The text is not a statement of the expected kind.
    #[error("not a {0}: {1}")]
    Malformed(&'static str, String),
    /// Its signature does not hold.
    #[error("its signature by the organisation key does not hold: {0}")]
    Signature(#[from] seal::SealError),
    /// The key file cannot be opened.
    #[error("cannot open the organisation key: {0}")]
    Key(String),
    /// The statement holds but does not apply here.
    #[error("{0}")]
    Refused(String),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] crate::VaultError),
}

/// An organisation's signing key.
pub struct OrgKey {
    name: String,
    key: DeviceKey,
}

fn rfc3339(raw: &str) -> Option<String> {
    let t =
        time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).ok()?;
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// A UTC time as RFC 3339, whole seconds, or None when it is not one.
pub fn normalise_time(raw: &str) -> Option<String> {
    rfc3339(raw)
}

fn fields<'a>(
    kind: &'static str,
    header: &str,
    text: &'a str,
    names: &[&str],
) -> Result<Vec<&'a str>, OrgError> {
    let bad = |why: &str| OrgError::Malformed(kind, why.to_string());
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        return Err(bad(&format!("it does not start with {header}")));
    }
    let mut out: Vec<Option<&str>> = vec![None; names.len()];
    for line in lines {
        let (k, v) = line
            .split_once(": ")
            .ok_or_else(|| bad(&format!("{line:?} is not `field: value`")))?;
        let i = names
            .iter()
            .position(|n| *n == k)
            .ok_or_else(|| bad(&format!("unknown field {k:?}")))?;
        if out[i].replace(v).is_some() {
            return Err(bad(&format!("{k} is given twice")));
        }
    }
    out.into_iter()
        .zip(names)
        .map(|(v, n)| v.ok_or_else(|| bad(&format!("{n} is missing"))))
        .collect()
}

fn key_field(kind: &'static str, v: &str) -> Result<DevicePublicKey, OrgError> {
    DevicePublicKey::from_minisign_line(v)
        .ok_or_else(|| OrgError::Malformed(kind, format!("{v:?} is not a minisign public key")))
}

fn line_field(kind: &'static str, v: &str) -> Result<String, OrgError> {
    if v.trim() != v {
        return Err(OrgError::Malformed(
            kind,
            format!("{v:?} has spaces around it"),
        ));
    }
    let l = Line::parse(v).map_err(|e| OrgError::Malformed(kind, e.to_string()))?;
    if l.as_str().is_empty() {
        return Err(OrgError::Malformed(kind, "a name is empty".into()));
    }
    Ok(l.into())
}

fn time_field(kind: &'static str, v: &str) -> Result<String, OrgError> {
    rfc3339(v).ok_or_else(|| OrgError::Malformed(kind, format!("{v:?} is not an RFC 3339 time")))
}

impl OrgKey {
    /// A new organisation key named `name`.
    pub fn generate(name: &str) -> Result<Self, OrgError> {
        Ok(OrgKey {
            name: line_field("organisation key", name)?,
            key: DeviceKey::generate(),
        })
    }

    /// The organisation's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its public key (what recipients pin).
    pub fn public(&self) -> DevicePublicKey {
        self.key.public()
    }

    /// The secret key file: age, encrypted with `passphrase` (scrypt).
    pub fn to_file(&self, passphrase: &str) -> Result<Vec<u8>, OrgError> {
        let body = Zeroizing::new(format!(
            "{SECRET_HEADER}\nname: {}\nseed: {}\nkey-id: {}\n",
            self.name,
            hex::encode(*self.key.seed()),
            // The raw bytes, as `from_parts` takes them (key_id_hex shows
            // them in minisign's display order).
            hex::encode(self.public().key_id)
        ));
        let enc = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(
            passphrase.to_string(),
        ));
        let mut out = Vec::new();
        let mut w = enc
            .wrap_output(&mut out)
            .map_err(|e| OrgError::Key(e.to_string()))?;
        w.write_all(body.as_bytes())
            .and_then(|()| w.finish().map(|_| ()))
            .map_err(|e| OrgError::Key(e.to_string()))?;
        Ok(out)
    }

    /// Opens a secret key file.
    pub fn from_file(bytes: &[u8], passphrase: &str) -> Result<Self, OrgError> {
        let key_err = |e: String| OrgError::Key(e);
        let dec = age::Decryptor::new_buffered(bytes).map_err(|e| key_err(e.to_string()))?;
        let identity =
            age::scrypt::Identity::new(age::secrecy::SecretString::from(passphrase.to_string()));
        let mut r = dec
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(|_| key_err("wrong passphrase, or not an organisation key".into()))?;
        let mut text = Zeroizing::new(String::new());
        r.by_ref()
            .take(4096)
            .read_to_string(&mut text)
            .map_err(|e| key_err(e.to_string()))?;
        let f = fields(
            "organisation key",
            SECRET_HEADER,
            &text,
            &["name", "seed", "key-id"],
        )?;
        let seed = Zeroizing::new(hex::decode(f[1]).map_err(|e| key_err(e.to_string()))?);
        let id = hex::decode(f[2]).map_err(|e| key_err(e.to_string()))?;
        Ok(OrgKey {
            name: line_field("organisation key", f[0])?,
            key: DeviceKey::from_parts(&seed, &id).map_err(|e| key_err(e.to_string()))?,
        })
    }

    fn signed(&self, text: String, what: &str) -> (String, String) {
        let comment = format!(
            "casefile {what} by organisation {} (key fingerprint {})",
            self.name,
            self.public().fingerprint()
        );
        let sig = seal::sign(&self.key, text.as_bytes(), &comment);
        (text, sig)
    }

    /// Certifies `device` as a device of `member`, from `valid_from`
    /// (RFC 3339). Returns the statement and its minisign signature.
    pub fn certify(
        &self,
        device: &DevicePublicKey,
        member: &str,
        valid_from: &str,
    ) -> Result<(String, String), OrgError> {
        let kind = "device certificate";
        if *device == self.public() {
            return Err(OrgError::Refused(
                "an organisation's key cannot be certified as one of its devices".into(),
            ));
        }
        let text = format!(
            "{CERTIFICATE_HEADER}\norganisation: {}\norganisation-key: {}\nmember: {}\n\
             device-key: {}\nvalid-from: {}\n",
            self.name,
            self.public().minisign_line(),
            line_field(kind, member)?,
            device.minisign_line(),
            time_field(kind, valid_from)?
        );
        Ok(self.signed(text, "device certificate"))
    }

    /// Revokes `device` from `at` (RFC 3339): bundles it sealed at or after
    /// that time are refused.
    pub fn revoke(&self, device: &DevicePublicKey, at: &str) -> Result<(String, String), OrgError> {
        let text = format!(
            "{REVOCATION_HEADER}\norganisation: {}\norganisation-key: {}\ndevice-key: {}\n\
             revoked-at: {}\n",
            self.name,
            self.public().minisign_line(),
            device.minisign_line(),
            time_field("revocation", at)?
        );
        Ok(self.signed(text, "device revocation"))
    }
}

/// A device certificate whose signature by the organisation key it names holds.
#[derive(Debug, Clone)]
pub struct DeviceCertificate {
    /// The organisation's name.
    pub organisation: String,
    /// The organisation's key (it signed this).
    pub organisation_key: DevicePublicKey,
    /// The member the device belongs to.
    pub member: String,
    /// The device's key.
    pub device_key: DevicePublicKey,
    /// From when it is valid.
    pub valid_from: String,
}

impl DeviceCertificate {
    /// Parses a certificate and checks its signature.
    pub fn verify(text: &str, signature: &str) -> Result<Self, OrgError> {
        let kind = "device certificate";
        let f = fields(
            kind,
            CERTIFICATE_HEADER,
            text,
            &[
                "organisation",
                "organisation-key",
                "member",
                "device-key",
                "valid-from",
            ],
        )?;
        if f[1] == f[3] {
            return Err(OrgError::Malformed(
                kind,
                "it certifies the organisation's own key as a device".into(),
            ));
        }
        let c = DeviceCertificate {
            organisation: line_field(kind, f[0])?,
            organisation_key: key_field(kind, f[1])?,
            member: line_field(kind, f[2])?,
            device_key: key_field(kind, f[3])?,
            valid_from: time_field(kind, f[4])?,
        };
        seal::verify(&c.organisation_key, text.as_bytes(), signature)?;
        Ok(c)
    }
}

/// A revocation whose signature by the organisation key it names holds.
#[derive(Debug, Clone)]
pub struct Revocation {
    /// The organisation's name.
    pub organisation: String,
    /// The organisation's key (it signed this).
    pub organisation_key: DevicePublicKey,
    /// The revoked device key.
    pub device_key: DevicePublicKey,
    /// From when.
    pub revoked_at: String,
}

impl Revocation {
    /// Parses a revocation and checks its signature.
    pub fn verify(text: &str, signature: &str) -> Result<Self, OrgError> {
        let kind = "revocation";
        let f = fields(
            kind,
            REVOCATION_HEADER,
            text,
            &[
                "organisation",
                "organisation-key",
                "device-key",
                "revoked-at",
            ],
        )?;
        let r = Revocation {
            organisation: line_field(kind, f[0])?,
            organisation_key: key_field(kind, f[1])?,
            device_key: key_field(kind, f[2])?,
            revoked_at: time_field(kind, f[3])?,
        };
        seal::verify(&r.organisation_key, text.as_bytes(), signature)?;
        Ok(r)
    }
}

/// Keeps `text` (with `signature`) as this vault's certificate, after
/// checking it holds and certifies this vault's own device key.
pub fn install_certificate(
    vault: &mut crate::Vault,
    text: &str,
    signature: &str,
) -> Result<DeviceCertificate, OrgError> {
    let c = DeviceCertificate::verify(text, signature)?;
    if c.device_key != vault.device_key() {
        return Err(OrgError::Refused(format!(
            "the certificate is for the device with fingerprint {}, not this one ({})",
            c.device_key.fingerprint(),
            vault.device_key().fingerprint()
        )));
    }
    vault.set_device_certificate(
        &crate::vault::SignedStatement {
            text: text.to_string(),
            signature: signature.to_string(),
        },
        serde_json::json!({
            "organisation": c.organisation,
            "organisation_fingerprint": c.organisation_key.fingerprint(),
            "member": c.member,
            "valid_from": c.valid_from,
        }),
    )?;
    Ok(c)
}

/// Loads an organisation's revocation, after checking it holds and that
/// the organisation is a known sender of this vault. Returns it with the
/// revocation time in force (an earlier one already loaded wins).
pub fn load_revocation(
    vault: &mut crate::Vault,
    text: &str,
    signature: &str,
) -> Result<Revocation, OrgError> {
    let r = Revocation::verify(text, signature)?;
    let known = vault
        .senders()?
        .into_iter()
        .any(|s| s.kind == crate::vault::KIND_ORGANISATION && s.key == r.organisation_key);
    if !known {
        return Err(OrgError::Refused(format!(
            "the revocation is signed by organisation {:?} (fingerprint {}), which is not a known organisation; pin it first with `casefile senders add NAME KEY --organisation`",
            r.organisation,
            r.organisation_key.fingerprint()
        )));
    }
    let in_force = vault.add_revocation(
        &r.device_key,
        &r.organisation_key,
        &r.revoked_at,
        &crate::vault::SignedStatement {
            text: text.to_string(),
            signature: signature.to_string(),
        },
    )?;
    Ok(Revocation {
        revoked_at: in_force,
        ..r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_round_trip_and_refuse_tampering() {
        let org = OrgKey::generate("Acme Rights").unwrap();
        let device = DeviceKey::generate().public();
        let (text, sig) = org
            .certify(&device, "Amina", "2026-12-01T10:00:00Z")
            .unwrap();
        let c = DeviceCertificate::verify(&text, &sig).unwrap();
        assert_eq!(c.member, "Amina");
        assert_eq!(c.device_key, device);
        let forged = text.replace("Amina", "Mallory");
        assert!(DeviceCertificate::verify(&forged, &sig).is_err());
        let (rt, rs) = org.revoke(&device, "2026-12-02T00:00:00+02:00").unwrap();
        let r = Revocation::verify(&rt, &rs).unwrap();
        assert_eq!(r.revoked_at, "2026-12-01T22:00:00Z");
        assert!(
            DeviceCertificate::verify(&rt, &rs).is_err(),
            "kinds do not mix"
        );
        let file = org.to_file("org passphrase").unwrap();
        let back = OrgKey::from_file(&file, "org passphrase").unwrap();
        assert_eq!(back.public(), org.public());
        assert_eq!(back.public().fingerprint(), org.public().fingerprint());
        assert!(OrgKey::from_file(&file, "wrong").is_err());
    }
}
