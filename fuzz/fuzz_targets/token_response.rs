#![no_main]
//! Fuzz target: `lanyard::fuzz::token_response` (see `src/fuzz.rs` for what it feeds and checks).

libfuzzer_sys::fuzz_target!(|data: &[u8]| lanyard::fuzz::token_response(data));
