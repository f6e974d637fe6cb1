//! The REST commands: which exist and who may call them. Each handler parses its own body type
//! (see `crate::request`), which carries the command's codes.

mod account;
mod c2c;
mod contact;
mod group;
mod msg;

use std::sync::Arc;

use axum::body::Bytes;
use serde::Serialize;
use v2im_wire::codes;
use v2im_wire::url::paths;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::request::parse;
use crate::App;

/// Path of Tencent's "set a member's unread count" command, used here to mark a group read.
const SET_GROUP_UNREAD: &str = "group_open_http_svc/set_unread_msg_num";

/// One REST command.
pub(crate) struct Endpoint {
    path: &'static str,
    /// Whether a non-admin account may call it (as itself; the handler checks the rest).
    pub(crate) user_ok: bool,
    /// Code a non-admin gets when it may not call it.
    pub(crate) denied_code: i32,
}

const fn ep(path: &'static str, user_ok: bool, denied_code: i32) -> Endpoint {
    Endpoint {
        path,
        user_ok,
        denied_code,
    }
}

const ADMIN: i32 = codes::ADMIN_REQUIRED_URL;
const OPENIM_ADMIN: i32 = codes::ADMIN_PERMISSION_REQUIRED;

static ENDPOINTS: &[Endpoint] = &[
    ep(paths::ACCOUNT_IMPORT, false, ADMIN),
    ep(paths::MULTIACCOUNT_IMPORT, false, ADMIN),
    ep(paths::ACCOUNT_CHECK, false, ADMIN),
    ep(paths::SENDMSG, true, OPENIM_ADMIN),
    ep(paths::BATCHSENDMSG, false, OPENIM_ADMIN),
    ep(paths::ADMIN_GETROAMMSG, true, OPENIM_ADMIN),
    ep(paths::GET_C2C_UNREAD_MSG_NUM, false, OPENIM_ADMIN),
    ep(paths::ADMIN_SET_MSG_READ, false, OPENIM_ADMIN),
    ep(paths::RECENTCONTACT_GET_LIST, false, ADMIN),
    ep(paths::CREATE_GROUP, false, ADMIN),
    ep(paths::ADD_GROUP_MEMBER, false, ADMIN),
    ep(paths::GET_GROUP_INFO, false, ADMIN),
    ep(paths::DESTROY_GROUP, false, ADMIN),
    ep(paths::SEND_GROUP_MSG, true, ADMIN),
    ep(paths::GROUP_MSG_GET_SIMPLE, true, ADMIN),
    ep(SET_GROUP_UNREAD, false, ADMIN),
];

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
    body: Bytes,
) -> ApiResult<Vec<u8>> {
    let app = &app;
    match ep.path {
        paths::ACCOUNT_IMPORT => account::import(app, parse(body)?).await,
        paths::MULTIACCOUNT_IMPORT => account::multi_import(app, parse(body)?).await,
        paths::ACCOUNT_CHECK => account::check(app, parse(body)?).await,
        paths::SENDMSG => c2c::sendmsg(app, &who, parse(body)?).await,
        paths::BATCHSENDMSG => c2c::batchsendmsg(app, &who, parse(body)?).await,
        paths::ADMIN_GETROAMMSG => c2c::getroammsg(app, &who, parse(body)?).await,
        paths::GET_C2C_UNREAD_MSG_NUM => contact::c2c_unread(app, parse(body)?).await,
        paths::ADMIN_SET_MSG_READ => contact::set_msg_read(app, parse(body)?).await,
        paths::RECENTCONTACT_GET_LIST => contact::recent(app, parse(body)?).await,
        paths::CREATE_GROUP => group::create(app, parse(body)?).await,
        paths::ADD_GROUP_MEMBER => group::add_member(app, parse(body)?).await,
        paths::GET_GROUP_INFO => group::info(app, parse(body)?).await,
        paths::DESTROY_GROUP => group::destroy(app, parse(body)?).await,
        paths::SEND_GROUP_MSG => group::send(app, &who, parse(body)?).await,
        paths::GROUP_MSG_GET_SIMPLE => group::history(app, &who, parse(body)?).await,
        SET_GROUP_UNREAD => group::set_unread(app, parse(body)?).await,
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
