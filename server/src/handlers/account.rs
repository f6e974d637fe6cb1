//! `im_open_login_svc/account_import`, `multiaccount_import`, `account_check`.

use v2im_wire::account::{AccountCheckResponse, CheckResult, MultiAccountImportResponse};
use v2im_wire::{codes, Envelope};

use super::ok;
use crate::error::{ApiError, ApiResult};
use crate::fields::Fields;
use crate::store::jobs::{AccountIn, Job};
use crate::store::read;
use crate::App;

const BAD: i32 = codes::INVALID_PARAMETER_70402;
/// Accounts per multiaccount_import / account_check call (Tencent's limit).
const MAX_ACCOUNTS: usize = 100;

pub async fn import(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    // `Identifier` is the field's name in older clients.
    let user_id = match f.opt_str("UserID", BAD)? {
        Some(u) => u,
        None => f
            .str("Identifier", BAD)
            .map_err(|_| ApiError::new(BAD, "UserID is missing (or legacy Identifier)"))?,
    };
    let account = AccountIn {
        user_id: user_id.to_string(),
        nick: f.opt_str("Nick", BAD)?.map(str::to_string),
        face_url: f.opt_str("FaceUrl", BAD)?.map(str::to_string),
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

pub async fn multi_import(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let ids = f
        .opt_str_list("Accounts", BAD)?
        .ok_or_else(|| ApiError::new(BAD, "Accounts is missing"))?;
    if ids.is_empty() || ids.len() > MAX_ACCOUNTS {
        return Err(ApiError::new(
            BAD,
            format!("Accounts must hold 1 to {MAX_ACCOUNTS} ids"),
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

pub async fn check(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let items = f
        .opt_obj_list("CheckItem", BAD)?
        .ok_or_else(|| ApiError::new(BAD, "CheckItem is missing"))?;
    if items.is_empty() || items.len() > MAX_ACCOUNTS {
        return Err(ApiError::new(
            BAD,
            format!("CheckItem must hold 1 to {MAX_ACCOUNTS} items"),
        ));
    }
    let ids = items
        .iter()
        .map(|m| Fields::new(m).str("UserID", BAD).map(str::to_string))
        .collect::<ApiResult<Vec<_>>>()?;
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
