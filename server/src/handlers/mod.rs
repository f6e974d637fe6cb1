//! The REST commands: which exist and who may call them. Each handler parses its own body type
//! (see `crate::request`), which carries the command's codes.

mod account;
mod c2c;
mod contact;
mod group;
mod joined;
mod msg;
mod receipt;

use std::sync::Arc;

use axum::body::Bytes;
use serde::Serialize;
use v2im_wire::codes;
use v2im_wire::url::paths;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::request::parse;
use crate::App;

/// One REST command.
pub(crate) struct Endpoint {
    path: &'static str,
    /// Whether a non-admin account may call it (as itself; the handler checks the rest).
    pub(crate) user_ok: bool,
    /// Code a non-admin gets when it may not call it.
    pub(crate) denied_code: i32,
    /// The body key that names whose data it is: a non-admin must name itself there.
    self_key: Option<&'static str>,
}

const fn ep(path: &'static str, user_ok: bool, denied_code: i32) -> Endpoint {
    Endpoint {
        path,
        user_ok,
        denied_code,
        self_key: None,
    }
}

/// A command a non-admin may call about itself only: `key` in the body must be its own id.
const fn own(path: &'static str, key: &'static str, denied_code: i32) -> Endpoint {
    Endpoint {
        path,
        user_ok: true,
        denied_code,
        self_key: Some(key),
    }
}

const ADMIN: i32 = codes::ADMIN_REQUIRED_URL;
const OPENIM_ADMIN: i32 = codes::ADMIN_PERMISSION_REQUIRED;
const GROUP_DENY: i32 = codes::GROUP_PERMISSION_DENY;

static ENDPOINTS: &[Endpoint] = &[
    ep(paths::ACCOUNT_IMPORT, false, ADMIN),
    ep(paths::MULTIACCOUNT_IMPORT, false, ADMIN),
    ep(paths::ACCOUNT_CHECK, false, ADMIN),
    ep(paths::SENDMSG, true, OPENIM_ADMIN),
    ep(paths::BATCHSENDMSG, false, OPENIM_ADMIN),
    ep(paths::ADMIN_GETROAMMSG, true, OPENIM_ADMIN),
    own(paths::GET_C2C_UNREAD_MSG_NUM, "To_Account", OPENIM_ADMIN),
    own(paths::ADMIN_SET_MSG_READ, "Report_Account", OPENIM_ADMIN),
    own(
        paths::C2C_MSG_READ_RECEIPT,
        "Operator_Account",
        OPENIM_ADMIN,
    ),
    own(paths::RECENTCONTACT_GET_LIST, "From_Account", ADMIN),
    ep(paths::CREATE_GROUP, false, ADMIN),
    ep(paths::ADD_GROUP_MEMBER, false, ADMIN),
    ep(paths::GET_GROUP_INFO, false, ADMIN),
    ep(paths::DESTROY_GROUP, false, ADMIN),
    ep(paths::SEND_GROUP_MSG, true, ADMIN),
    ep(paths::GROUP_MSG_GET_SIMPLE, true, ADMIN),
    own(paths::SET_UNREAD_MSG_NUM, "Member_Account", GROUP_DENY),
    own(paths::GROUP_MSG_RECEIPT, "From_Account", GROUP_DENY),
    ep(paths::GET_GROUP_MSG_RECEIPT, true, ADMIN),
    ep(paths::GET_GROUP_MSG_RECEIPT_DETAIL, true, ADMIN),
    own(paths::GET_JOINED_GROUP_LIST, "Member_Account", GROUP_DENY),
];

/// A non-admin calling a command about an account must name itself (checked before the body is
/// parsed, so that nothing about another account's data, not even a parse error, is answered).
fn check_self(ep: &Endpoint, who: &Principal, body: &[u8]) -> ApiResult<()> {
    let (Principal::User(me), Some(key)) = (who, ep.self_key) else {
        return Ok(());
    };
    let named = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get(key)?.as_str().map(str::to_owned));
    if named.as_deref() == Some(me.as_str()) {
        return Ok(());
    }
    Err(ApiError::new(
        ep.denied_code,
        format!("{key}: {me:?} may only name itself here (the app admin may name anyone)"),
    ))
}

