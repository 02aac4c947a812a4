#![no_main]
//! Fuzz target: `lanyard::fuzz::www_authenticate` (see `src/fuzz.rs` for what it feeds and checks).

libfuzzer_sys::fuzz_target!(|data: &[u8]| lanyard::fuzz::www_authenticate(data));
