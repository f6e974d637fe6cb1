//! The REST URL: `{base}/v4/{service}/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`.

/// Characters left as they are in a query value: RFC 3986 unreserved plus `*`, which every real
/// client sends raw or as `%2A` (the server decodes both).
fn push_query_value(out: &mut String, v: &str) {
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'*' => {
                out.push(b as char)
            }
            _ => {
                out.push('%');
                out.push_str(&format!("{b:02X}"));
            }
        }
    }
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
    push_query_value(&mut u, identifier);
    u.push_str("&usersig=");
    push_query_value(&mut u, usersig);
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
    pub const RECENTCONTACT_GET_LIST: &str = "recentcontact/get_list";
    pub const CREATE_GROUP: &str = "group_open_http_svc/create_group";
    pub const ADD_GROUP_MEMBER: &str = "group_open_http_svc/add_group_member";
    pub const GET_GROUP_INFO: &str = "group_open_http_svc/get_group_info";
    pub const DESTROY_GROUP: &str = "group_open_http_svc/destroy_group";
    pub const SEND_GROUP_MSG: &str = "group_open_http_svc/send_group_msg";
    pub const GROUP_MSG_GET_SIMPLE: &str = "group_open_http_svc/group_msg_get_simple";
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
    }
}
