#![no_main]
//! Fuzz target: `lanyard::fuzz::jsonrpc_peek` (see `src/fuzz.rs` for what it feeds and checks).

libfuzzer_sys::fuzz_target!(|data: &[u8]| lanyard::fuzz::jsonrpc_peek(data));
