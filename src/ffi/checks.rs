//! The panic boundary and the checks on what C hands in: NULL, UTF-8, size, JSON object.

use super::types::v2im_client;
use super::MAX_JSON_BYTES;
use crate::codes;
use crate::params::Params;
use serde_json::Value;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f` so that no panic crosses the ABI: `Ok` → 0, `Err(code)` → code, a panic →
/// `V2IM_ERR_PANIC` and the client (if any) poisoned, since its state may be half-updated
/// (parking_lot locks do not poison themselves).
pub fn boundary(client: Option<&v2im_client>, f: impl FnOnce() -> Result<(), i32>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => codes::OK,
        Ok(Err(code)) => code,
        Err(_) => {
            if let Some(c) = client {
                c.client.poison();
            }
            codes::V2IM_ERR_PANIC
        }
    }
}

/// A borrowed C string: NULL → 6017, longer than 8 MiB → 6017, not UTF-8 → `not_utf8`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub unsafe fn read_str<'a>(p: *const c_char, not_utf8: i32) -> Result<&'a str, i32> {
    if p.is_null() {
        return Err(codes::ERR_INVALID_PARAMETERS);
    }
    // SAFETY: non-NULL and NUL-terminated per this function's contract.
    let s = unsafe { CStr::from_ptr(p) };
    if s.to_bytes().len() > MAX_JSON_BYTES {
        return Err(codes::ERR_INVALID_PARAMETERS);
    }
    s.to_str().map_err(|_| not_utf8)
}

/// The top-level JSON object of `text`; anything else (bad JSON, an array, a number) → 6027.
pub(crate) fn params_object(text: &str) -> Result<Params<'_>, i32> {
    Params::parse(text).ok_or(codes::ERR_INVALID_JSON)
}

/// [`params_object`] read into a tree (the configuration, read once per client).
pub(crate) fn json_object(text: &str) -> Result<Value, i32> {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(codes::ERR_INVALID_JSON),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_code() {
        assert_eq!(boundary(None, || panic!("boom")), codes::V2IM_ERR_PANIC);
        assert_eq!(boundary(None, || Err(6017)), 6017);
        assert_eq!(boundary(None, || Ok(())), 0);
    }

    #[test]
    fn strings_are_checked() {
        // SAFETY: literals are NUL-terminated and static.
        unsafe {
            assert_eq!(read_str(std::ptr::null(), 6027), Err(6017));
            assert_eq!(read_str(c"{}".as_ptr(), 6027), Ok("{}"));
            assert_eq!(read_str(c"\xff\xfe".as_ptr(), 6027), Err(6027));
        }
        let big = std::ffi::CString::new(vec![b' '; MAX_JSON_BYTES + 1]).unwrap();
        // SAFETY: a live CString.
        assert_eq!(unsafe { read_str(big.as_ptr(), 6027) }, Err(6017));
        assert!(json_object("{\"a\":1}").is_ok());
        for bad in ["[]", "1", "\"x\"", "{", "", "null", "{} x"] {
            assert_eq!(json_object(bad), Err(codes::ERR_INVALID_JSON), "{bad}");
        }
    }
}
