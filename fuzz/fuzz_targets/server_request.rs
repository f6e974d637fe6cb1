//! REST request bodies as v2im-server parses them. The first byte picks the command and the
//! caller (the admin, or a plain account); the rest is the body.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    // On a thread like tokio's workers (2 MiB of stack), where bodies are parsed.
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .spawn_scoped(s, || {
                v2im_server::fuzz::request(usize::from(pick >> 1), pick & 1 == 0, body)
            })
            .expect("a thread")
            .join()
            .expect("no panic");
    });
});
