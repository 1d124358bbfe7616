//! Selective disclosure of custody events (log format 2).
//!
//! An event's leaf commits to each string of its `details` through a salted
//! hash, as SD-JWT does: the stored, hashed body holds `{"_sd": "<hex>"}` in
//! place of the string, where the hex is SHA-256 of the disclosure, the
//! compact JSON array `["<salt>","<value>"]` with 16 random bytes of salt in
//! unpadded base64url. The disclosures are kept beside the event. A bundle
//! then carries the event exactly as hashed, so its inclusion proof holds,
//! and the disclosures of only those values it may reveal: a field that
//! names a withheld person stays a bare commitment, which the salt keeps
//! from being guessed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::CustodyError;

/// The key of a commitment object.
pub const SD: &str = "_sd";

/// One disclosure: the compact JSON `["salt","value"]`.
pub type Disclosure = String;

/// SHA-256 of a disclosure, hex: what the event commits to.
pub fn digest(disclosure: &str) -> String {
    hex::encode(Sha256::digest(disclosure.as_bytes()))
}

/// A new disclosure of `value` with fresh salt.
fn disclose(value: &str) -> Disclosure {
    let salt = URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<16>());
    serde_json::to_string(&(salt, value)).unwrap_or_default()
}

/// Replaces every string in `details` by a commitment; returns the
/// disclosures in the order of the strings.
pub fn commit(details: &mut Value) -> Vec<Disclosure> {
    let mut out = Vec::new();
    walk_mut(details, &mut |v| {
        if let Value::String(s) = v {
            let d = disclose(s);
            *v = serde_json::json!({ SD: digest(&d) });
            out.push(d);
        }
    });
    out
}

fn walk_mut(v: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(|x| walk_mut(x, f)),
        Value::Object(o) if !is_commitment(o) => o.values_mut().for_each(|x| walk_mut(x, f)),
        other => f(other),
    }
}

fn is_commitment(o: &serde_json::Map<String, Value>) -> bool {
    o.len() == 1 && o.get(SD).is_some_and(Value::is_string)
}

/// The commitments an event's details hold, in order.
pub fn commitments(details: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) if is_commitment(o) => {
                if let Some(Value::String(h)) = o.get(SD) {
                    out.push(h.clone());
                }
            }
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(details, &mut out);
    out
}

/// The value a disclosure discloses.
pub fn value_of(disclosure: &str) -> Option<String> {
    let (_salt, value): (String, String) = serde_json::from_str(disclosure).ok()?;
    Some(value)
}

/// Puts disclosed values back in place of their commitments; those with no
/// disclosure become `withheld` (for a recipient, `"[withheld]"`). Fails if
/// a disclosure matches no commitment of this event.
pub fn reveal(
    seq: u64,
    details: &mut Value,
    disclosures: &[Disclosure],
    withheld: &str,
) -> Result<(), CustodyError> {
    let mut by_digest: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for d in disclosures {
        let value = value_of(d).ok_or_else(|| CustodyError::Malformed {
            seq,
            why: "a disclosure is not [salt, value]".into(),
        })?;
        by_digest.insert(digest(d), value);
    }
    let known = commitments(details);
    if let Some(stray) = by_digest.keys().find(|h| !known.contains(h)) {
        return Err(CustodyError::Malformed {
            seq,
            why: format!(
                "a disclosure ({}) matches none of its commitments",
                &stray[..16]
            ),
        });
    }
    fn put(v: &mut Value, by: &std::collections::HashMap<String, String>, withheld: &str) {
        match v {
            Value::Array(a) => a.iter_mut().for_each(|x| put(x, by, withheld)),
            Value::Object(o) if is_commitment(o) => {
                let h = o.get(SD).and_then(Value::as_str).unwrap_or_default();
                *v = Value::String(by.get(h).cloned().unwrap_or_else(|| withheld.to_string()));
            }
            Value::Object(o) => o.values_mut().for_each(|x| put(x, by, withheld)),
            _ => {}
        }
    }
    put(details, &by_digest, withheld);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_and_reveal_round_trip() {
        let original = serde_json::json!({
            "name": "ali's statement.txt", "size": 12,
            "changed": {"title": {"from": "a", "to": "b"}}, "list": ["x", "y"]
        });
        let mut details = original.clone();
        let disclosures = commit(&mut details);
        assert_eq!(disclosures.len(), 5);
        assert!(!details.to_string().contains("ali"));
        assert_eq!(details["size"], 12);
        let mut all = details.clone();
        reveal(1, &mut all, &disclosures, "[withheld]").unwrap();
        assert_eq!(all, original);
        // Withholding one leaves its commitment unopened.
        let mut some = details.clone();
        let others: Vec<String> = disclosures
            .iter()
            .filter(|d| value_of(d).as_deref() != Some("ali's statement.txt"))
            .cloned()
            .collect();
        reveal(1, &mut some, &others, "[withheld]").unwrap();
        assert_eq!(some["name"], "[withheld]");
        assert_eq!(some["list"][1], "y");
        // A disclosure of another event is refused.
        let mut other = serde_json::json!({"name": "z"});
        let foreign = commit(&mut other);
        assert!(reveal(1, &mut details.clone(), &foreign, "[withheld]").is_err());
        // The same value gets different salt, so a commitment cannot be guessed.
        let mut a = serde_json::json!("ali");
        let mut b = serde_json::json!("ali");
        commit(&mut a);
        commit(&mut b);
        assert_ne!(a, b);
    }
}
