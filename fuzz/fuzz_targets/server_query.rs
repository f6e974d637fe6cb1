//! Query strings as v2im-server reads them (credentials, the channel's keys), and the UserSig
//! decoding of v2im-wire on its own.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    v2im_server::fuzz::query(&text);
    let _ = v2im_wire::usersig::decode_usersig(&text);
});
