//! The configuration text of `v2im_client_new`, read as the library reads it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| v2im::fuzz::config(data));
