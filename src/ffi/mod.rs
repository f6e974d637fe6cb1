//! The C ABI: six functions, JSON in, JSON out. The only module that reads through
//! raw pointers. Every export is written out in full (so cbindgen sees it) and runs behind one
//! panic boundary (`checks::boundary`).
//!
//! The doc comments here are the C documentation: cbindgen copies them into `v2im.h`.
#![allow(non_camel_case_types)]

pub(crate) mod checks;
pub mod types;

// The order here is the order of the functions in v2im.h.
mod info;

mod lifecycle;

mod call;

pub use call::v2im_call;
pub use info::{v2im_error_str, v2im_version};
pub use lifecycle::{v2im_client_free, v2im_client_new, v2im_set_event_callback};
pub use types::{v2im_callback, v2im_client, v2im_event_callback, v2im_free_fn};

/// Largest JSON text accepted by `v2im_client_new` and `v2im_call`: 8 MiB. Larger → 6017.
pub const MAX_JSON_BYTES: usize = 8 << 20;
