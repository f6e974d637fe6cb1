//! Server answers (`< {body}` lines) to the requests of `v2im_call`s (`> method {params}` lines):
//! every REST answer the library reads, history pages and uploads included.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // On a thread like a sender worker's (2 MiB of stack), where these answers are read.
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .spawn_scoped(s, || v2im::fuzz::calls(data, true))
            .expect("a thread")
            .join()
            .expect("no panic");
    });
});
