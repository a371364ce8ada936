//! The command line itself: help, keys, the dictionary.

use crate::util::{rni, rni_ok, temp};

#[test]
fn every_command_has_help() {
    let dir = temp();
    let top = rni_ok(dir.path(), &["--help"]);
    for command in
        ["demo", "synth", "keygen", "dictionary", "validate", "prepare", "build", "query", "case-study", "audit"]
    {
        assert!(top.contains(command), "top-level help lists {command}");
        let help = rni_ok(dir.path(), &[command, "--help"]);
        assert!(help.contains("Usage: rni"), "{command} --help: {help}");
        assert!(help.lines().count() > 4, "{command} --help is more than a usage line");
    }
}

#[test]
fn unknown_command_is_a_usage_error() {
    let dir = temp();
    let out = rni(dir.path(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn keygen_writes_a_private_hex_key_and_never_overwrites() {
    let dir = temp();
    let key_id = rni_ok(dir.path(), &["keygen", "--out", "project.key"]);
    let path = dir.path().join("project.key");
    let text = std::fs::read_to_string(&path).expect("key file");
    let hex = text.trim_end();
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(key_id.trim().len(), 16, "prints the key id");
    assert!(!key_id.contains(hex), "never prints the key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let again = rni(dir.path(), &["keygen", "--out", "project.key"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&path).expect("key file"), text, "unchanged");
    // Two keys differ.
    rni_ok(dir.path(), &["keygen", "--out", "second.key"]);
    assert_ne!(std::fs::read_to_string(dir.path().join("second.key")).expect("key"), text);
}

#[test]
fn committed_dictionary_is_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = std::path::Path::new(root);
    rni_ok(dir, &["dictionary", "--check", "--out", "data-dictionary.md"]);
}

#[test]
fn dictionary_check_fails_on_a_stale_file() {
    let dir = temp();
    rni_ok(dir.path(), &["dictionary", "--out", "dd.md"]);
    rni_ok(dir.path(), &["dictionary", "--check", "--out", "dd.md"]);
    let path = dir.path().join("dd.md");
    let mut text = std::fs::read_to_string(&path).expect("dd");
    text.push_str("\nhand edit\n");
    std::fs::write(&path, text).expect("write");
    let out = rni(dir.path(), &["dictionary", "--check", "--out", "dd.md"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rni dictionary"));
}
