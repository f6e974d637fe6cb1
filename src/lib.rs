//! libv2im: the V2TIM message model (create, send, read back) behind a small C ABI.
//!
//! Dependency direction: `ffi -> client -> api -> (registry, sender, store, upload, dispatch) -> model -> wire`.
//! Raw pointers are read only in `ffi`; `callback` carries the caller's function pointers and
//! `user_data` (never dereferenced) to the thread that runs them.

pub mod api;
pub mod callback;
pub mod client;
pub mod codes;
pub mod config;
pub mod dispatch;
pub mod ffi;
pub mod model;
pub mod registry;
pub mod result;
pub mod sender;
pub mod store;
pub mod upload;
