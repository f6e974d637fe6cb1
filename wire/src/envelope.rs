//! The three fields every REST answer carries, errors included.

use serde::{Deserialize, Serialize};

/// `ActionStatus` / `ErrorCode` / `ErrorInfo`. Flattened into every response type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// "OK" or "FAIL" (batch sends may answer other words with `ErrorCode` 0).
    #[serde(rename = "ActionStatus", default)]
    pub action_status: String,
    #[serde(rename = "ErrorCode", default)]
    pub error_code: i32,
    #[serde(rename = "ErrorInfo", default)]
    pub error_info: String,
}

impl Envelope {
    pub fn ok() -> Self {
        Envelope {
            action_status: "OK".into(),
            error_code: 0,
            error_info: String::new(),
        }
    }

    pub fn fail(code: i32, info: impl Into<String>) -> Self {
        Envelope {
            action_status: "FAIL".into(),
            error_code: code,
            error_info: info.into(),
        }
    }

    /// Tencent's rule: the outcome is `ErrorCode`; `ActionStatus` is informative.
    pub fn is_ok(&self) -> bool {
        self.error_code == 0
    }
}

impl Default for Envelope {
    fn default() -> Self {
        Envelope::ok()
    }
}
