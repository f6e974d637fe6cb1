//! The live channel's answer: HTTP head, chunked body, NDJSON event lines.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // On a thread like the channel's (2 MiB of stack), where these lines are read.
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .spawn_scoped(s, || v2im::fuzz::channel(data))
            .expect("a thread")
            .join()
            .expect("no panic");
    });
});
