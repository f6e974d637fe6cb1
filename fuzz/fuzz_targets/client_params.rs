//! `v2im_call`'s methods and params (`> method {params}` lines), without any network: requests
//! stay queued and end as at `v2im_client_free`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| v2im::fuzz::calls(data, false));
