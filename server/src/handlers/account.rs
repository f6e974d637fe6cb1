//! `im_open_login_svc/account_import`, `multiaccount_import`, `account_check`.

use v2im_wire::account::{
    AccountCheckRequest, AccountCheckResponse, AccountImportRequest, CheckResult,
    MultiAccountImportRequest, MultiAccountImportResponse,
};
use v2im_wire::{codes, Envelope};

use super::ok;
use crate::error::ApiResult;
use crate::request::Body;
use crate::store::jobs::{AccountIn, Job};
use crate::store::read;
use crate::App;

/// Accounts per multiaccount_import / account_check call (Tencent's limit).
const MAX_ACCOUNTS: usize = 100;

/// An id that is not an account is refused by the writer, with this code too.
impl Body for AccountImportRequest {
    const DEFAULT_CODE: i32 = codes::INVALID_PARAMETER_70402;
}

pub(super) async fn import(app: &App, req: AccountImportRequest) -> ApiResult<Vec<u8>> {
    let user_id = match (req.user_id, req.identifier) {
        (u, _) if !u.is_empty() => u,
        (_, Some(i)) if !i.is_empty() => i,
        _ => return Err(AccountImportRequest::invalid("UserID", "missing")),
    };
    let account = AccountIn {
        user_id,
        nick: req.nick,
        face_url: req.face_url,
    };
    let mut r = app
        .store
        .write(|reply| Job::ImportAccounts {
            accounts: vec![account],
            reply,
        })
        .await?;
    match r.pop().flatten() {
        Some(e) => Err(e),
        None => ok(&Envelope::ok()),
    }
}

/// Ids that are not accounts are answered in `FailAccounts`.
impl Body for MultiAccountImportRequest {
    const DEFAULT_CODE: i32 = codes::INVALID_PARAMETER_70402;
}

pub(super) async fn multi_import(app: &App, req: MultiAccountImportRequest) -> ApiResult<Vec<u8>> {
    let ids = req.accounts;
    if ids.is_empty() || ids.len() > MAX_ACCOUNTS {
        return Err(MultiAccountImportRequest::invalid(
            "Accounts",
            format_args!("must hold 1 to {MAX_ACCOUNTS} ids"),
        ));
    }
    let accounts = ids
        .iter()
        .map(|id| AccountIn {
            user_id: id.clone(),
            nick: None,
            face_url: None,
        })
        .collect();
    let results = app
        .store
        .write(|reply| Job::ImportAccounts { accounts, reply })
        .await?;
    let fail_accounts = ids
        .into_iter()
        .zip(results)
        .filter(|(_, r)| r.is_some())
        .map(|(id, _)| id)
        .collect();
    ok(&MultiAccountImportResponse {
        envelope: Envelope::ok(),
        fail_accounts,
    })
}

impl Body for AccountCheckRequest {
    const DEFAULT_CODE: i32 = codes::INVALID_PARAMETER_70402;
}

pub(super) async fn check(app: &App, req: AccountCheckRequest) -> ApiResult<Vec<u8>> {
    let items = req.check_item;
    if items.is_empty() || items.len() > MAX_ACCOUNTS {
        return Err(AccountCheckRequest::invalid(
            "CheckItem",
            format_args!("must hold 1 to {MAX_ACCOUNTS} items"),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        AccountCheckRequest::non_empty(&format!("CheckItem[{i}].UserID"), &item.user_id)?;
    }
    let ids: Vec<String> = items.into_iter().map(|i| i.user_id).collect();
    let q = ids.clone();
    let found = app.store.read(move |c| read::accounts_exist(c, &q)).await?;
    let result_item = ids
        .into_iter()
        .zip(found)
        .map(|(user_id, imported)| CheckResult {
            user_id,
            result_code: 0,
            result_info: String::new(),
            account_status: if imported { "Imported" } else { "NotImported" }.into(),
        })
        .collect();
    ok(&AccountCheckResponse {
        envelope: Envelope::ok(),
        result_item,
    })
}
