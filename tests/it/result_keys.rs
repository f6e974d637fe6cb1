//! Every key of V2TIM's returned template (`tests/v2tim_message_keys.json`) in every kind of result: create results, send
//! success, send failure, history (C2C and group) and findMessages.

use crate::common::*;
use serde_json::json;

#[test]
fn every_result_carries_the_template() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    s.create_group("g-keys", "alice", &["alice", "bob"]);

    // createXxxMessage: {"id", "messageInfo": V2TimMessage}.
    let creates = [
        ("createTextMessage", json!({"text": "t"})),
        (
            "createCustomMessage",
            json!({"data": "d", "desc": "x", "extension": "e"}),
        ),
        (
            "createLocationMessage",
            json!({"desc": "here", "longitude": 113.9, "latitude": 22.5}),
        ),
        ("createFaceMessage", json!({"index": 1, "data": "smile"})),
        (
            "createTextAtMessage",
            json!({"text": "@bob hi", "atUserList": ["bob"]}),
        ),
        (
            "createTargetedGroupMessage",
            json!({"id": "", "receiverList": ["bob"]}),
        ),
    ];
    let mut ids = Vec::new();
    for (method, mut params) in creates {
        if method == "createTargetedGroupMessage" {
            params["id"] = json!(ids[0]);
        }
        let d = a.call_wait(method, params);
        assert_eq!(d.code, 0, "{method}: {}", d.json);
        assert_envelope(&d.json, method);
        assert!(d.json["data"]["id"].is_string(), "{method}");
        assert_message_keys(&d.json["data"]["messageInfo"], method);
        ids.push(d.json["data"]["id"].as_str().unwrap().to_string());
    }

    // sendMessage success, one-to-one and group.
    let ok = a.send(&ids[1], json!({"receiver": "bob"}));
    assert_eq!(ok.code, 0, "{}", ok.json);
    assert_envelope(&ok.json, "send success");
    assert_message_keys(&ok.json["data"], "send success");
    let m = &ok.json["data"];
    assert_eq!(m["status"], 2);
    assert!(m["msgID"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(m["timestamp"].as_i64().unwrap() > 0);
    assert!(m["seq"].is_string());
    assert!(m["random"].as_u64().is_some());
    assert_eq!(m["sender"], "alice");
    assert_eq!(m["isSelf"], true);
    assert_eq!(m["elemType"], 2);
    let g = a.send(&ids[2], json!({"groupID": "g-keys"}));
    assert_eq!(g.code, 0, "{}", g.json);
    assert_message_keys(&g.json["data"], "group send success");

    // sendMessage failures: refused before the wire, and refused by the server.
    let neither = a.send(&ids[3], json!({}));
    assert_ne!(neither.code, 0);
    assert_envelope(&neither.json, "send failure");
    assert_message_keys(&neither.json["data"], "send failure (neither target)");
    assert_eq!(neither.json["data"]["status"], 3);
    assert_eq!(neither.json["data"]["id"], ids[3].as_str());
    let server_refused = a.send(&ids[4], json!({"groupID": "no-such-group"}));
    assert_ne!(server_refused.code, 0, "{}", server_refused.json);
    assert_message_keys(&server_refused.json["data"], "send failure (server)");
    assert_eq!(server_refused.json["data"]["status"], 3);
    assert_eq!(server_refused.json["data"]["id"], ids[4].as_str());

    // History, both kinds.
    let h = a.call_wait(
        "getC2CHistoryMessageList",
        json!({"userID": "bob", "count": 5}),
    );
    assert_eq!(h.code, 0, "{}", h.json);
    assert_envelope(&h.json, "c2c history");
    let list = h.json["data"].as_array().unwrap();
    assert!(!list.is_empty());
    for m in list {
        assert_message_keys(m, "c2c history item");
    }
    let gh = a.call_wait(
        "getGroupHistoryMessageList",
        json!({"groupID": "g-keys", "count": 5}),
    );
    assert_eq!(gh.code, 0, "{}", gh.json);
    for m in gh.json["data"].as_array().unwrap() {
        assert_message_keys(m, "group history item");
    }

    // findMessages.
    let f = a.call_wait("findMessages", json!({"messageIDList": [ids[0], ids[1]]}));
    assert_eq!(f.code, 0, "{}", f.json);
    assert_envelope(&f.json, "findMessages");
    let found = f.json["data"].as_array().unwrap();
    assert_eq!(found.len(), 2);
    for m in found {
        assert_message_keys(m, "findMessages item");
    }
}
