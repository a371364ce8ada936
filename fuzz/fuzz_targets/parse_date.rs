//! Date parsing: any text, any number; never a panic, and a date that parses prints back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(date) = rni::ingest::validate::parse_date(text) {
            let iso = date.format("%Y-%m-%d").to_string();
            assert_eq!(rni::ingest::validate::parse_date(&iso), Some(date));
        }
    }
    if data.len() >= 8 {
        let n = f64::from_le_bytes([data[0], data[1], data[2], data[3], data[4], data[5], data[6], data[7]]);
        let _ = rni::ingest::validate::serial_date(n);
    }
});
