//! The typed patterns: e-mail addresses, street addresses, postcodes, phone
//! numbers, NHS numbers, UPNs and dates, each with its placeholder.
//!
//! Which patterns can only match a text holding a digit or `@` is worked
//! out from each pattern's syntax tree, so the scrubber skips them for
//! texts without one and an edited pattern cannot be skipped wrongly.

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

/// The words inside this scrubber's own placeholders (`[NAME]`, `[PERSON:1a2b3c4d]`, `[DATE]`…),
/// which a second pass leaves alone. Anything else in brackets is scrubbed like any word.
pub(super) const LABELS: &[&str] = &[
    "NAME",
    "PERSON",
    "SCHOOL",
    "EMAIL",
    "URL",
    "ADDRESS",
    "POSTCODE",
    "PHONE",
    "NHS",
    "NI",
    "UPN",
    "DATE",
    "VEHICLE",
    "HANDLE",
    "CASE_REF",
    "POLICE_REF",
    "HOSPITAL_NO",
    "HEALTH_SITE",
    "EPISODE",
    "CONTEXT",
    "MEETING",
    "ACTIVITY",
    "REDACTED",
];

/// One typed pattern.
pub(super) struct Pattern {
    /// The expression. When it has a group named `x`, only that group is replaced (the cue
    /// before it stays: "reg [VEHICLE]").
    pub(super) regex: Regex,
    /// The placeholder.
    pub(super) label: &'static str,
    /// Whether it can match a text with no number and no `@`.
    pub(super) anywhere: bool,
    /// A check of the replaced text that a regular expression cannot say simply.
    check: Check,
    /// Whether the expression has the group `x`.
    has_group: bool,
}

/// Checks of a match that a regular expression cannot say simply.
#[derive(Clone, Copy)]
enum Check {
    Any,
    Digit,
    LetterAndDigit,
    Reference,
    Handle,
    DottedHandle,
    DayMonth,
    Street,
    Place,
}

impl Check {
    fn holds(self, s: &str) -> bool {
        match self {
            Check::Any => true,
            Check::Digit => has_digit(s),
            Check::LetterAndDigit => has_letter_and_digit(s),
            Check::Reference => is_reference(s),
            Check::Handle => looks_like_handle(s),
            Check::DottedHandle => is_dotted_handle(s),
            Check::DayMonth => is_day_month(s),
            Check::Street => is_street_address(s),
            Check::Place => true,
        }
    }

    /// Whether a match that passes needs a digit: then a text without one can skip the pattern.
    fn needs_digit(self) -> bool {
        matches!(self, Check::Digit | Check::LetterAndDigit | Check::Reference | Check::DottedHandle | Check::DayMonth)
    }
}

/// The typed patterns in the order they run.
pub(super) struct Patterns {
    /// Each pattern.
    pub(super) list: Vec<Pattern>,
    /// All of them but the reference pattern, to find in one pass which ones occur.
    pub(super) set: Option<regex::RegexSet>,
    /// Each pattern's place in the set; `None` for the reference pattern, which matches nearly
    /// every note with a number (it would only slow the set) and is decided by its own scanner.
    in_set: Vec<Option<usize>>,
}

impl Patterns {
    /// Whether pattern `i` may occur in a text whose set matches are `present`.
    pub(super) fn may_occur(&self, i: usize, present: &regex::SetMatches) -> bool {
        self.in_set.get(i).copied().flatten().is_none_or(|j| present.matched(j))
    }
}

