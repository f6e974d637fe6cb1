//! Entry points of the fuzz targets (`fuzz/`), behind the `fuzzing` feature: thin drivers of the
//! library's crate-private code, which they call as the C ABI and the client's threads do.
//! Nothing here parses anything itself.
//!
//! Network methods get their answers from the input instead of a server: while [`calls`] runs
//! with answers, the REST client and the uploader take them from [`canned_answer`]. Requests run
//! on the calling thread, not on sender workers, and without their `catch_unwind`, so that a
//! panic reaches the fuzzer instead of poisoning a client.

use crate::api::{self, Ctx};
use crate::callback::{EventSink, ResultCallback, UserData};
use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::receive::{OwnSends, Shared};
use crate::registry::{Registry, ID_PREFIX};
use crate::sender::Sender;
use crate::store::Store;
use crate::upload::Uploader;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::{c_char, c_void};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

pub use crate::upload::{base_name, url_name};

thread_local! {
    /// The current input's answers, in order; None when no driver runs on this thread.
    static ANSWERS: RefCell<Option<VecDeque<(u16, String)>>> = const { RefCell::new(None) };
}

/// The next answer (HTTP status, body) of the input being run on this thread: `None` when no
/// driver gives answers here, `Some(None)` once they are used up (as if the server were gone).
pub(crate) fn canned_answer() -> Option<Option<(u16, String)>> {
    ANSWERS.with(|a| a.borrow_mut().as_mut().map(VecDeque::pop_front))
}

/// `v2im_client_new`'s reading of its configuration text (`@extra` aside), without starting a
/// client.
pub fn config(text: &[u8]) {
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(mut v) = crate::ffi::checks::json_object(text) else {
        return;
    };
    if let Some(map) = v.as_object_mut() {
        map.remove(api::EXTRA_KEY);
    }
    let mut params = crate::params::Params::parse(text).unwrap_or_default();
    let _ = params.refuse_repeated_keys("config");
    let _ = params.take(api::EXTRA_KEY);
    let _ = Config::parse(&v);
}

/// What every input shares: a configuration, the callback thread (with a listener, so events
/// are built and none is held for later), and media files the params may name.
struct World {
    config: Config,
    dispatch: Arc<Dispatcher>,
    png: PathBuf,
    file: PathBuf,
}

unsafe extern "C" fn ignore_result(_: *mut c_void, _: i32, _: *const c_char) {}
unsafe extern "C" fn ignore_event(_: *mut c_void, _: *const c_char) {}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut config = Config::parse(&serde_json::json!({
            "sdkAppID": 1_400_000_000u64,
            "userID": "alice",
            "userSig": "sig",
            // Never reached: every request of a driver is answered from its input.
            "serverUrl": "http://127.0.0.1:9",
            // A retry would sleep its backoff.
            "maxRetries": 0,
            "logLevel": "debug",
            "receive": true,
        }))
        .expect("the drivers' configuration");
        // No workers: the drivers run the queued requests themselves.
        config.sender_threads = 0;
        let dispatch = Dispatcher::start(u64::MAX, config.log_level).expect("a callback thread");
        dispatch.set_event_sink(EventSink::new(
            Some(ignore_event),
            UserData(std::ptr::null_mut()),
            None,
        ));
        let dir = std::env::temp_dir().join(format!("v2im-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory for media files");
        let png = dir.join("a.png");
        std::fs::write(&png, PNG_1X1).expect("a PNG file");
        let file = dir.join("a.txt");
        std::fs::write(&file, b"some bytes\n").expect("a file");
        World {
            config,
            dispatch,
            png,
            file,
        }
    })
}

/// The smallest PNG: one black pixel.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x01, 0x48, 0xaf, 0xa4, 0x71, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// A store without a `dataDir`: nothing is written.
fn memory_store(registry: &Arc<Registry>) -> Store {
    Store::open(
        None,
        Default::default(),
        None,
        registry.clone(),
        Box::new(|_| {}),
    )
    .expect("a memory store")
}

