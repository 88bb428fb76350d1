//! libFuzzer entry point: bytes → [`elasticnet_fuzz::csv`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elasticnet_fuzz::csv(data));