impl Pattern {
    /// The text with every match replaced by the label. A match is kept only when it does
    /// not cut into a word (Unicode letters and digits count, so `Stępień` is never cut at
    /// `St`) and passes the pattern's check.
    pub(super) fn apply<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if let Check::Reference = self.check
            && !may_hold_reference(text)
        {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = String::new();
        let mut last = 0;
        let mut replaced = false;
        let mut take = |start: usize, end: usize| {
            let mut start = start;
            if let Check::Place = self.check {
                // "took YP to hillingdon hospital": the place is the run of words before its kind.
                match place_start(&text[start..end]) {
                    Some(offset) => start += offset,
                    None => return,
                }
            }
            if start < last || !self.check_span(text, start, end) {
                return;
            }
            if !replaced {
                out.reserve(text.len() + 16);
                replaced = true;
            }
            out.push_str(&text[last..start]);
            out.push_str(self.label);
            last = end;
        };
        if let Check::Reference = self.check
            && text.is_ascii()
        {
            // The reference pattern matches every number of a note: on ASCII text, scanned by hand.
            for (start, end) in reference_spans(text) {
                take(start, end);
            }
        } else if self.has_group {
            for caps in self.regex.captures_iter(text) {
                if let Some(m) = caps.name("x").or_else(|| caps.get(0)) {
                    take(m.start(), m.end());
                }
            }
        } else {
            for m in self.regex.find_iter(text) {
                take(m.start(), m.end());
            }
        }
        if !replaced {
            return std::borrow::Cow::Borrowed(text);
        }
        out.push_str(&text[last..]);
        std::borrow::Cow::Owned(out)
    }

    fn check_span(&self, text: &str, start: usize, end: usize) -> bool {
        let matched = &text[start..end];
        let is_word = |c: char| c.is_alphanumeric();
        let cuts_before =
            matched.chars().next().is_some_and(is_word) && text[..start].chars().next_back().is_some_and(is_word);
        let cuts_after =
            matched.chars().next_back().is_some_and(is_word) && text[end..].chars().next().is_some_and(is_word);
        !cuts_before && !cuts_after && !inside_placeholder(text, start, end) && self.check.holds(matched)
    }
}

/// Whether `start..end` lies inside one of the scrubber's own placeholders (`[PERSON:1a2b3c4d]`).
pub(super) fn inside_placeholder(text: &str, start: usize, end: usize) -> bool {
    // Inside a placeholder, a word starts right after its `[`, or after a `:` or `_` of the
    // label (`[PERSON:1a2b]`, `[CASE_REF]`): any other character before it answers at once.
    if !start.checked_sub(1).is_some_and(|b| matches!(text.as_bytes()[b], b'[' | b':' | b'_')) {
        return false;
    }
    // A placeholder is short: only a few bytes either side are looked at, so that asking this
    // of every word of a long note stays linear.
    const REACH: usize = 24;
    let mut from = start.saturating_sub(REACH);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let mut to = (end + REACH).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    let Some(open) = text[from..start].rfind('[').map(|o| from + o) else { return false };
    let Some(close) = text[end..to].find(']').map(|c| end + c) else { return false };
    let inner = &text[open + 1..close];
    if inner.contains(['[', ']']) || inner.contains(char::is_whitespace) {
        return false;
    }
    LABELS.contains(&inner)
        || inner.strip_prefix("PERSON:").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}

fn has_letter_and_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit()) && s.chars().any(|c| c.is_alphabetic())
}

fn has_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

/// A reference of another system: five digits or more, or letters and digits together in six
/// characters or more; not a money sum, a year range ("2024/25") or a time.
fn is_reference(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let alnum = s.chars().filter(|c| c.is_alphanumeric()).count();
    let is_year_range = {
        let b = s.as_bytes();
        b.len() >= 7
            && (s.starts_with("19") || s.starts_with("20"))
            && matches!(b[4], b'/' | b'-')
            && s[5..].bytes().all(|c| c.is_ascii_digit())
    };
    // "18-week", "2-year-old", "24hrs": a number with a unit is no reference.
    const UNITS: &[&str] = &[
        "week", "weeks", "wk", "wks", "day", "days", "year", "years", "yr", "yrs", "old", "hour", "hours", "hr", "hrs",
        "min", "mins", "minute", "minutes", "month", "months", "am", "pm", "th", "st", "nd", "rd", "kg", "km", "mg",
        "ml", "cm", "mm", "ft", "mph", "k", "m", "h", "x", "yo", "gb", "mb", "p", "pc", "plus", "odd", "ish",
    ];
    // The runs of letters, compared without allocating (a unit is ASCII; a run outside ASCII
    // is lowercased only to be compared and measured).
    let mut runs = s.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).peekable();
    let has_letters = runs.peek().is_some();
    let mut letter_bytes = 0;
    let mut all_units = true;
    for w in runs {
        if w.is_ascii() {
            letter_bytes += w.len();
            all_units &= UNITS.iter().any(|u| u.eq_ignore_ascii_case(w));
        } else {
            let lower = w.to_lowercase();
            letter_bytes += lower.len();
            all_units &= UNITS.contains(&lower.as_str());
        }
    }
    let is_quantity = digits <= 4 && has_letters && all_units;
    !is_year_range && !is_quantity && (digits >= 5 || (digits >= 2 && alnum >= 6 && letter_bytes >= 2))
}