/// A client's method context of its own for one input: messages, store (in memory), sender
/// (without workers) and uploader are new; the callback thread is shared.
fn context(w: &World) -> Ctx {
    let registry = Arc::new(Registry::new());
    let store = memory_store(&registry);
    let sender = Sender::start(
        &w.config,
        w.dispatch.clone(),
        Arc::new(AtomicBool::new(false)),
    )
    .expect("a sender without workers");
    let uploader = Arc::new(Uploader::new(&w.config, sender.stop_fn()));
    Ctx::new(
        w.config.user_id.clone(),
        registry,
        w.dispatch.clone(),
        sender,
        Arc::new(store),
        uploader,
        Some(Arc::new(OwnSends::default())),
    )
}

/// Runs the `v2im_call`s of `input`, a text of lines:
/// - `> method {params}`: a call (params may be left out, as NULL params are);
/// - `< {body}` or `< 404 {body}`: the next answer a request gets (status 200 unless given).
///
/// In params, `$png` and `$file` name a small PNG and a small file, and `$1` to `$9` the local ids
/// of the messages this input creates, in order. With `answered` false the network methods'
/// requests are never made: they stay queued and end as at `v2im_client_free`. With `answered`
/// true each call's requests run at once and take the answers in order; once those are used up
/// every further request fails as if the server were gone.
pub fn calls(input: &[u8], answered: bool) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let w = world();
    let ctx = context(w);
    // Ids are process-wide: the ones this input's messages get follow this one.
    let first: u64 = ctx
        .env
        .registry
        .next_id()
        .strip_prefix(ID_PREFIX)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut answers = VecDeque::new();
    let mut calls = Vec::new();
    for line in text.lines() {
        if let Some(a) = line.strip_prefix('<') {
            let a = a.trim_start();
            let status = a
                .get(..3)
                .filter(|_| a.as_bytes().get(3) == Some(&b' '))
                .and_then(|s| s.parse::<u16>().ok());
            match status {
                Some(s) => answers.push_back((s, a[4..].to_owned())),
                None => answers.push_back((200, a.to_owned())),
            }
        } else if let Some(c) = line.strip_prefix('>') {
            calls.push(c.trim_start());
        }
    }
    if answered {
        ANSWERS.with(|a| *a.borrow_mut() = Some(answers));
    }
    for call in calls {
        let (method, params) = call.split_once(' ').unwrap_or((call, ""));
        let mut params = params
            .replace("$png", &w.png.display().to_string())
            .replace("$file", &w.file.display().to_string());
        for n in 1..=9 {
            params = params.replace(&format!("${n}"), &format!("{ID_PREFIX}{}", first + n));
        }
        let params = if params.trim().is_empty() {
            Ok(crate::params::Params::default())
        } else {
            crate::ffi::checks::params_object(&params)
        };
        let Ok(params) = params else {
            continue;
        };
        let cb = ResultCallback::new(Some(ignore_result), UserData(std::ptr::null_mut()));
        let _ = api::call(&ctx, method, params, cb);
        if answered {
            ctx.sender.run_queued_here();
        }
    }
    ANSWERS.with(|a| *a.borrow_mut() = None);
    ctx.sender.shutdown();
}

/// The live channel's answer as a client reads it: `answer` is taken whole (status line, head,
/// chunked body) when it starts with `HTTP/`; anything else is the body's lines, sent by the
/// server in an ordinary channel answer (a chunk per line).
pub fn channel(answer: &[u8]) {
    let w = world();
    let registry = Arc::new(Registry::new());
    let store = memory_store(&registry);
    let sh = Shared::new(
        &w.config,
        registry,
        Arc::new(store),
        w.dispatch.clone(),
        Arc::new(OwnSends::default()),
    );
    let whole = if answer.starts_with(b"HTTP/") {
        answer.to_vec()
    } else {
        let mut a = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n\
                      Transfer-Encoding: chunked\r\n\r\n"
            .to_vec();
        for line in answer.split_inclusive(|b| *b == b'\n') {
            a.extend_from_slice(format!("{:x}\r\n", line.len()).as_bytes());
            a.extend_from_slice(line);
            a.extend_from_slice(b"\r\n");
        }
        a.extend_from_slice(b"0\r\n\r\n");
        a
    };
    let _ = crate::receive::replay(&sh, whole);
}
