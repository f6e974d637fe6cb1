//! The three fields every REST answer carries, errors included.

use serde::{Deserialize, Serialize};

/// `ActionStatus` / `ErrorCode` / `ErrorInfo`. Flattened into every response type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Envelope {
    /// "OK" or "FAIL" (batch sends may answer other words with `ErrorCode` 0).
    #[serde(default)]
    pub action_status: String,
    #[serde(default)]
    pub error_code: i32,
    #[serde(default)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_tencents() {
        assert_eq!(
            serde_json::to_value(Envelope::fail(90001, "bad")).unwrap(),
            json!({"ActionStatus": "FAIL", "ErrorCode": 90001, "ErrorInfo": "bad"})
        );
        // Missing keys default to OK; unknown keys are accepted.
        let e: Envelope = serde_json::from_value(json!({"ErrorCode": 0, "New": 1})).unwrap();
        assert!(e.is_ok());
        let e: Envelope = serde_json::from_value(json!({"ErrorCode": 10010})).unwrap();
        assert!(!e.is_ok());
    }
}