/// Whether a text has a run of characters that a reference could be cut from: ASCII letters and
/// digits, `/`, `-`, or any character outside ASCII (case-insensitive classes take in a few of
/// those), at least five bytes long with at least two ASCII digits. A match of a pattern checked
/// by [`is_reference`] lies inside one such run and is never longer nor holds more digits than
/// it, so a text without one can skip that pattern. The digits of a young person's token
/// (`[PERSON:1a2b3c4d]`) count for nothing: a match there is inside a placeholder, never kept.
fn may_hold_reference(text: &str) -> bool {
    let (mut len, mut digits) = (0usize, 0usize);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b == b'['
            && let Some(token) = bytes[i..].strip_prefix(b"PERSON:")
        {
            let hex = token.iter().take_while(|c| c.is_ascii_hexdigit()).count();
            if hex > 0 && token.get(hex) == Some(&b']') {
                i += "PERSON:".len() + hex + 1;
                (len, digits) = (0, 0);
                continue;
            }
        }
        if b.is_ascii_alphanumeric() || b == b'/' || b == b'-' || b >= 0x80 {
            len += 1;
            digits += usize::from(b.is_ascii_digit());
            if len >= 5 && digits >= 2 {
                return true;
            }
        } else {
            (len, digits) = (0, 0);
        }
    }
    false
}

/// The matches, on ASCII text, of the reference pattern
/// `(?i)\b[A-Z0-9]+(?:[/\-][A-Z0-9]+)+\b|\b[A-Z0-9]*\d[A-Z0-9]*\b` (ASCII word boundaries), found
/// without the regular expression: at each word boundary before a letter or digit, the longest
/// chain of runs of letters and digits joined by `/` or `-` that ends at a word boundary, else
/// the run alone when it holds a digit and ends at one. A property test holds it to the
/// expression.
fn reference_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = text.as_bytes();
    let n = b.len();
    let is_run = |c: u8| c.is_ascii_alphanumeric();
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let run_end = move |mut i: usize| {
        while i < n && is_run(b[i]) {
            i += 1;
        }
        i
    };
    let ends_word = move |e: usize| e == n || !is_word(b[e]);
    let mut p = 0;
    std::iter::from_fn(move || {
        while p < n {
            if !is_run(b[p]) || (p > 0 && is_word(b[p - 1])) {
                p += 1;
                continue;
            }
            let start = p;
            let first_end = run_end(p);
            let mut chain_end = None;
            let mut e = first_end;
            while e + 1 < n && matches!(b[e], b'/' | b'-') && is_run(b[e + 1]) {
                e = run_end(e + 1);
                if ends_word(e) {
                    chain_end = Some(e);
                }
            }
            if let Some(end) = chain_end {
                p = end;
                return Some((start, end));
            }
            // No word boundary falls inside a run: the next start is after it.
            p = first_end;
            if ends_word(first_end) && b[start..first_end].iter().any(u8::is_ascii_digit) {
                return Some((start, first_end));
            }
        }
        None
    })
}

/// A handle written with dots ("tee.money.5811", "k.dee2"): letters and a digit, not a number,
/// a time or an abbreviation such as "e.g.".
fn is_dotted_handle(s: &str) -> bool {
    let has_word = s.split('.').any(|part| part.chars().filter(|c| c.is_alphabetic()).count() >= 2);
    has_letter_and_digit(s) && has_word && s.split('.').all(|part| !part.is_empty())
}

/// A day and month without a year ("31/10"): a day of 1 to 31 and a month of 1 to 12.
fn is_day_month(s: &str) -> bool {
    let mut parts = s.split('/').map(|p| p.parse::<u32>().unwrap_or(0));
    match (parts.next(), parts.next()) {
        // "24/7" is a phrase, and "n/10" a score out of ten.
        (Some(24), Some(7)) => false,
        (Some(0..=10), Some(10)) => false,
        (Some(1..=31), Some(1..=12)) => true,
        _ => false,
    }
}

