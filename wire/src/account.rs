//! Accounts: `im_open_login_svc/account_import`, `multiaccount_import`, `account_check`.

use crate::Envelope;
use serde::{Deserialize, Serialize};

/// `account_import`. The server also accepts the legacy `Identifier` for `UserID`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountImportRequest {
    #[serde(rename = "UserID")]
    pub user_id: String,
    #[serde(rename = "Nick", default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(rename = "FaceUrl", default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MultiAccountImportRequest {
    #[serde(rename = "Accounts")]
    pub accounts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MultiAccountImportResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(rename = "FailAccounts", default)]
    pub fail_accounts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckItem {
    #[serde(rename = "UserID")]
    pub user_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountCheckRequest {
    #[serde(rename = "CheckItem")]
    pub check_item: Vec<CheckItem>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    #[serde(rename = "UserID")]
    pub user_id: String,
    #[serde(rename = "ResultCode")]
    pub result_code: i32,
    #[serde(rename = "ResultInfo", default)]
    pub result_info: String,
    /// "Imported" or "NotImported".
    #[serde(rename = "AccountStatus")]
    pub account_status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountCheckResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(rename = "ResultItem", default)]
    pub result_item: Vec<CheckResult>,
}
