//! The scrubber: any text never panics, and a young person's name placed in it as a word never survives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn scrubber() -> &'static rni::privacy::scrub::Scrubber {
    static S: OnceLock<rni::privacy::scrub::Scrubber> = OnceLock::new();
    S.get_or_init(|| {
        let lexicon = rni::privacy::scrub::Lexicon::builtin().expect("built-in word lists");
        let people = [("[PERSON:aaaa1111]".into(), "Orlaith".into(), "Quennell".into())];
        rni::privacy::scrub::Scrubber::with_lexicon(&people, lexicon)
            .with_ids(&[("[PERSON:aaaa1111]".into(), "HX1001".into())])
            .with_schools(&["Brook Academy".into()])
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = scrubber().scrub(text);
    let planted = format!("{text} Orlaith {text}");
    let out = scrubber().scrub(&planted);
    let words: Vec<String> = out.split(|c: char| !c.is_alphanumeric()).map(rni::privacy::scrub::fold).collect();
    assert!(!words.iter().any(|w| w == "orlaith"), "a young person's name survived scrubbing");
});
