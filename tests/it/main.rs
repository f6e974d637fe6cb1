//! The library's integration tests, in one binary (one link of the library and the server):
//! each module drives the C ABI against a real v2im-server on 127.0.0.1 with a temporary
//! database (`common`), or checks a generated artefact (`header`, `bench_results`).

mod common;

mod abi_errors;
mod bench_results;
mod callbacks;
mod events_retry;
mod header;
mod history_queue;
mod hostile_answers;
mod media;
mod nesting;
mod never_lose;
mod receive;
mod result_keys;
mod secrets;
mod send_params;
mod tls;
mod webhooks;
