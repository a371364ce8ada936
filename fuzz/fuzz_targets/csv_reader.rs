//! Any bytes as a young_people.csv: reading, validating and pseudonymising must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rni_fuzz_support::read_return_file("young_people.csv", data);
});

mod rni_fuzz_support {
    include!("support.rs");
}
