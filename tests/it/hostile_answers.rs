//! Answers of a lying server that the fuzz targets (fuzz/) found mishandled: each must end the
//! call with a result, never a panic (which would poison the client).

use crate::common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::time::Duration;

/// A server that answers every request with `body` (HTTP 200, JSON).
fn answering(body: &'static str) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let _ = c.set_read_timeout(Some(Duration::from_millis(300)));
                let _ = c.read(&mut buf);
                let _ = write!(
                    c,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    url
}

#[test]
fn unread_counts_beyond_i64_saturate() {
    // One body answers both requests: get_c2c_unread_msg_num reads AllC2CUnreadMsgNum,
    // get_joined_group_list TotalCount and GroupIdList.
    let url = answering(
        r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","AllC2CUnreadMsgNum":9223372036854775807,"TotalCount":1,"GroupIdList":[{"GroupId":"g","SelfInfo":{"UnreadMsgNum":3}}]}"#,
    );
    let c = TestClient::new(&url, "alice");
    let d = c.call_wait("getTotalUnreadMessageCount", json!({}));
    assert_eq!(d.code, 0, "{}", d.json);
    // Saturated: no count can be larger.
    assert_eq!(d.json["data"], json!(i64::MAX), "{}", d.json);
    // The client is not poisoned: it still takes calls.
    assert_eq!(c.call("createTextMessage", &json!({"text": "t"})), 0);
}
