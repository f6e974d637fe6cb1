//! Accounts: `im_open_login_svc/account_import`, `multiaccount_import`, `account_check`.

use crate::Envelope;
use serde::{Deserialize, Serialize};

/// `account_import`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountImportRequest {
    /// Empty when absent: older clients send `Identifier` instead.
    #[serde(rename = "UserID", default)]
    pub user_id: String,
    /// The older name of `UserID`, read when `UserID` is absent or empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiAccountImportRequest {
    pub accounts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiAccountImportResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default)]
    pub fail_accounts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckItem {
    #[serde(rename = "UserID")]
    pub user_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountCheckRequest {
    pub check_item: Vec<CheckItem>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckResult {
    #[serde(rename = "UserID")]
    pub user_id: String,
    pub result_code: i32,
    #[serde(default)]
    pub result_info: String,
    /// "Imported" or "NotImported".
    pub account_status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountCheckResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default)]
    pub result_item: Vec<CheckResult>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn json_of<T: Serialize>(v: &T) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }

    #[test]
    fn keys_are_tencents() {
        let import = AccountImportRequest {
            user_id: "u".into(),
            identifier: Some("i".into()),
            nick: Some("n".into()),
            face_url: Some("f".into()),
        };
        assert_eq!(
            json_of(&import),
            json!({"UserID": "u", "Identifier": "i", "Nick": "n", "FaceUrl": "f"})
        );
        assert_eq!(
            json_of(&AccountImportRequest::default()),
            json!({"UserID": ""})
        );
        assert_eq!(
            json_of(&MultiAccountImportRequest {
                accounts: vec!["a".into()]
            }),
            json!({"Accounts": ["a"]})
        );
        assert_eq!(
            json_of(&MultiAccountImportResponse {
                envelope: Envelope::ok(),
                fail_accounts: vec!["b".into()],
            }),
            json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "FailAccounts": ["b"]})
        );
        assert_eq!(
            json_of(&AccountCheckRequest {
                check_item: vec![CheckItem {
                    user_id: "u".into()
                }]
            }),
            json!({"CheckItem": [{"UserID": "u"}]})
        );
        assert_eq!(
            json_of(&AccountCheckResponse {
                envelope: Envelope::ok(),
                result_item: vec![CheckResult {
                    user_id: "u".into(),
                    result_code: 0,
                    result_info: "i".into(),
                    account_status: "Imported".into(),
                }],
            }),
            json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "ResultItem": [
                {"UserID": "u", "ResultCode": 0, "ResultInfo": "i", "AccountStatus": "Imported"}]})
        );
    }

    #[test]
    fn responses_accept_unknown_keys() {
        let r: AccountCheckResponse = serde_json::from_value(json!({
            "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "New": 1,
            "ResultItem": [{"UserID": "u", "ResultCode": 0, "AccountStatus": "Imported", "New": 2}]
        }))
        .unwrap();
        assert_eq!(r.result_item[0].user_id, "u");
        let r: MultiAccountImportResponse =
            serde_json::from_value(json!({"ErrorCode": 0, "FailAccounts": [], "New": 1})).unwrap();
        assert!(r.envelope.is_ok());
    }
}
