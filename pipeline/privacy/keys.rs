//! The project key and the pseudonym construction (PRODUCT.md §5).
//!
//! This is the one place that touches key material. A key is 32 random bytes
//! kept as 64 hex characters in a file that `rni keygen` writes with mode
//! 0600. Loading fails closed: a missing, short, long or non-hex key stops the
//! command before anything is written, and no message ever shows key bytes.
//! [`Pseudonymiser`] derives one HMAC-SHA256 subkey per identifier kind and
//! turns `(kind, authority, value)` into a 128-bit lowercase-hex pseudonym that
//! anyone holding the key can reproduce in any language.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::config::schema::IdKind;
use crate::error::{Error, Result};
use crate::ingest::normalise::normalise;

type HmacSha256 = Hmac<Sha256>;

/// Environment variable that names the key file when `--key-file` is not given.
pub const KEY_ENV: &str = "RNI_KEY_FILE";

/// The 32-byte project key. Its `Debug` never shows the bytes; they are wiped on drop.
pub struct ProjectKey {
    bytes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for ProjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProjectKey(<redacted>)")
    }
}

impl ProjectKey {
    /// A key from raw bytes (tests and the throw-away demo key).
    pub fn from_bytes(bytes: [u8; 32]) -> ProjectKey {
        ProjectKey { bytes: Zeroizing::new(bytes) }
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<ProjectKey> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut_slice())
            .map_err(|e| Error::Key(format!("the operating system gave no random bytes ({e})")))?;
        Ok(ProjectKey { bytes })
    }

    /// Parses the text of a key file: 64 hex characters, surrounding whitespace ignored.
    pub fn parse(text: &str, source: &str) -> Result<ProjectKey> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::Key(format!("{source} is empty; make a key with `rni keygen --out FILE`")));
        }
        if text.chars().count() != 64 {
            return Err(Error::Key(format!(
                "{source} must hold exactly 64 hexadecimal characters (32 bytes); it holds {}",
                text.chars().count()
            )));
        }
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Key(format!("{source} holds characters that are not hexadecimal (0-9, a-f)")));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text, bytes.as_mut_slice())
            .map_err(|_| Error::Key(format!("{source} is not valid hexadecimal")))?;
        Ok(ProjectKey { bytes })
    }

    /// Reads a key file.
    pub fn load(path: &Path) -> Result<ProjectKey> {
        let source = format!("key file {}", path.display());
        let meta = std::fs::metadata(path).map_err(|e| Error::Key(format!("cannot read {source}: {e}")))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    "{source} can be read by other users (mode {:o}); restrict it with `chmod 600 {}`",
                    meta.permissions().mode() & 0o777,
                    path.display()
                );
            }
        }
        // A key file is 64 characters and a newline; anything much bigger is the wrong file.
        if meta.len() > 1024 {
            return Err(Error::Key(format!(
                "{source} is {} bytes; a key file holds 64 hexadecimal characters",
                meta.len()
            )));
        }
        let raw = Zeroizing::new(std::fs::read(path).map_err(|e| Error::Key(format!("cannot read {source}: {e}")))?);
        let text = std::str::from_utf8(&raw)
            .map_err(|_| Error::Key(format!("{source} holds characters that are not hexadecimal (0-9, a-f)")))?;
        ProjectKey::parse(text, &source)
    }

    /// Finds the key from `--key-file`, else the `RNI_KEY_FILE` variable; refuses when neither is set.
    pub fn from_flag_or_env(flag: Option<&Path>) -> Result<ProjectKey> {
        match flag {
            Some(path) => ProjectKey::load(path),
            None => match std::env::var_os(KEY_ENV) {
                Some(path) if !path.is_empty() => ProjectKey::load(Path::new(&path)),
                _ => Err(Error::Key(format!(
                    "no key given: pass --key-file FILE or set {KEY_ENV}; make one with `rni keygen --out FILE`"
                ))),
            },
        }
    }

    /// Writes a new key file (64 hex characters and a newline, mode 0600); never overwrites.
    pub fn write_new(&self, path: &Path) -> Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Key(format!("{} already exists; a key file is never overwritten", path.display()))
            } else {
                Error::Key(format!("cannot create key file {}: {e}", path.display()))
            }
        })?;
        let mut text = Zeroizing::new(hex::encode(self.bytes.as_slice()));
        text.push('\n');
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::Key(format!("cannot write key file {}: {e}", path.display())))
    }

    /// `key_id`: the first 16 hex characters of HMAC-SHA256(key, "rni key id").
    pub fn key_id(&self) -> String {
        let mut mac = self.mac();
        mac.update(b"rni key id");
        hex::encode(mac.finalize().into_bytes())[..16].to_string()
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail for 32 bytes.
        match <HmacSha256 as KeyInit>::new_from_slice(self.bytes.as_slice()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts a 32-byte key"),
        }
    }
}

