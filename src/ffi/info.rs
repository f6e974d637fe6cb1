//! Static information: the version and the text of each code.

use crate::codes;
use std::ffi::{c_char, CStr};

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"0.0.0",
    };

/// The library's version, e.g. "0.1.0": a static string, never NULL, never to be freed. Equals
/// V2IM_VERSION_STRING of the header it was built with.
///
/// May be called from any thread, at any time.
#[unsafe(no_mangle)]
pub extern "C" fn v2im_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The English text of a result code: a static string, never NULL, never to be freed. Codes the
/// library does not know (a server's own codes) get a generic text.
///
/// May be called from any thread, at any time.
#[unsafe(no_mangle)]
pub extern "C" fn v2im_error_str(code: i32) -> *const c_char {
    codes::text(code).as_ptr()
}
