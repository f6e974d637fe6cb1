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
    pub(crate) path: &'static str,
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

/// What [`dispatch`] does with `body` before a handler runs, for the command
/// `ENDPOINTS[command % ENDPOINTS.len()]` called by `who`: the self check and the parse into
/// the handler's request type. For the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn parse_only(command: usize, who: &Principal, body: Bytes) -> ApiResult<()> {
    use v2im_wire::account::*;
    use v2im_wire::c2c::*;
    use v2im_wire::group::*;
    fn req<B: crate::request::Body>(body: Bytes) -> ApiResult<()> {
        parse::<B>(body).map(drop)
    }
    let ep = &ENDPOINTS[command % ENDPOINTS.len()];
    check_self(ep, who, &body)?;
    match ep.path {
        paths::ACCOUNT_IMPORT => req::<AccountImportRequest>(body),
        paths::MULTIACCOUNT_IMPORT => req::<MultiAccountImportRequest>(body),
        paths::ACCOUNT_CHECK => req::<AccountCheckRequest>(body),
        paths::SENDMSG => req::<SendMsgRequest>(body),
        paths::BATCHSENDMSG => req::<BatchSendMsgRequest>(body),
        paths::ADMIN_GETROAMMSG => req::<c2c::GetRoamMsg>(body),
        paths::GET_C2C_UNREAD_MSG_NUM => req::<GetC2cUnreadRequest>(body),
        paths::ADMIN_SET_MSG_READ => req::<SetMsgReadRequest>(body),
        paths::RECENTCONTACT_GET_LIST => req::<GetRecentContactRequest>(body),
        paths::C2C_MSG_READ_RECEIPT => req::<C2cMsgReadReceiptRequest>(body),
        paths::GROUP_MSG_RECEIPT => req::<GroupMsgReceiptRequest>(body),
        paths::GET_GROUP_MSG_RECEIPT => req::<GetGroupMsgReceiptRequest>(body),
        paths::GET_GROUP_MSG_RECEIPT_DETAIL => req::<GetGroupMsgReceiptDetailRequest>(body),
        paths::GET_JOINED_GROUP_LIST => req::<GetJoinedGroupListRequest>(body),
        paths::CREATE_GROUP => req::<CreateGroupRequest>(body),
        paths::ADD_GROUP_MEMBER => req::<AddGroupMemberRequest>(body),
        paths::GET_GROUP_INFO => req::<group::GetGroupInfo>(body),
        paths::DESTROY_GROUP => req::<DestroyGroupRequest>(body),
        paths::SEND_GROUP_MSG => req::<SendGroupMsgRequest>(body),
        paths::GROUP_MSG_GET_SIMPLE => req::<GroupMsgGetSimpleRequest>(body),
        paths::SET_UNREAD_MSG_NUM => req::<SetUnreadMsgNumRequest>(body),
        // A new command must be added here too, or its body goes unfuzzed: fail loudly.
        other => panic!("parse_only does not know {other}: add it beside dispatch's arm"),
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