/// Words that do not name a place: "the local hospital", "at the clinic", "sexual health".
const NOT_PLACE: &[&str] = &[
    "the",
    "a",
    "an",
    "to",
    "at",
    "in",
    "on",
    "of",
    "from",
    "by",
    "local",
    "nearest",
    "same",
    "new",
    "old",
    "his",
    "her",
    "their",
    "our",
    "your",
    "my",
    "this",
    "that",
    "any",
    "another",
    "other",
    "sexual",
    "mental",
    "children's",
    "childrens",
    "gp",
    "dental",
    "drop-in",
    "walk-in",
    "and",
    "or",
    "went",
    "attended",
    "attend",
    "left",
    "go",
    "going",
    "back",
    "into",
    "general",
    "private",
    "specialist",
    "took",
    "taken",
    "take",
    "seen",
    "was",
    "is",
    "yp",
    "he",
    "she",
    "they",
    "him",
    "them",
    "police",
    "mum",
    "dad",
    "with",
    "for",
    "via",
    "near",
    "health",
    "community",
];

/// Where the place's own name starts in a match such as "took YP to hillingdon hospital": after
/// the last word that names no place, when at least one word is left before the kind of place.
fn place_start(matched: &str) -> Option<usize> {
    let words: Vec<(usize, &str)> =
        matched.split_whitespace().map(|w| (w.as_ptr() as usize - matched.as_ptr() as usize, w)).collect();
    let kind_words =
        if matched.to_lowercase().ends_with(" centre") || matched.to_lowercase().ends_with(" center") { 2 } else { 1 };
    let before_kind = words.len().checked_sub(kind_words)?;
    let mut first = before_kind;
    while first > 0 {
        let w = words[first - 1].1.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        if NOT_PLACE.contains(&w.as_str()) {
            break;
        }
        first -= 1;
    }
    (first < before_kind).then(|| words[first].0)
}

/// A social-media handle written after a platform without a colon: it must look like one
/// (a digit, an underscore, a dot or an `@`), so "on Snapchat with friends" keeps "with".
fn looks_like_handle(s: &str) -> bool {
    s.contains(['_', '.', '@']) || s.chars().any(|c| c.is_ascii_digit())
}

/// Street words that are not a street name: "2 older males near the park" is no address.
fn is_street_address(s: &str) -> bool {
    const NOT_STREET: &[&str] = &[
        "the", "a", "an", "near", "at", "in", "on", "of", "to", "with", "and", "or", "by", "from", "for", "behind",
        "outside", "round", "around", "older", "younger", "other", "males", "females", "boys", "girls", "people",
        "weeks", "days", "hours", "times", "men", "women", "friends", "youths", "young", "was", "were", "is", "seen",
        "sessions", "visits", "months", "years", "minutes", "mins", "hrs", "miles", "streets", "lads", "members",
    ];
    !s.split_whitespace().any(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        if w.is_ascii() {
            NOT_STREET.iter().any(|n| n.eq_ignore_ascii_case(w))
        } else {
            NOT_STREET.contains(&w.to_lowercase().as_str())
        }
    })
}

/// Whether a character is one that most typed patterns need: a digit (any script) or `@`.
pub(super) fn is_number_or_at(c: char) -> bool {
    c == '@' || c.is_numeric()
}

/// Whether a text has a character of [`is_number_or_at`]; most notes are ASCII.
pub(super) fn has_number_or_at(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| b.is_ascii_digit() || b == b'@')
    } else {
        text.chars().any(is_number_or_at)
    }
}

/// Whether every match of a parsed pattern holds a character of [`is_number_or_at`]:
/// worked out from the pattern itself, so a pattern edited later cannot be skipped wrongly.
pub(super) fn always_needs_number_or_at(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => String::from_utf8_lossy(&lit.0).chars().any(is_number_or_at),
        HirKind::Class(Class::Unicode(class)) => {
            !class.ranges().is_empty() && class.ranges().iter().all(|r| (r.start()..=r.end()).all(is_number_or_at))
        }
        HirKind::Class(Class::Bytes(class)) => {
            !class.ranges().is_empty()
                && class.ranges().iter().all(|r| (r.start()..=r.end()).all(|b| is_number_or_at(b as char)))
        }
        HirKind::Repetition(rep) => rep.min >= 1 && always_needs_number_or_at(&rep.sub),
        HirKind::Capture(cap) => always_needs_number_or_at(&cap.sub),
        HirKind::Concat(parts) => parts.iter().any(always_needs_number_or_at),
        HirKind::Alternation(options) => options.iter().all(always_needs_number_or_at),
    }
}

