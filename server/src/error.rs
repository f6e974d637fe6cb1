//! The one error type of request handling: a Tencent error code and a readable `ErrorInfo`.

use v2im_wire::Envelope;

/// A refused request. Always answered as HTTP 200 with `ActionStatus: "FAIL"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: i32,
    pub info: String,
}

impl ApiError {
    pub(crate) fn new(code: i32, info: impl Into<String>) -> Self {
        ApiError {
            code,
            info: info.into(),
        }
    }

    pub(crate) fn envelope(&self) -> Envelope {
        Envelope::fail(self.code, self.info.clone())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.info)
    }
}

/// `e` with the setting or file it concerns in front (`--listen 127.0.0.1:9080: Address already
/// in use`), its kind kept: startup errors name what to fix.
pub(crate) fn named(
    e: std::io::Error,
    what: &str,
    value: impl std::fmt::Display,
) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{what} {value}: {e}"))
}

/// Result of a handler.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