/// Invisible format characters that creep into ids copied between systems.
/// Lowercase hex, as `hex::encode`, written straight into one string (one per id, so it counts).
fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Keyed pseudonyms for every identifier kind, with the subkeys precomputed.
#[derive(Clone)]
pub struct Pseudonymiser {
    subkeys: Vec<(IdKind, HmacSha256)>,
    key_id: String,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pseudonymiser(key_id={})", self.key_id)
    }
}

impl Pseudonymiser {
    /// Derives `subkey_k = HMAC-SHA256(key, "rni/v1/" + k)` for every kind.
    pub fn new(key: &ProjectKey) -> Pseudonymiser {
        let subkeys = IdKind::ALL
            .iter()
            .map(|&kind| {
                let mut mac = key.mac();
                mac.update(b"rni/v1/");
                mac.update(kind.name().as_bytes());
                let mut subkey = Zeroizing::new([0u8; 32]);
                subkey.copy_from_slice(&mac.finalize().into_bytes());
                let keyed = match <HmacSha256 as KeyInit>::new_from_slice(subkey.as_slice()) {
                    Ok(m) => m,
                    Err(_) => unreachable!("HMAC accepts a 32-byte key"),
                };
                (kind, keyed)
            })
            .collect();
        Pseudonymiser { subkeys, key_id: key.key_id() }
    }

    /// The key id of the key these subkeys came from.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The pseudonym of `value` of kind `kind` in authority `authority_code`:
    /// lowercase hex of the first 16 bytes of
    /// HMAC-SHA256(subkey_kind, authority_code + "\x1f" + normalise(value)).
    pub fn pseudonym(&self, kind: IdKind, authority_code: &str, value: &str) -> String {
        let normalised = Zeroizing::new(normalise(value));
        self.pseudonym_of_normalised(kind, authority_code, &normalised)
    }

    /// As [`Pseudonymiser::pseudonym`] for a value already normalised.
    pub fn pseudonym_of_normalised(&self, kind: IdKind, authority_code: &str, normalised: &str) -> String {
        let mut mac = self.subkey(kind).clone();
        mac.update(authority_code.as_bytes());
        mac.update(b"\x1f");
        mac.update(normalised.as_bytes());
        lower_hex(&mac.finalize().into_bytes()[..16])
    }

