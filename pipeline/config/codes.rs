//! Accepted codes of a column: the canonical codes, their spellings, and how a cell's value
//! is resolved to one (case, spaces and punctuation aside; a picklist entry by its code or
//! its meaning).

use std::collections::{BTreeMap, HashMap};

/// Accepted codes of a column and the lookup from any spelling to its code.
#[derive(Debug, Clone)]
pub struct CodeSet {
    /// The canonical codes, in schema order.
    pub codes: Vec<String>,
    /// Value aliases per code, as written in the schema.
    pub aliases: BTreeMap<String, Vec<String>>,
    lookup: HashMap<String, usize>,
}

impl CodeSet {
    /// The canonical code for a cell value, matching codes and aliases
    /// case-, space- and punctuation-insensitively.
    /// A value written as a picklist entry — an option letter, the code and its meaning
    /// (`f) U6: Foster placement`, `C2: FCO`, `e) PR4 - Private provision`) — resolves to its code
    /// when the whole of it is not a spelling the schema knows.
    pub fn resolve(&self, value: &str) -> Option<&str> {
        let find = |text: &str| self.lookup.get(&match_key(text)).map(|&i| self.codes[i].as_str());
        find(value).or_else(|| {
            let text = value.trim();
            let unlettered = match text.as_bytes() {
                [letter, b')', ..] if letter.is_ascii_alphabetic() => text[2..].trim_start(),
                _ => text,
            };
            // The code before the first separator, else the meaning after it.
            let split = [":", " - ", " – "]
                .iter()
                .filter_map(|sep| unlettered.split_once(sep))
                .min_by_key(|(head, _)| head.len());
            find(unlettered)
                .filter(|_| unlettered.len() < text.len())
                .or_else(|| split.and_then(|(code, _)| find(code.trim())))
                .or_else(|| split.and_then(|(_, meaning)| find(meaning.trim())))
        })
    }
}

/// Compiles a column's codes and their spellings; a spelling of two codes is an error.
pub(crate) fn compile_codes(codes: Vec<String>, aliases: BTreeMap<String, Vec<String>>) -> Result<CodeSet, String> {
    let mut lookup = HashMap::new();
    for (i, code) in codes.iter().enumerate() {
        if lookup.insert(match_key(code), i).is_some() {
            return Err(format!("code `{code}` is listed twice"));
        }
    }
    for (code, spellings) in &aliases {
        let Some(i) = codes.iter().position(|c| c == code) else {
            return Err(format!("`{code}` is not one of the column's codes"));
        };
        for spelling in spellings {
            match lookup.insert(match_key(spelling), i) {
                Some(j) if j != i => {
                    return Err(format!("`{spelling}` is an alias of both `{}` and `{code}`", codes[j]));
                }
                _ => {}
            }
        }
    }
    Ok(CodeSet { codes, aliases, lookup })
}

/// Key for matching headers and codes: letters and digits only, lowercase.
pub fn match_key(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}