/// The command at `service/command`, if it exists.
pub(crate) fn endpoint(path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.path == path)
}

/// Serialises a successful answer.
fn ok<T: Serialize>(v: &T) -> ApiResult<Vec<u8>> {
    serde_json::to_vec(v)
        .map_err(|e| ApiError::new(codes::INTERNAL_70500, format!("cannot encode answer: {e}")))
}

/// Runs one REST command.
pub(crate) async fn dispatch(
    app: Arc<App>,
    ep: &'static Endpoint,
    who: Principal,
    client_ip: String,
    body: Bytes,
) -> ApiResult<Vec<u8>> {
    let app = &app;
    check_self(ep, &who, &body)?;
    match ep.path {
        paths::ACCOUNT_IMPORT => account::import(app, parse(body)?).await,
        paths::MULTIACCOUNT_IMPORT => account::multi_import(app, parse(body)?).await,
        paths::ACCOUNT_CHECK => account::check(app, parse(body)?).await,
        paths::SENDMSG => c2c::sendmsg(app, &who, client_ip, parse(body)?).await,
        paths::BATCHSENDMSG => c2c::batchsendmsg(app, &who, client_ip, parse(body)?).await,
        paths::ADMIN_GETROAMMSG => c2c::getroammsg(app, &who, parse(body)?).await,
        paths::GET_C2C_UNREAD_MSG_NUM => contact::c2c_unread(app, parse(body)?).await,
        paths::ADMIN_SET_MSG_READ => contact::set_msg_read(app, parse(body)?).await,
        paths::RECENTCONTACT_GET_LIST => contact::recent(app, parse(body)?).await,
        paths::C2C_MSG_READ_RECEIPT => receipt::c2c(app, parse(body)?).await,
        paths::GROUP_MSG_RECEIPT => receipt::group(app, parse(body)?).await,
        paths::GET_GROUP_MSG_RECEIPT => receipt::counts(app, &who, parse(body)?).await,
        paths::GET_GROUP_MSG_RECEIPT_DETAIL => receipt::detail(app, &who, parse(body)?).await,
        paths::GET_JOINED_GROUP_LIST => joined::list(app, parse(body)?).await,
        paths::CREATE_GROUP => group::create(app, parse(body)?).await,
        paths::ADD_GROUP_MEMBER => group::add_member(app, parse(body)?).await,
        paths::GET_GROUP_INFO => group::info(app, parse(body)?).await,
        paths::DESTROY_GROUP => group::destroy(app, parse(body)?).await,
        paths::SEND_GROUP_MSG => group::send(app, &who, client_ip, parse(body)?).await,
        paths::GROUP_MSG_GET_SIMPLE => group::history(app, &who, parse(body)?).await,
        paths::SET_UNREAD_MSG_NUM => group::set_unread(app, parse(body)?).await,
        _ => Err(ApiError::new(codes::BAD_RESOURCE, "unknown command")),
    }
}

/// The sender of a message: `From_Account`, or the caller. The admin may send as anyone (an
/// empty `From_Account` means itself); an account only as itself, else `denied`.
fn sender(app: &App, who: &Principal, from: Option<String>, denied: i32) -> ApiResult<String> {
    match (who, from) {
        (Principal::Admin, Some(from)) if !from.is_empty() => Ok(from),
        (Principal::Admin, _) => Ok(app.auth.admin().to_string()),
        (Principal::User(me), None) => Ok(me.clone()),
        (Principal::User(me), Some(from)) if from == *me => Ok(from),
        (Principal::User(me), Some(from)) => Err(ApiError::new(
            denied,
            format!("From_Account: {me:?} may only send as itself, not as {from:?}"),
        )),
    }
}
