//! libv2im: the V2TIM message model (create, send, read back) behind a small C ABI.
//!
//! Dependency direction: `ffi -> client -> api -> (registry, sender, store, upload, dispatch) ->
//! model -> wire`. Raw pointers are read only in `ffi`; `callback` carries the caller's function
//! pointers and `user_data` (never dereferenced) to the thread that runs them.
//!
//! The Rust surface is the C ABI (`ffi`), the result codes (`codes`) and [`DB_FILE`]; the rest is
//! crate-private.

pub(crate) mod api;
pub(crate) mod callback;
pub(crate) mod client;
pub mod codes;
pub(crate) mod config;
pub(crate) mod dispatch;
#[cfg(test)]
mod docs_tests;
pub mod ffi;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
pub(crate) mod http;
pub(crate) mod items;
#[cfg(test)]
pub(crate) mod markdown;
pub(crate) mod model;
pub(crate) mod params;
pub(crate) mod receive;
pub(crate) mod registry;
pub(crate) mod result;
pub(crate) mod sender;
pub(crate) mod store;
pub(crate) mod upload;

/// The database file a client keeps under its `dataDir`.
pub use store::DB_FILE;
