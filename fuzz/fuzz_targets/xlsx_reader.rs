//! Any bytes as a return workbook: opening, reading sheets and validating must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rni_fuzz_support::read_return_file("return.xlsx", data);
});

mod rni_fuzz_support {
    include!("support.rs");
}
