#![no_main]
//! Fuzz target: `lanyard::fuzz::profile_file` (see `src/fuzz.rs` for what it feeds and checks).

libfuzzer_sys::fuzz_target!(|data: &[u8]| lanyard::fuzz::profile_file(data));