    /// A keyed digest of some strings (e.g. the names a scrubber knows), so a
    /// manifest can tell whether they changed without holding anything that
    /// could be checked against a guess by someone without the key.
    pub fn keyed_digest(&self, label: &str, parts: &[String]) -> String {
        let mut mac = self.subkey(IdKind::Person).clone();
        mac.update(b"rni/v1/digest/");
        mac.update(label.as_bytes());
        for part in parts {
            mac.update(b"\x1e");
            mac.update(part.as_bytes());
        }
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    fn subkey(&self, kind: IdKind) -> &HmacSha256 {
        // Every kind is derived in `new`, so the search always succeeds.
        &self.subkeys[IdKind::ALL.iter().position(|&k| k == kind).unwrap_or(0)].1
    }
}

/// The fixed key of the data dictionary's worked example: bytes 0x00, 0x01, …, 0x1f.
pub fn example_key() -> ProjectKey {
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = i as u8;
    }
    ProjectKey::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_1() {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&[0x0b; 20]).expect("key");
        mac.update(b"Hi There");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    // Expected values computed independently with Python's hmac module:
    //   key = bytes(range(32))
    //   sub = hmac.new(key, b"rni/v1/person", sha256).digest()
    //   hmac.new(sub, b"E09000017\x1fAB 12 C", sha256).hexdigest()[:32]
    #[test]
    fn worked_example_matches_independent_implementation() {
        let p = Pseudonymiser::new(&example_key());
        assert_eq!(p.key_id(), EXAMPLE_KEY_ID);
        assert_eq!(p.pseudonym(IdKind::Person, "E09000017", "  ab   12\tc "), EXAMPLE_PERSON);
    }
    const EXAMPLE_KEY_ID: &str = "95c8a8cd11ddc6b9";
    const EXAMPLE_PERSON: &str = "13f3d1cf86ccb79b8b37262a04f091ec";

    #[test]
    fn key_parse_refuses_bad_keys_without_echoing_them() {
        let short = "ab".repeat(16);
        let err = ProjectKey::parse(&short, "key file k").expect_err("short");
        assert!(!err.to_string().contains(&short));
        let bad = "zz".repeat(32);
        let err = ProjectKey::parse(&bad, "key file k").expect_err("non-hex");
        assert!(err.to_string().contains("not hexadecimal"));
        assert!(!err.to_string().contains(&bad));
        assert!(ProjectKey::parse("", "key file k").is_err());
        assert!(ProjectKey::parse(&format!("{}\n", "0f".repeat(32)), "key file k").is_ok());
    }

    #[test]
    fn debug_never_shows_key() {
        let key = example_key();
        assert_eq!(format!("{key:?}"), "ProjectKey(<redacted>)");
    }

    proptest! {
        #[test]
        fn same_value_and_key_give_same_pseudonym(v in "\\PC{0,20}", seed in any::<u8>()) {
            let key = ProjectKey::from_bytes([seed; 32]);
            let a = Pseudonymiser::new(&key).pseudonym(IdKind::Person, "E09000017", &v);
            let b = Pseudonymiser::new(&key).pseudonym(IdKind::Person, "E09000017", &v);
            prop_assert_eq!(a.len(), 32);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn key_kind_and_authority_each_change_the_pseudonym(v in "[A-Za-z0-9]{1,12}", seed in 0u8..255) {
            let p1 = Pseudonymiser::new(&ProjectKey::from_bytes([seed; 32]));
            let p2 = Pseudonymiser::new(&ProjectKey::from_bytes([seed + 1; 32]));
            let base = p1.pseudonym(IdKind::Person, "E09000017", &v);
            prop_assert_ne!(&base, &p2.pseudonym(IdKind::Person, "E09000017", &v));
            prop_assert_ne!(&base, &p1.pseudonym(IdKind::Episode, "E09000017", &v));
            prop_assert_ne!(&base, &p1.pseudonym(IdKind::Person, "E09000018", &v));
        }

        #[test]
        fn spacing_and_case_do_not_change_the_pseudonym(v in "[a-z]{1,8}( [a-z]{1,8}){0,2}") {
            let p = Pseudonymiser::new(&example_key());
            let messy = format!("  {}  ", v.to_uppercase().replace(' ', "   "));
            prop_assert_eq!(p.pseudonym(IdKind::School, "E06000001", &v), p.pseudonym(IdKind::School, "E06000001", &messy));
        }

        #[test]
        fn lower_hex_is_hex(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(lower_hex(&bytes), hex::encode(&bytes));
        }
    }
}
