//! The REST commands: which exist, who may call them, and the code for a malformed body.

pub mod account;
pub mod c2c;
pub mod contact;
pub mod group;
pub mod msg;

use std::sync::Arc;

use axum::body::Bytes;
use serde::Serialize;
use v2im_wire::codes;
use v2im_wire::url::paths;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::fields::{parse_body, Fields};
use crate::App;

/// Path of Tencent's "set a member's unread count" command, used here to mark a group read.
pub const SET_GROUP_UNREAD: &str = "group_open_http_svc/set_unread_msg_num";

/// One REST command.
pub struct Endpoint {
    pub path: &'static str,
    /// Code for a body that is not a JSON object or a field without a more specific code.
    pub bad_request: i32,
    /// Whether a non-admin account may call it (as itself; the handler checks the rest).
    pub user_ok: bool,
    /// Code a non-admin gets when it may not call it.
    pub denied_code: i32,
}

const fn ep(path: &'static str, bad_request: i32, user_ok: bool, denied_code: i32) -> Endpoint {
    Endpoint {
        path,
        bad_request,
        user_ok,
        denied_code,
    }
}

const ACCOUNT: i32 = codes::INVALID_PARAMETER_70402;
const OPENIM: i32 = codes::JSON_PARSE_FAILED;
const GROUP: i32 = codes::GROUP_INVALID_PARAMETERS;
const ADMIN: i32 = codes::ADMIN_REQUIRED_URL;
const OPENIM_ADMIN: i32 = codes::ADMIN_PERMISSION_REQUIRED;

static ENDPOINTS: &[Endpoint] = &[
    ep(paths::ACCOUNT_IMPORT, ACCOUNT, false, ADMIN),
    ep(paths::MULTIACCOUNT_IMPORT, ACCOUNT, false, ADMIN),
    ep(paths::ACCOUNT_CHECK, ACCOUNT, false, ADMIN),
    ep(paths::SENDMSG, OPENIM, true, OPENIM_ADMIN),
    ep(paths::BATCHSENDMSG, OPENIM, false, OPENIM_ADMIN),
    ep(paths::ADMIN_GETROAMMSG, OPENIM, true, OPENIM_ADMIN),
    ep(paths::GET_C2C_UNREAD_MSG_NUM, OPENIM, false, OPENIM_ADMIN),
    ep(paths::ADMIN_SET_MSG_READ, OPENIM, false, OPENIM_ADMIN),
    ep(paths::RECENTCONTACT_GET_LIST, ACCOUNT, false, ADMIN),
    ep(paths::CREATE_GROUP, GROUP, false, ADMIN),
    ep(paths::ADD_GROUP_MEMBER, GROUP, false, ADMIN),
    ep(paths::GET_GROUP_INFO, GROUP, false, ADMIN),
    ep(paths::DESTROY_GROUP, GROUP, false, ADMIN),
    ep(paths::SEND_GROUP_MSG, GROUP, true, ADMIN),
    ep(paths::GROUP_MSG_GET_SIMPLE, GROUP, true, ADMIN),
    ep(SET_GROUP_UNREAD, GROUP, false, ADMIN),
];

/// The command at `service/command`, if it exists.
pub fn endpoint(path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.path == path)
}

/// Serialises a successful answer.
pub fn ok<T: Serialize>(v: &T) -> ApiResult<Vec<u8>> {
    serde_json::to_vec(v)
        .map_err(|e| ApiError::new(codes::INTERNAL_70500, format!("cannot encode answer: {e}")))
}

/// Runs one REST command.
pub async fn dispatch(
    app: Arc<App>,
    ep: &'static Endpoint,
    who: Principal,
    body: Bytes,
) -> ApiResult<Vec<u8>> {
    let map = parse_body(&body, ep.bad_request)?;
    drop(body);
    let f = Fields::new(&map);
    match ep.path {
        paths::ACCOUNT_IMPORT => account::import(&app, &f).await,
        paths::MULTIACCOUNT_IMPORT => account::multi_import(&app, &f).await,
        paths::ACCOUNT_CHECK => account::check(&app, &f).await,
        paths::SENDMSG => c2c::sendmsg(&app, &who, &f).await,
        paths::BATCHSENDMSG => c2c::batchsendmsg(&app, &who, &f).await,
        paths::ADMIN_GETROAMMSG => c2c::getroammsg(&app, &who, &f).await,
        paths::GET_C2C_UNREAD_MSG_NUM => contact::c2c_unread(&app, &f).await,
        paths::ADMIN_SET_MSG_READ => contact::set_msg_read(&app, &f).await,
        paths::RECENTCONTACT_GET_LIST => contact::recent(&app, &f).await,
        paths::CREATE_GROUP => group::create(&app, &f).await,
        paths::ADD_GROUP_MEMBER => group::add_member(&app, &f).await,
        paths::GET_GROUP_INFO => group::info(&app, &f).await,
        paths::DESTROY_GROUP => group::destroy(&app, &f).await,
        paths::SEND_GROUP_MSG => group::send(&app, &who, &f).await,
        paths::GROUP_MSG_GET_SIMPLE => group::history(&app, &who, &f).await,
        SET_GROUP_UNREAD => group::set_unread(&app, &f).await,
        _ => Err(ApiError::new(codes::BAD_RESOURCE, "unknown command")),
    }
}
