#![no_main]
//! Fuzz target: `lanyard::fuzz::resource_metadata` (see `src/fuzz.rs` for what it feeds and checks).

libfuzzer_sys::fuzz_target!(|data: &[u8]| lanyard::fuzz::resource_metadata(data));
