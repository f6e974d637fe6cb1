//! Conversations and unread counts: `recentcontact/get_list` (last messages, order, paging),
//! `get_joined_group_list`, and what a non-admin may ask about whom.

use crate::common::*;
use serde_json::{json, Value};

fn get_list(s: &TestServer, user: &str, ts: i64, idx: i64) -> Value {
    let r = s.call(
        "recentcontact/get_list",
        json!({"From_Account": user, "TimeStamp": ts, "StartIndex": idx, "TopTimeStamp": 0, "TopStartIndex": 0, "AssistFlags": 7}),
    );
    assert_ok(&r);
    r
}

#[test]
fn the_list_has_last_messages_newest_first() {
    let s = TestServer::start();
    s.import(&["alice", "bob", "carol"]);
    let gid = s.create_group("cg", "alice", &["bob"]);
    s.send_c2c("carol", "bob", "from carol", 1, Value::Null);
    s.clock.advance(10);
    s.send_group(&gid, "alice", "in group", 2, Value::Null);
    s.clock.advance(10);
    s.send_c2c("alice", "bob", "from alice", 3, Value::Null);
    // Not a last message, not unread, or neither.
    s.clock.advance(10);
    s.send_c2c(
        "alice",
        "bob",
        "quiet",
        4,
        json!({"SendMsgControl": ["NoLastMsg"]}),
    );
    s.send_c2c(
        "alice",
        "bob",
        "counted not",
        5,
        json!({"SendMsgControl": ["NoUnread"]}),
    );
    s.send_c2c("alice", "bob", "gone", 6, json!({"MsgLifeTime": 0}));
    s.send_group(
        &gid,
        "alice",
        "g quiet",
        7,
        json!({"SendMsgControl": ["NoLastMsg", "NoUnread"]}),
    );
    let list = get_list(&s, "bob", 0, 0);
    assert_eq!(list["CompleteFlag"], 1);
    let items = list["SessionItem"].as_array().unwrap();
    let keys: Vec<_> = items
        .iter()
        .map(|i| i["To_Account"].as_str().or(i["GroupId"].as_str()).unwrap())
        .collect();
    assert_eq!(keys, ["alice", "cg", "carol"]);
    let alice = &items[0];
    assert_eq!(alice["MsgTime"], T0 + 30);
    assert_eq!(
        alice["C2cLastMsg"]["MsgBody"][0]["MsgContent"]["Text"],
        "counted not"
    );
    assert_eq!(alice["C2cLastMsg"], s.roam("bob", "alice")[0]);
    assert!(alice.get("GroupLastMsg").is_none());
    // from alice, quiet (NoLastMsg still counts as unread); not NoUnread nor online-only.
    assert_eq!(alice["UnreadMsgNum"], 2);
    let group = &items[1];
    assert_eq!(
        group["GroupLastMsg"]["MsgBody"][0]["MsgContent"]["Text"],
        "in group"
    );
    assert_eq!(group["GroupLastMsg"], s.group_history(&gid)[1]);
    assert_eq!(group["UnreadMsgNum"], 1);
    assert_eq!(items[2]["UnreadMsgNum"], 1);

    // The same unread counts through Tencent's own commands, and the channel's total.
    let c2c = s.call(
        "openim/get_c2c_unread_msg_num",
        json!({"To_Account": "bob"}),
    );
    let groups = s.call(
        "group_open_http_svc/get_joined_group_list",
        json!({"Member_Account": "bob", "ResponseFilter": {"SelfInfoFilter": ["UnreadMsgNum"]}}),
    );
    let group_unread: i64 = groups["GroupIdList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["SelfInfo"]["UnreadMsgNum"].as_i64().unwrap())
        .sum();
    let total = c2c["AllC2CUnreadMsgNum"].as_i64().unwrap() + group_unread;
    assert_eq!(total, 4);
    let (mut ch, _) = s.channel("bob", None);
    s.send_c2c("carol", "bob", "one more", 8, Value::Null);
    ch.expect("C2cMsg");
    let conv = ch.expect("Conversation");
    assert_eq!(conv["AllUnreadMsgNum"], total + 1);
    drop(ch);

    // A user may list its own conversations only.
    let own = s.call_as(
        "bob",
        "recentcontact/get_list",
        json!({"From_Account": "bob", "TimeStamp": 0, "StartIndex": 0, "TopTimeStamp": 0, "TopStartIndex": 0, "AssistFlags": 7}),
    );
    assert_ok(&own);
    assert_code(
        &s.call_as(
            "alice",
            "recentcontact/get_list",
            json!({"From_Account": "bob"}),
        ),
        60010,
    );
    assert_code(
        &s.call_as(
            "alice",
            "openim/get_c2c_unread_msg_num",
            json!({"To_Account": "bob"}),
        ),
        90009,
    );
    assert_ok(&s.call_as(
        "bob",
        "openim/get_c2c_unread_msg_num",
        json!({"To_Account": "bob"}),
    ));
}

#[test]
fn the_list_pages_with_tencents_cursors() {
    let s = TestServer::start();
    // 150 peers, several per second, so that pages split runs of equal times.
    for i in 0..150 {
        if i % 7 == 0 {
            s.clock.advance(1);
        }
        s.send_c2c(&format!("p{i:03}"), "owner", "x", i, Value::Null);
    }
    let first = get_list(&s, "owner", 0, 0);
    assert_eq!(first["CompleteFlag"], 0);
    let page1 = first["SessionItem"].as_array().unwrap().clone();
    assert_eq!(page1.len(), 100);
    // New activity between pages moves a conversation of the first page to the top; it is not
    // given twice.
    s.clock.advance(5);
    s.send_c2c("p120", "owner", "again", 999, Value::Null);
    let second = get_list(
        &s,
        "owner",
        first["TimeStamp"].as_i64().unwrap(),
        first["StartIndex"].as_i64().unwrap(),
    );
    assert_eq!(second["CompleteFlag"], 1);
    let page2 = second["SessionItem"].as_array().unwrap();
    let mut seen: Vec<&str> = page1
        .iter()
        .chain(page2.iter())
        .map(|i| i["To_Account"].as_str().unwrap())
        .collect();
    let times: Vec<i64> = page1
        .iter()
        .chain(page2.iter())
        .map(|i| i["MsgTime"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(seen.len(), 150);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 150, "no conversation twice");
    // p120 is now the newest.
    assert_eq!(
        get_list(&s, "owner", 0, 0)["SessionItem"][0]["To_Account"],
        "p120"
    );
    assert_code(
        &s.call(
            "recentcontact/get_list",
            json!({"From_Account": "owner", "TimeStamp": -1}),
        ),
        70402,
    );
}

#[test]
fn joined_groups_with_their_own_state() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let g1 = s.create_group("j1", "alice", &["bob"]);
    s.clock.advance(1);
    let r = s.call(
        "group_open_http_svc/create_group",
        json!({"GroupId": "j2", "Owner_Account": "bob", "Type": "Work", "Name": "w"}),
    );
    assert_ok(&r);
    s.send_group(&g1, "alice", "a", 1, Value::Null);
    s.send_group(&g1, "alice", "b", 2, Value::Null);
    let all = s.call_as(
        "bob",
        "group_open_http_svc/get_joined_group_list",
        json!({"Member_Account": "bob", "ResponseFilter": {
            "GroupBaseInfoFilter": ["Type", "Name", "NextMsgSeq", "MemberNum", "LastMsgTime"],
            "SelfInfoFilter": ["Role", "JoinTime", "MsgFlag", "UnreadMsgNum", "MsgSeq"]}}),
    );
    assert_ok(&all);
    assert_eq!(all["TotalCount"], 2);
    assert_eq!(
        all["GroupIdList"][0],
        json!({"GroupId": "j1", "Type": "Public", "Name": "g", "NextMsgSeq": 3, "MemberNum": 2,
            "LastMsgTime": T0 + 1, "SelfInfo": {"Role": "Member", "JoinTime": T0,
            "MsgFlag": "AcceptAndNotify", "UnreadMsgNum": 2, "MsgSeq": 0}})
    );
    assert_eq!(all["GroupIdList"][1]["SelfInfo"]["Role"], "Owner");
    assert_eq!(all["GroupIdList"][1]["SelfInfo"]["UnreadMsgNum"], 0);
    // Without a filter: the ids only. Type filter (Private matches Work), Limit and Offset.
    let bare = s.call(
        "group_open_http_svc/get_joined_group_list",
        json!({"Member_Account": "bob"}),
    );
    assert_eq!(
        bare["GroupIdList"],
        json!([{"GroupId": "j1"}, {"GroupId": "j2"}])
    );
    let work = s.call(
        "group_open_http_svc/get_joined_group_list",
        json!({"Member_Account": "bob", "GroupType": "Private"}),
    );
    assert_eq!(work["TotalCount"], 1);
    assert_eq!(work["GroupIdList"], json!([{"GroupId": "j2"}]));
    let paged = s.call(
        "group_open_http_svc/get_joined_group_list",
        json!({"Member_Account": "bob", "Limit": 1, "Offset": 1}),
    );
    assert_eq!(paged["TotalCount"], 2);
    assert_eq!(paged["GroupIdList"], json!([{"GroupId": "j2"}]));
    // Refusals.
    for (body, code) in [
        (
            json!({"Member_Account": "bob", "ResponseFilter": {"SelfInfoFilter": ["Secret"]}}),
            10004,
        ),
        (json!({"Member_Account": "bob", "Limit": 0}), 10004),
        (json!({"Member_Account": "bob", "GroupType": "Club"}), 10004),
        (json!({"Member_Account": "bob", "Offset": -1}), 10004),
        (json!({"Member_Account": "bob", "Extra": 1}), 10004),
    ] {
        assert_code(
            &s.call("group_open_http_svc/get_joined_group_list", body),
            code,
        );
    }
    assert_code(
        &s.call_as(
            "alice",
            "group_open_http_svc/get_joined_group_list",
            json!({"Member_Account": "bob"}),
        ),
        10007,
    );
    // A user's body is checked for whom it names before anything else.
    assert_code(
        &s.call_as(
            "alice",
            "group_open_http_svc/get_joined_group_list",
            json!({}),
        ),
        10007,
    );
}