/// The lazy DFA's cache for each pattern and for the set of all of them, per thread. The
/// defaults (2 MiB) are too small for 36 patterns run over hundreds of thousands of notes: the
/// cache fills, is cleared and is built again, and building it was a tenth of prepare's time.
const PATTERN_CACHE: usize = 8 << 20;
const SET_CACHE: usize = 64 << 20;

/// The typed patterns, built once, in the order they run: the most specific first, so that a
/// reference is not half taken by a phone number, nor a school's street by an address.
pub(super) fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // Every `\b` becomes an ASCII word boundary: that keeps each pattern on the fast DFA
        // engines even in notes with accented letters (a Unicode `\b` there falls back to a much
        // slower engine). A match that would cut into a word outside ASCII is dropped by
        // `Pattern::apply`, which checks both ends with Unicode's letters and digits.
        let compiled: Vec<Pattern> = sources()
            .into_iter()
            .filter_map(|(re, label, check)| {
                // `\w` as ASCII word characters: a Unicode `\w` inside the repetitions of these
                // patterns makes automata too large for the fast engines.
                let re = re.replace(r"\b", r"(?-u:\b)").replace(r"\w", "[0-9A-Za-z_]");
                let anywhere =
                    !check.needs_digit() && !regex_syntax::parse(&re).is_ok_and(|hir| always_needs_number_or_at(&hir));
                RegexBuilder::new(&re).dfa_size_limit(PATTERN_CACHE).build().ok().map(|regex| Pattern {
                    has_group: regex.capture_names().any(|n| n == Some("x")),
                    regex,
                    label,
                    anywhere,
                    check,
                })
            })
            .collect();
        // The set says which patterns occur in a text. Without it (it could not be built) every
        // pattern runs on every text: slower, never fewer replacements.
        let mut in_set = Vec::with_capacity(compiled.len());
        let mut members = Vec::new();
        for p in &compiled {
            if let Check::Reference = p.check {
                in_set.push(None);
            } else {
                in_set.push(Some(members.len()));
                members.push(p.regex.as_str());
            }
        }
        let set = regex::RegexSetBuilder::new(members).dfa_size_limit(SET_CACHE).build().ok();
        Patterns { list: compiled, set, in_set }
    })
}

