//! Result codes (declared once in `table.rs`) and the error type that carries one to a callback.

mod table;

pub use table::*;

use std::ffi::CStr;

/// Static text for a code; never fails. Codes the library produces have their own text; the
/// REST codes a server returns (passed through unchanged) have Tencent's meaning.
pub(crate) fn text(code: i32) -> &'static CStr {
    TABLE
        .iter()
        .find(|c| c.value == code)
        .map(|c| c.text)
        .or_else(|| v2im_wire::codes::text(code))
        .unwrap_or(c"unknown error code (see Tencent's error code list)")
}

/// A failure on its way to a callback: `{"code": code, "desc": desc, ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    pub code: i32,
    pub desc: String,
}

impl Error {
    pub fn new(code: i32, desc: impl Into<String>) -> Self {
        Error {
            code,
            desc: desc.into(),
        }
    }

    /// 6017 with a message naming the parameter.
    pub fn invalid_param(desc: impl Into<String>) -> Self {
        Error::new(ERR_INVALID_PARAMETERS, desc)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.desc, self.code)
    }
}

impl std::error::Error for Error {}

pub(crate) type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests;
