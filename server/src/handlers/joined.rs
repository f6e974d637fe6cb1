//! `group_open_http_svc/get_joined_group_list`: the groups an account is in, with its own unread
//! count in each (`SelfInfoFilter: ["UnreadMsgNum"]`), so that a client can add C2C and group
//! unread counts with Tencent's own commands.

use v2im_wire::codes;
use v2im_wire::group::{GetJoinedGroupListRequest, GetJoinedGroupListResponse};
use v2im_wire::Envelope;

use super::ok;
use crate::error::ApiResult;
use crate::request::Body;
use crate::store::joined::{self, Fields, BASE_FIELDS, SELF_FIELDS};
use crate::App;

/// Groups per page (Tencent's limit).
const MAX_LIMIT: i64 = 5000;
/// The group types `GroupType` may name.
const GROUP_TYPES: [&str; 7] = [
    "Private",
    "Work",
    "Public",
    "ChatRoom",
    "Meeting",
    "AVChatRoom",
    "Community",
];

/// `WithHugeGroups` and `WithNoActiveGroups` (0/1) change nothing: every group is answered.
impl Body for GetJoinedGroupListRequest {
    const DEFAULT_CODE: i32 = codes::GROUP_INVALID_PARAMETERS;
}

/// The names of a filter, each one `known`.
fn names(key: &str, list: Option<Vec<String>>, known: &[&str]) -> ApiResult<Vec<String>> {
    let list = list.unwrap_or_default();
    for (i, n) in list.iter().enumerate() {
        if !known.contains(&n.as_str()) {
            return Err(GetJoinedGroupListRequest::invalid(
                &format!("ResponseFilter.{key}[{i}]"),
                format_args!("unknown field {n:?}; known: {known:?}"),
            ));
        }
    }
    Ok(list)
}

pub(super) async fn list(app: &App, req: GetJoinedGroupListRequest) -> ApiResult<Vec<u8>> {
    type B = GetJoinedGroupListRequest;
    B::account("Member_Account", &req.member_account)?;
    let limit = req.limit.unwrap_or(MAX_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(B::invalid(
            "Limit",
            format_args!("must be 1 to {MAX_LIMIT}"),
        ));
    }
    let offset = req.offset.unwrap_or(0);
    if offset < 0 {
        return Err(B::invalid("Offset", "must not be negative"));
    }
    if let Some(t) = &req.group_type {
        if !GROUP_TYPES.contains(&t.as_str()) {
            return Err(B::invalid(
                "GroupType",
                format_args!("must be one of {GROUP_TYPES:?}"),
            ));
        }
    }
    B::flag("WithHugeGroups", req.with_huge_groups)?;
    B::flag("WithNoActiveGroups", req.with_no_active_groups)?;
    let filter = req.response_filter.unwrap_or_default();
    let fields = Fields {
        base: names(
            "GroupBaseInfoFilter",
            filter.group_base_info_filter,
            BASE_FIELDS,
        )?,
        own: names("SelfInfoFilter", filter.self_info_filter, SELF_FIELDS)?,
    };
    let (user, kind) = (req.member_account, req.group_type);
    let (total, groups) = app
        .store
        .read(move |c| {
            joined::joined(
                c,
                &user,
                kind.as_deref(),
                offset as usize,
                limit as usize,
                &fields,
            )
        })
        .await?;
    ok(&GetJoinedGroupListResponse {
        envelope: Envelope::ok(),
        total_count: total,
        group_id_list: groups,
    })
}
