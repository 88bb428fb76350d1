//! libFuzzer entry point: bytes → [`elasticnet_fuzz::fit`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elasticnet_fuzz::fit(data));
