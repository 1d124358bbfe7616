//! Nothing readable reaches the vault folder: not content, names, titles or hashes.

mod common;

use common::{Env, all_files};

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_marker_name_title_or_hash_in_any_vault_byte() {
    let env = Env::init();
    let content_marker = "CONTENT-MARKER-8c1e77a2f0";
    let name_marker = "NAMEMARKER3b9d";
    let title_marker = "TITLE-MARKER-51aa0c";
    let file = env.path(&format!("witness-{name_marker}.txt"));
    let body = format!("{content_marker}\n").repeat(5000);
    std::fs::write(&file, &body).unwrap();
    let out = env.json(&[
        "add",
        file.to_str().unwrap(),
        "--title",
        title_marker,
        "--notes",
        title_marker,
    ]);
    let sha256 = out[0]["sha256"].as_str().unwrap().to_string();
    let sha256_raw = hex::decode(&sha256).unwrap();
    let id = out[0]["id"].as_str().unwrap().to_string();
    env.ok(&["show", &id]);
    env.ok(&["edit", &id, "--notes", &format!("{title_marker} again")]);

    let files = all_files(&env.vault);
    assert!(files.iter().any(|p| p.ends_with("vault.db")));
    assert!(files.iter().any(|p| p.parent().unwrap().ends_with("blobs")));
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        for needle in [
            content_marker.as_bytes(),
            name_marker.as_bytes(),
            title_marker.as_bytes(),
            sha256.as_bytes(),
            &sha256_raw,
        ] {
            assert!(
                !contains(&bytes, needle),
                "{} holds {:?}",
                path.display(),
                String::from_utf8_lossy(needle)
            );
        }
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            !name.contains(&sha256[..16]),
            "a file is named after the hash: {name}"
        );
    }
    let db = std::fs::read(env.vault.join("vault.db")).unwrap();
    assert!(!db.starts_with(b"SQLite format 3"));
}
