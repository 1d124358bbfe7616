//! What changed between two versions of a sheet, as field paths.

use serde_json::Value;

/// Paths that were added, removed or changed, e.g. `~ perpetrators[P1].gender`.
pub fn changes(before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn key_of(v: &Value) -> Option<&str> {
    v.get("id").and_then(Value::as_str)
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    if a == b {
        return;
    }
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => walk(&join(k), va, vb, out),
                    None => out.push(format!("- {}", join(k))),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("+ {}", join(k)));
            }
        }
        // Lists of things with ids are matched by id, so reordering is not a change.
        (Value::Array(x), Value::Array(y)) if x.iter().chain(y).all(|v| key_of(v).is_some()) => {
            for va in x {
                let id = key_of(va).unwrap_or_default();
                match y.iter().find(|vb| key_of(vb) == Some(id)) {
                    Some(vb) => walk(&format!("{path}[{id}]"), va, vb, out),
                    None => out.push(format!("- {path}[{id}]")),
                }
            }
            for vb in y {
                let id = key_of(vb).unwrap_or_default();
                if !x.iter().any(|va| key_of(va) == Some(id)) {
                    out.push(format!("+ {path}[{id}]"));
                }
            }
        }
        _ => out.push(format!("~ {path}")),
    }
}

#[cfg(test)]
mod tests {
    use super::changes;
    use serde_json::json;

    #[test]
    fn paths_by_id_and_key() {
        let a = json!({"title": "A", "perpetrators": [{"id": "P1", "gender": "m"}, {"id": "P2"}], "x": 1});
        let b = json!({"title": "B", "perpetrators": [{"id": "P3"}, {"id": "P1", "gender": "f"}], "y": 2});
        let c = changes(&a, &b);
        assert!(c.contains(&"~ title".to_string()));
        assert!(c.contains(&"~ perpetrators[P1].gender".to_string()));
        assert!(c.contains(&"- perpetrators[P2]".to_string()));
        assert!(c.contains(&"+ perpetrators[P3]".to_string()));
        assert!(c.contains(&"- x".to_string()) && c.contains(&"+ y".to_string()));
        assert!(changes(&a, &a).is_empty());
    }
}
