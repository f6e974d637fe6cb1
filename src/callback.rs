//! The caller's C callbacks as the library carries them from `ffi` to the thread that runs them.
//!
//! Function pointers and `user_data` are opaque values here: nothing outside `ffi` ever reads
//! through `user_data`, it is only handed back to the function the caller gave with it. The
//! C typedefs with their documentation are in `ffi::types`; the types below are the same function
//! types without the `Option` that lets `ffi` reject NULL.

use std::ffi::{c_char, c_void, CStr};

/// `v2im_callback` without its NULL case.
pub type ResultFn =
    unsafe extern "C" fn(user_data: *mut c_void, code: i32, result_json: *const c_char);
/// `v2im_event_callback` without its NULL case.
pub type EventFn = unsafe extern "C" fn(user_data: *mut c_void, event_json: *const c_char);
/// `v2im_free_fn` without its NULL case.
pub type FreeFn = unsafe extern "C" fn(user_data: *mut c_void);

/// The caller's `user_data`: moved between threads, never dereferenced by the library.
#[derive(Clone, Copy, Debug)]
pub struct UserData(pub *mut c_void);

// SAFETY: the library never dereferences the pointer; the C contract (header, rule 3) tells the
// caller that callbacks run on the library's callback thread, so `user_data` must be usable there.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// One request's result callback. Consumed by running it, so it runs at most once; every path
/// that accepts a request ends in exactly one `run` (see `dispatch` and `sender`).
#[derive(Debug)]
pub struct ResultCallback {
    func: Option<ResultFn>,
    user_data: UserData,
}

impl ResultCallback {
    /// `func` None = the caller passed NULL: the result is dropped, the request still runs.
    pub fn new(func: Option<ResultFn>, user_data: UserData) -> ResultCallback {
        ResultCallback { func, user_data }
    }

    /// No callback: a request nobody waits for (a send resumed from an earlier run).
    pub fn none() -> ResultCallback {
        ResultCallback::new(None, UserData(std::ptr::null_mut()))
    }

    /// Whether there is anyone to tell; lets callers skip building a result nobody reads.
    pub fn is_some(&self) -> bool {
        self.func.is_some()
    }

    /// Calls the caller's function. `json` is borrowed for the call only (rule 5).
    pub fn run(self, code: i32, json: &CStr) {
        if let Some(f) = self.func {
            // SAFETY: `f` is the caller's function, called with the caller's own `user_data` and a
            // NUL-terminated string that outlives the call, exactly as the header documents.
            unsafe { f(self.user_data.0, code, json.as_ptr()) }
        }
    }
}

/// The event listener of `v2im_set_event_callback` with its finalizer.
#[derive(Debug)]
pub struct EventSink {
    func: Option<EventFn>,
    user_data: UserData,
    free_user_data: Option<FreeFn>,
}

impl EventSink {
    pub fn new(
        func: Option<EventFn>,
        user_data: UserData,
        free_user_data: Option<FreeFn>,
    ) -> EventSink {
        EventSink {
            func,
            user_data,
            free_user_data,
        }
    }

    pub fn is_listening(&self) -> bool {
        self.func.is_some()
    }

    pub fn emit(&self, json: &CStr) {
        if let Some(f) = self.func {
            // SAFETY: as in `ResultCallback::run`.
            unsafe { f(self.user_data.0, json.as_ptr()) }
        }
    }

    /// Runs the finalizer, once, after the last event to this listener.
    pub fn finish(self) {
        if let Some(f) = self.free_user_data {
            // SAFETY: the caller's finalizer with the caller's `user_data`, called exactly once.
            unsafe { f(self.user_data.0) }
        }
    }
}

/// A finished JSON text with its terminating NUL, ready to be lent to C.
#[derive(Debug, Clone)]
pub struct CJson(Vec<u8>);

impl CJson {
    /// `bytes` is serde_json output: valid UTF-8 without NUL bytes (serde_json escapes U+0000).
    pub fn from_json_bytes(mut bytes: Vec<u8>) -> CJson {
        // Never true (see above); a NUL would end the text early for C, so the text ends there.
        if let Some(nul) = memchr::memchr(0, &bytes) {
            debug_assert!(false, "a NUL byte in JSON text at {nul}");
            bytes.truncate(nul);
        }
        bytes.push(0);
        CJson(bytes)
    }

    pub fn as_cstr(&self) -> &CStr {
        // SAFETY: `from_json_bytes`, the only constructor, ends the bytes with their only NUL.
        unsafe { CStr::from_bytes_with_nul_unchecked(&self.0) }
    }

    /// The JSON text without the NUL.
    #[cfg(test)]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0[..self.0.len() - 1]).unwrap_or("{}")
    }
}
