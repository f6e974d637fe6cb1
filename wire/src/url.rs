//! The REST URL: `{base}/v4/{service}/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Bytes escaped in a query value: all but RFC 3986's unreserved characters and `*`, which every
/// real client sends raw or as `%2A` (the server decodes both).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'*');

/// Appends `v` to `out` escaped as a query value (the REST URL's rule).
pub fn push_query_value(out: &mut String, v: &str) {
    out.extend(utf8_percent_encode(v, QUERY_VALUE));
}

/// Builds the full request URL. `base` is e.g. `https://console.tim.qq.com` (a trailing `/` is fine).
pub fn rest_url(
    base: &str,
    path: &str,
    sdkappid: u64,
    identifier: &str,
    usersig: &str,
    random: u32,
) -> String {
    let mut u = String::with_capacity(base.len() + path.len() + usersig.len() + 96);
    u.push_str(base.trim_end_matches('/'));
    u.push_str("/v4/");
    u.push_str(path.trim_start_matches('/'));
    u.push_str("?sdkappid=");
    u.push_str(&sdkappid.to_string());
    u.push_str("&identifier=");
    u.extend(utf8_percent_encode(identifier, QUERY_VALUE));
    u.push_str("&usersig=");
    u.extend(utf8_percent_encode(usersig, QUERY_VALUE));
    u.push_str("&random=");
    u.push_str(&random.to_string());
    u.push_str("&contenttype=json");
    u
}

/// REST paths used by the library and served by v2im-server.
pub mod paths {
    pub const ACCOUNT_IMPORT: &str = "im_open_login_svc/account_import";
    pub const MULTIACCOUNT_IMPORT: &str = "im_open_login_svc/multiaccount_import";
    pub const ACCOUNT_CHECK: &str = "im_open_login_svc/account_check";
    pub const SENDMSG: &str = "openim/sendmsg";
    pub const BATCHSENDMSG: &str = "openim/batchsendmsg";
    pub const ADMIN_GETROAMMSG: &str = "openim/admin_getroammsg";
    pub const GET_C2C_UNREAD_MSG_NUM: &str = "openim/get_c2c_unread_msg_num";
    pub const ADMIN_SET_MSG_READ: &str = "openim/admin_set_msg_read";
    pub const C2C_MSG_READ_RECEIPT: &str = "openim/c2c_msg_read_receipt";
    pub const RECENTCONTACT_GET_LIST: &str = "recentcontact/get_list";
    pub const CREATE_GROUP: &str = "group_open_http_svc/create_group";
    pub const ADD_GROUP_MEMBER: &str = "group_open_http_svc/add_group_member";
    pub const GET_GROUP_INFO: &str = "group_open_http_svc/get_group_info";
    pub const DESTROY_GROUP: &str = "group_open_http_svc/destroy_group";
    pub const SEND_GROUP_MSG: &str = "group_open_http_svc/send_group_msg";
    pub const GROUP_MSG_GET_SIMPLE: &str = "group_open_http_svc/group_msg_get_simple";
    pub const SET_UNREAD_MSG_NUM: &str = "group_open_http_svc/set_unread_msg_num";
    pub const GROUP_MSG_RECEIPT: &str = "group_open_http_svc/group_msg_receipt";
    pub const GET_GROUP_MSG_RECEIPT: &str = "group_open_http_svc/get_group_msg_receipt";
    pub const GET_GROUP_MSG_RECEIPT_DETAIL: &str =
        "group_open_http_svc/get_group_msg_receipt_detail";
    pub const GET_JOINED_GROUP_LIST: &str = "group_open_http_svc/get_joined_group_list";
    /// v2im's live channel (`GET`; see [`crate::channel`]).
    pub const CHANNEL: &str = crate::channel::PATH;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_shape_and_escaping() {
        let u = rest_url(
            "http://127.0.0.1:1/",
            "openim/sendmsg",
            1400000000,
            "a b",
            "x*y-z_",
            7,
        );
        assert_eq!(
            u,
            "http://127.0.0.1:1/v4/openim/sendmsg?sdkappid=1400000000&identifier=a%20b&usersig=x*y-z_&random=7&contenttype=json"
        );
        // Every byte outside RFC 3986's unreserved set and `*` is escaped, UTF-8 byte by byte.
        let u = rest_url("http://h", "/p", 1, "a b/中~", "x*y-z_.+=", 0);
        assert_eq!(
            u,
            "http://h/v4/p?sdkappid=1&identifier=a%20b%2F%E4%B8%AD~&usersig=x*y-z_.%2B%3D&random=0&contenttype=json"
        );
    }
}
