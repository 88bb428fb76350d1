//! libFuzzer entry point: bytes → [`elasticnet_fuzz::cv`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elasticnet_fuzz::cv(data));