/// The patterns' sources, labels and checks.
fn sources() -> Vec<(String, &'static str, Check)> {
    {
        const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
        const ORDINAL: &str = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty[\s-]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|thirty[\s-]?first)";
        const STREET: &str = r"(?:Road|Rd|Street|St|Close|Cl|Avenue|Ave|Lane|Ln|Way|Gardens|Gdns|Crescent|Cres|Drive|Dr|Court|Ct|Place|Pl|Terrace|Grove|Square|Sq|Walk|Mews|Row|Parade|Hill|Park|Rise|View|Green|Broadway|Vale|Wharf|Yard|Passage|Embankment|Circus|Boulevard)";
        const BLOCK: &str =
            r"(?:Estate|Tower|Towers|House|Court|Heights|Lodge|Mansions|Buildings|Block|Flats|Point|Quay)";
        // Street names without a house number: the suffixes that are seldom also the name of an
        // area (Finsbury Park, Wood Green, Muswell Hill stay).
        const NAMED_STREET: &str = r"(?:Road|Rd|Street|St|Close|Avenue|Ave|Lane|Way|Gardens|Crescent|Drive|Place|Terrace|Grove|Square|Mews|Row|Parade|Walk|Broadway|Boulevard)";
        const CAP: &str = r"[A-Z][\w'’.-]*";
        let home = r"(?i:flat|apartment|apt|unit|room|block|no\.?)\s*\d{1,4}[a-z]?,?\s+";
        let id = r"(?P<x>(?:[A-Z]{1,4}\s?)?\d[\dA-Z/\-]*(?:\s\d{2,}[A-Z]?){0,3})";
        let mut list: Vec<(String, &'static str, Check)> = vec![
            (r"(?i)\b[\w.%+'’-]+\s?@\s?[a-z0-9-]+(?:\s?\.\s?[a-z0-9-]+)+\b".into(), "[EMAIL]", Check::Any),
            (r"(?i)\b[a-z0-9._%+-]+\s*(?:\[at\]|\(at\)|\bat\b)\s*[a-z0-9-]+\s*(?:(?:\[dot\]|\(dot\)|\bdot\b)\s*[a-z0-9-]+\s*)+".into(), "[EMAIL]", Check::Any),
            (r"(?i)\b[a-z0-9._%+-]+\s*(?:\[at\]|\(at\))\s*[a-z0-9-]+(?:\s*(?:\[dot\]|\(dot\)|\.)\s*[a-z0-9-]+)*".into(), "[EMAIL]", Check::Any),
            (r"(?i)\b[\w.%+'’-]+@[a-z0-9-]{2,}\b".into(), "[EMAIL]", Check::Any),
            (r#"(?i)\b(?:https?://|www\.)[^\s<>"]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,6}/[^\s<>"]*"#.into(), "[URL]", Check::Any),
            (r"(?:^|[^\w@.])(?P<x>@[\w.]{2,30})".into(), "[HANDLE]", Check::Any),
            (r"\b\w{2,}#\d{3,5}\b|\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b".into(), "[HANDLE]", Check::Any),
            (r"(?i)\b(?:snap(?:chat)?|sc|insta(?:gram)?|ig|tiktok|tik\s?tok|telegram|whatsapp|twitter|fb|facebook|discord|kik|wizz|yubo)\s*(?:name|handle|account|username|user|profile|id)?\s*[:=]\s*(?P<x>@?[\w.\-]{2,30})".into(), "[HANDLE]", Check::Any),
            (r"(?i)\b(?:snap(?:chat)?|sc|insta(?:gram)?|ig|tiktok|tik\s?tok|telegram|twitter|discord|kik|wizz|yubo)\s+(?:(?:name|handle|account|username|user|profile)\s+)?(?P<x>@?[\w.\-]{2,30})".into(), "[HANDLE]", Check::Handle),
            (r"(?i)\b[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+\b".into(), "[HANDLE]", Check::DottedHandle),
            (format!(r"(?i)\b(?:crime\s*ref(?:erence)?|cris|cad|occurrence|occ|pnc|incident|log|ncalt|crn|police\s*ref(?:erence)?|custody\s*(?:no|number|ref))\b\.?(?:\s*(?:no\.?|number|#|ref))?\s*[:.#-]?\s*{id}"), "[POLICE_REF]", Check::Digit),
            (format!(r"(?i)\b(?:mrn|hosp(?:ital)?\.?\s*(?:no|number|id)|patient\s*(?:no|number|id)|a&e\s*no)\b\.?(?:\s*(?:no\.?|number|#))?\s*[:.#-]?\s*{id}"), "[HOSPITAL_NO]", Check::Digit),
            (r"(?i)\bnhs\s*(?:no\.?|number|#)?\s*[:.#-]?\s*(?P<x>\d[\d\s.-]{8,12}\d)".into(), "[NHS]", Check::Digit),
            (r"(?:(?:\+|\b00)\s?44[\s.-]?(?:\(0\)[\s.-]?)?|\(0|\b0[\s.-]?)(?:\d[\s.\-)]{0,2}){6,10}\d\b".into(), "[PHONE]", Check::Any),
            (r"\b7\d{3}[\s.-]?\d{3}[\s.-]?\d{3}\b".into(), "[PHONE]", Check::Any),
            (format!(r"(?i)\b(?:ref(?:erence)?|id|case\s*(?:no|number|ref|id)|lcs|mosaic|liquidlogic|eclipse|ehm|ticket|file|record|client\s*(?:no|number|id))\b\.?(?:\s*(?:no\.?|number|#|id|ref))?\s*[:.#-]?\s*{id}"), "[CASE_REF]", Check::Digit),
            (r"(?i)\b(?:reg(?:istration)?|vrm|plate|index|number\s*plate|vehicle)\b(?:\s*(?:no\.?|number|mark))?\s*[:.#-]?\s*(?P<x>[A-Z0-9]{2,4}\s?[A-Z0-9]{2,4})\b".into(), "[VEHICLE]", Check::LetterAndDigit),
            (r"\b(?:[A-Z]{2}\d{2}\s?[A-Z]{3}|[A-Z]\d{1,3}\s?[A-Z]{3}|[A-Z]{3}\s?\d{1,3}[A-Z])\b".into(), "[VEHICLE]", Check::Any),
            (r"(?i)\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b".into(), "[NI]", Check::Any),
            (r"(?i)\b[A-Z](?:\s?\d){11}\s?[0-9A-Z]\b".into(), "[UPN]", Check::Any),
            (r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b".into(), "[DATE]", Check::Any),
            (r"\b\d{1,2}/\d{1,2}\b".into(), "[DATE]", Check::DayMonth),
            (format!(r"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}\b\.?(?:,?\s+(?:\d{{4}}|'?\d{{2}}\b))?"), "[DATE]", Check::Any),
            (format!(r"(?i)\b{MONTH}\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"), "[DATE]", Check::Any),
            (format!(r"(?i)\b(?:the\s+)?{ORDINAL}\s+(?:of\s+)?{MONTH}\b(?:,?\s+\d{{4}})?"), "[DATE]", Check::Any),
            (r"(?i)\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b".into(), "[DATE]", Check::Any),
            (r"(?i)\b\d{3}[\s.-]?\d{3}[\s.-]?\d{4}\b".into(), "[NHS]", Check::Any),
            (r"(?i)\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b".into(), "[POSTCODE]", Check::Any),
            (r"(?i)\b[A-Z0-9]+(?:[/\-][A-Z0-9]+)+\b|\b[A-Z0-9]*\d[A-Z0-9]*\b".into(), "[CASE_REF]", Check::Reference),
        ];
        // Places: health sites and schools by their shape, then addresses (a school on a road
        // keeps its own token).
        list.extend([
            (format!(r"\b(?:{CAP}\s+){{1,4}}(?:Hospital|Medical Centre|Medical Center|Health Centre|Health Center|Surgery|Clinic|Practice|Polyclinic|Walk-in Centre|Urgent Care Centre|Urgent Treatment Centre|Infirmary)\b"), "[HEALTH_SITE]", Check::Any),
            (r"(?i)\b(?:[a-z][\w'’-]*\s+){1,3}(?:hospital|medical centre|health centre|surgery|clinic)\b".into(), "[HEALTH_SITE]", Check::Place),
            (format!(r"\b(?:(?:St\.?|Saint)\s+)?(?:{CAP}\s+){{1,5}}?(?:(?:C\s?of\s?E|CofE|RC|R\.C\.|Catholic|Church of England|Community|Primary|Secondary|High|Grammar|Junior|Infant|Infants|Middle|Free|Technical|Girls'?|Boys'?|Sixth Form)\s+)*(?:School|Academy|College|PRU|Pupil Referral Unit|Sixth Form|Primary|Tuition Centre|Learning Centre|High)\b"), "[SCHOOL]", Check::Any),
            (format!(r"\b(?:{CAP}\s+){{1,3}}(?:college|academy)\b"), "[SCHOOL]", Check::Place),
            (format!(r"(?i)\b(?:{home})?\d{{1,4}}[a-z]?(?:/\d{{1,3}})?,?\s+(?:[a-z][\w'’-]*\s+){{1,3}}(?-i:{STREET}|(?i:road|street|avenue|close|lane|crescent|drive|gardens|grove|terrace|way))\b"), "[ADDRESS]", Check::Street),
            (format!(r"(?i)\b{home}(?:[a-z][\w'’-]*\s+){{1,3}}(?:{BLOCK})\b"), "[ADDRESS]", Check::Street),
            (format!(r"\b(?:{home})?(?:{CAP}\s+){{1,3}}(?:{BLOCK}|(?i:estate))\b"), "[ADDRESS]", Check::Any),
            (format!(r"\b(?:{CAP}\s+){{1,3}}{NAMED_STREET}\b"), "[ADDRESS]", Check::Any),
        ]);
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for label in LABELS {
            let is_plain = label.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
            assert!(is_plain, "{label}: `inside_placeholder` expects capitals and `_` only");
        }
        for (re, label, _) in sources() {
            let re = re.replace(r"\b", r"(?-u:\b)").replace(r"\w", "[0-9A-Za-z_]");
            assert!(Regex::new(&re).is_ok(), "{label}: {re} does not compile: {:?}", Regex::new(&re).err());
        }
        assert_eq!(patterns().list.len(), sources().len(), "every pattern of the list compiles");
        let references = sources().iter().filter(|(_, _, check)| matches!(check, Check::Reference)).count();
        assert_eq!(references, 1, "one pattern is decided outside the set");
        assert_eq!(patterns().set.as_ref().map(regex::RegexSet::len), Some(sources().len() - references));
        for p in &patterns().list {
            let label = p.label.trim_matches(['[', ']']);
            assert!(LABELS.contains(&label), "{label} is a known label");
        }
    }

    proptest::proptest! {
        /// The hand scanner of the reference pattern finds what its expression finds.
        #[test]
        fn reference_spans_match_the_expression(text in "[aZk09_/\\- .:]{0,40}") {
            let pattern = patterns().list.iter().find(|p| matches!(p.check, Check::Reference)).expect("pattern");
            let expected: Vec<(usize, usize)> = pattern.regex.find_iter(&text).map(|m| (m.start(), m.end())).collect();
            proptest::prop_assert_eq!(reference_spans(&text).collect::<Vec<_>>(), expected);
        }

        /// Skipping the reference pattern on texts without a run that could hold one loses no
        /// reference.
        #[test]
        fn the_reference_precheck_loses_nothing(text in "([a-zA-Z0-9/\\- .,:Kſ٣]|\\[PERSON:[0-9a-f]{1,9}\\]?){0,30}") {
            let pattern = patterns().list.iter().find(|p| matches!(p.check, Check::Reference)).expect("pattern");
            if !may_hold_reference(&text) {
                let found = pattern.regex.find_iter(&text).any(|m| pattern.check_span(&text, m.start(), m.end()));
                proptest::prop_assert!(!found, "{}", text);
            }
        }
    }

    #[test]
    fn references_are_told_from_numbers_with_units() {
        for s in ["AB123456", "12345", "LCS-2024-0042", "REF/12345"] {
            assert!(is_reference(s) && may_hold_reference(s), "{s}");
        }
        for s in ["18-week", "2-year-old", "24hrs", "2024/25", "15", "3rd"] {
            assert!(!is_reference(s), "{s}");
        }
        assert!(!may_hold_reference("aged 15 on 3 May, 12-1 AB") && may_hold_reference("ab-12 x ab1-2x"));
        assert!(
            !may_hold_reference("[PERSON:1a2b3c4d] and [PERSON:99999999]'s") && may_hold_reference("[PERSON:12345")
        );
    }

    #[test]
    fn patterns_that_need_a_digit_or_at_are_told_from_the_pattern() {
        let needs = |re: &str| always_needs_number_or_at(&regex_syntax::parse(re).expect("pattern"));
        assert!(needs(r"\d{3}") && needs(r"(?i)[a-z]+@[a-z]+") && needs(r"(?:\+44|\b0)\d") && needs("x[0-9]?7"));
        assert!(!needs(r"\d*") && !needs(r"[A-Z]\w+") && !needs(r"\d|[a-z]") && !needs(r"(?:\d)?x") && !needs(""));
        // Only patterns with a form in words can match a text with no digit and no `@`.
        let words_only: std::collections::BTreeSet<&str> =
            patterns().list.iter().filter(|p| p.anywhere).map(|p| p.label).collect();
        let expected = ["[ADDRESS]", "[DATE]", "[EMAIL]", "[HANDLE]", "[HEALTH_SITE]", "[SCHOOL]", "[URL]"];
        assert_eq!(words_only.into_iter().collect::<Vec<_>>(), expected);
        for label in ["[PHONE]", "[NHS]", "[NI]", "[UPN]", "[POSTCODE]", "[VEHICLE]", "[CASE_REF]", "[POLICE_REF]"] {
            assert!(patterns().list.iter().filter(|p| p.label == label).all(|p| !p.anywhere), "{label}");
        }
        assert!(has_number_or_at("a@b") && has_number_or_at("Zoë 7") && has_number_or_at("Zoë \u{0663}"));
        assert!(!has_number_or_at("Zoë seen on Acacia Avenue") && !has_number_or_at("plain words"));
    }
}
