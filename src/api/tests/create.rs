use super::{err, mark_sent, refused, run as call};
use crate::api::create::cut_utf8;
use crate::codes::ERR_MERGER_MSG_LAYERS_OVER_LIMIT;
use crate::model::at::AT_ALL_TAG;
use crate::model::MessageStatus;
use crate::registry::Registry;
use serde_json::{json, Value};
use v2im_wire::codes::limits;

/// Creates a text message and marks it sent (C2C) as the sender would.
fn sent_text(r: &Registry, t: &str) -> (String, String) {
    let id = super::create(r, "createTextMessage", json!({"text": t}));
    mark_sent(r, &id);
    let mid = r.get(&id).unwrap().msg_id.unwrap();
    (id, mid)
}

fn check_created(d: &Value, elem_key: &str, elem_type: i32) {
    let id = d["id"].as_str().unwrap();
    assert!(id.starts_with("v2im-"));
    let mi = &d["messageInfo"];
    crate::model::tests::assert_template(mi);
    assert_eq!(mi["id"], id);
    assert_eq!(mi["elemType"], elem_type);
    assert!(mi[elem_key].is_object());
    assert_eq!(mi["status"], 1);
    assert_eq!(mi["sender"], "alice");
    assert!(mi["msgID"].is_null());
}

#[test]
fn text() {
    let r = Registry::new();
    let d = call(&r, "createTextMessage", json!({"text": "héllo 🌍"})).unwrap();
    check_created(&d, "textElem", 1);
    assert_eq!(d["messageInfo"]["textElem"]["text"], "héllo 🌍");
    assert_eq!(r.len(), 1);
    // Empty text is a valid V2TIM message.
    call(&r, "createTextMessage", json!({"text": ""})).unwrap();
    refused(
        &r,
        "createTextMessage",
        &[
            (json!({}), "text is required"),
            (json!({"text": null}), "text"),
            (json!({"text": 5}), "text"),
            (json!({"text": ["a"]}), "text"),
            (
                json!({"txt": "a"}),
                "unknown key \"txt\" (did you mean \"text\"?)",
            ),
        ],
    );
    assert_eq!(r.len(), 2, "failed creates leave nothing behind");
}

#[test]
fn ids_are_unique() {
    let r = Registry::new();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100 {
        let d = call(&r, "createTextMessage", json!({"text": "x"})).unwrap();
        assert!(seen.insert(d["id"].as_str().unwrap().to_owned()));
    }
}

#[test]
fn custom() {
    let r = Registry::new();
    let d = call(
        &r,
        "createCustomMessage",
        json!({"data": "{\"k\":1}", "desc": "push", "extension": "ext"}),
    )
    .unwrap();
    check_created(&d, "customElem", 2);
    assert_eq!(
        d["messageInfo"]["customElem"],
        json!({"elemType": 2, "data": "{\"k\":1}", "desc": "push", "extension": "ext"})
    );
    let d = call(&r, "createCustomMessage", json!({"data": "x"})).unwrap();
    assert_eq!(d["messageInfo"]["customElem"]["desc"], "");
    assert_eq!(d["messageInfo"]["customElem"]["extension"], "");
    refused(
        &r,
        "createCustomMessage",
        &[
            (json!({}), "data"),
            (json!({"data": 1}), "data"),
            (json!({"data": "x", "desc": 1}), "desc"),
            (json!({"data": "x", "extension": {}}), "extension"),
        ],
    );
}

#[test]
fn location() {
    let r = Registry::new();
    let d = call(
        &r,
        "createLocationMessage",
        json!({"desc": "Shenzhen", "longitude": 113.93, "latitude": 22.54}),
    )
    .unwrap();
    check_created(&d, "locationElem", 7);
    assert_eq!(d["messageInfo"]["locationElem"]["longitude"], 113.93);
    // Integers and the bounds themselves are fine.
    call(
        &r,
        "createLocationMessage",
        json!({"desc": "", "longitude": -180, "latitude": 90}),
    )
    .unwrap();
    refused(
        &r,
        "createLocationMessage",
        &[
            (json!({"longitude": 1, "latitude": 1}), "desc"),
            (json!({"desc": "d", "latitude": 1}), "longitude"),
            (json!({"desc": "d", "longitude": 1}), "latitude"),
            (
                json!({"desc": "d", "longitude": 180.5, "latitude": 1}),
                "longitude",
            ),
            (
                json!({"desc": "d", "longitude": 1, "latitude": -90.01}),
                "latitude",
            ),
            (
                json!({"desc": "d", "longitude": "1", "latitude": 1}),
                "longitude",
            ),
            (
                json!({"desc": "d", "longitude": 1e300, "latitude": 1}),
                "longitude",
            ),
            (json!({"desc": 3, "longitude": 1, "latitude": 1}), "desc"),
        ],
    );
}

#[test]
fn face() {
    let r = Registry::new();
    let d = call(
        &r,
        "createFaceMessage",
        json!({"index": 4, "data": "smile"}),
    )
    .unwrap();
    check_created(&d, "faceElem", 8);
    assert_eq!(
        d["messageInfo"]["faceElem"],
        json!({"elemType": 8, "index": 4, "data": "smile"})
    );
    refused(
        &r,
        "createFaceMessage",
        &[
            (json!({"data": "x"}), "index"),
            (json!({"index": 1}), "data"),
            (json!({"index": 1.5, "data": "x"}), "index"),
            (json!({"index": "1", "data": "x"}), "index"),
            (json!({"index": 1u64 << 40, "data": "x"}), "index"),
            (json!({"index": u64::MAX, "data": "x"}), "index"),
        ],
    );
}

#[test]
fn text_at() {
    let r = Registry::new();
    let d = call(
        &r,
        "createTextAtMessage",
        json!({"text": "@all @bob hi", "atUserList": [AT_ALL_TAG, "bob"]}),
    )
    .unwrap();
    check_created(&d, "textElem", 1);
    assert_eq!(
        d["messageInfo"]["groupAtUserList"],
        json!(["__kImSDK_MesssageAtALL__", "bob"])
    );
    // The C API's spelling of @all is accepted and shown in V2TIM's.
    let d = call(
        &r,
        "createTextAtMessage",
        json!({"text": "x", "atUserList": ["__kImSDK_MessageAtALL__"]}),
    )
    .unwrap();
    assert_eq!(d["messageInfo"]["groupAtUserList"], json!([AT_ALL_TAG]));
    refused(
        &r,
        "createTextAtMessage",
        &[
            (json!({"text": "x"}), "atUserList"),
            (json!({"text": "x", "atUserList": "bob"}), "atUserList"),
            (json!({"text": "x", "atUserList": [1]}), "atUserList[0]"),
            (
                json!({"text": "x", "atUserList": ["a", ""]}),
                "atUserList[1]",
            ),
            (json!({"atUserList": []}), "text"),
        ],
    );
}

#[test]
fn at_signed_group_message() {
    let r = Registry::new();
    let id = call(&r, "createTextMessage", json!({"text": "hi"})).unwrap()["id"].clone();
    let d = call(
        &r,
        "createAtSignedGroupMessage",
        json!({"id": id, "atUserList": ["bob", AT_ALL_TAG]}),
    )
    .unwrap();
    // V2TIM returns the message itself.
    crate::model::tests::assert_template(&d);
    assert_eq!(d["id"], id);
    assert_eq!(d["groupAtUserList"], json!(["bob", AT_ALL_TAG]));
    assert_eq!(
        r.get(id.as_str().unwrap()).unwrap().group_at_user_list,
        vec!["bob".to_owned(), AT_ALL_TAG.to_owned()]
    );
    // Already has an @ list.
    let e = err(
        &r,
        "createAtSignedGroupMessage",
        json!({"id": id, "atUserList": ["c"]}),
    );
    assert!(e.desc.contains("already has an atUserList"), "{}", e.desc);
    // Unknown id, bad types.
    let e = err(
        &r,
        "createAtSignedGroupMessage",
        json!({"id": "v2im-0", "atUserList": []}),
    );
    assert!(e.desc.contains("v2im-0"));
    let e = err(&r, "createAtSignedGroupMessage", json!({"atUserList": []}));
    assert!(e.desc.contains("id"));
    let e = err(&r, "createAtSignedGroupMessage", json!({"id": id}));
    assert!(e.desc.contains("atUserList"));
    // A sent message cannot be changed.
    let (sent, _) = sent_text(&r, "s");
    let e = err(
        &r,
        "createAtSignedGroupMessage",
        json!({"id": sent, "atUserList": ["b"]}),
    );
    assert!(e.desc.contains("already been sent"), "{}", e.desc);
}

#[test]
fn targeted_group_message() {
    let r = Registry::new();
    let id = call(&r, "createTextMessage", json!({"text": "psst"})).unwrap()["id"].clone();
    let d = call(
        &r,
        "createTargetedGroupMessage",
        json!({"id": id, "receiverList": ["bob", "carol"]}),
    )
    .unwrap();
    check_created(&d, "textElem", 1);
    assert_ne!(d["id"], id, "a new message");
    assert_eq!(
        d["messageInfo"]["targetGroupMemberList"],
        json!(["bob", "carol"])
    );
    assert_eq!(d["messageInfo"]["textElem"]["text"], "psst");
    // The original is unchanged.
    assert!(r
        .get(id.as_str().unwrap())
        .unwrap()
        .target_group_member_list
        .is_empty());
    let fifty: Vec<String> = (0..50).map(|i| format!("u{i}")).collect();
    call(
        &r,
        "createTargetedGroupMessage",
        json!({"id": id, "receiverList": fifty}),
    )
    .unwrap();
    let fifty_one: Vec<String> = (0..51).map(|i| format!("u{i}")).collect();
    let e = err(
        &r,
        "createTargetedGroupMessage",
        json!({"id": id, "receiverList": fifty_one}),
    );
    assert!(e.desc.contains("at most 50"), "{}", e.desc);
    let e = err(
        &r,
        "createTargetedGroupMessage",
        json!({"id": id, "receiverList": []}),
    );
    assert!(e.desc.contains("receiverList"));
    let e = err(
        &r,
        "createTargetedGroupMessage",
        json!({"id": "nope", "receiverList": ["a"]}),
    );
    assert!(e.desc.contains("nope"));
    let at = call(
        &r,
        "createTextAtMessage",
        json!({"text": "x", "atUserList": ["a"]}),
    )
    .unwrap();
    let e = err(
        &r,
        "createTargetedGroupMessage",
        json!({"id": at["id"], "receiverList": ["a"]}),
    );
    assert!(e.desc.contains("atUserList"), "{}", e.desc);
    // And the other way round: @ on a targeted message.
    let e = err(
        &r,
        "createAtSignedGroupMessage",
        json!({"id": d["id"], "atUserList": ["a"]}),
    );
    assert!(e.desc.contains("targeted"), "{}", e.desc);
}

#[test]
fn forward() {
    let r = Registry::new();
    let (id, mid) = sent_text(&r, "fwd me");
    for key in [&id, &mid] {
        let d = call(&r, "createForwardMessage", json!({"msgID": key})).unwrap();
        check_created(&d, "textElem", 1);
        assert_eq!(d["messageInfo"]["isForwardMessage"], true);
        assert_eq!(d["messageInfo"]["textElem"]["text"], "fwd me");
        assert_ne!(d["messageInfo"]["random"], r.get(&id).unwrap().random);
    }
    let unsent = call(&r, "createTextMessage", json!({"text": "x"})).unwrap();
    let e = err(&r, "createForwardMessage", json!({"msgID": unsent["id"]}));
    assert!(e.desc.contains("status must be successful"), "{}", e.desc);
    r.update(unsent["id"].as_str().unwrap(), |m| {
        m.status = MessageStatus::SendFail
    });
    let e = err(&r, "createForwardMessage", json!({"msgID": unsent["id"]}));
    assert!(e.desc.contains("status must be successful"), "{}", e.desc);
    let e = err(&r, "createForwardMessage", json!({"msgID": "1_2_3"}));
    assert!(e.desc.contains("1_2_3"));
    let e = err(&r, "createForwardMessage", json!({}));
    assert!(e.desc.contains("msgID"));
}

#[test]
fn merger() {
    let r = Registry::new();
    let (a, amid) = sent_text(&r, "one");
    let (b, _) = sent_text(&r, "two");
    r.update(&a, |m| m.local_custom_data = Some("LOCAL".into()));
    let long = "é".repeat(80); // 160 bytes
    let d = call(
        &r,
        "createMergerMessage",
        json!({
            "msgIDList": [amid, b],
            "title": "Chat history",
            "abstractList": ["1", long, "3", "4", "5", "6"],
            "compatibleText": "Please upgrade"
        }),
    )
    .unwrap();
    check_created(&d, "mergerElem", 10);
    let mi = &d["messageInfo"];
    assert_eq!(mi["isForwardMessage"], true);
    let me = &mi["mergerElem"];
    assert_eq!(me["title"], "Chat history");
    assert_eq!(me["compatibleText"], "Please upgrade");
    let abs = me["abstractList"].as_array().unwrap();
    assert_eq!(abs.len(), 5, "first 5 abstracts");
    assert_eq!(abs[1].as_str().unwrap(), "é".repeat(50), "cut to 100 bytes");
    let list = me["messageList"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["textElem"]["text"], "one");
    assert!(
        list[0]["localCustomData"].is_null(),
        "local data is not merged"
    );
    crate::model::tests::assert_template(&list[1]);
    // A merger of a merger (after it is sent) nests.
    let mid = d["id"].as_str().unwrap().to_owned();
    r.update(&mid, |m| m.status = MessageStatus::SendSucc);
    let d2 = call(
        &r,
        "createMergerMessage",
        json!({"msgIDList": [mid], "title": "t", "abstractList": [], "compatibleText": "c"}),
    )
    .unwrap();
    let id2 = d2["id"].as_str().unwrap();
    assert_eq!(r.get(id2).unwrap().merger_layers(), 2);
}

#[test]
fn merger_errors() {
    let r = Registry::new();
    let (a, _) = sent_text(&r, "one");
    let unsent = call(&r, "createTextMessage", json!({"text": "x"})).unwrap()["id"].clone();
    let ok = json!({"msgIDList": [a], "title": "t", "abstractList": [], "compatibleText": "c"});
    call(&r, "createMergerMessage", ok.clone()).unwrap();
    let with = |k: &str, v: Value| {
        let mut o = ok.clone();
        o[k] = v;
        o
    };
    let without = |k: &str| {
        let mut o = ok.clone();
        o.as_object_mut().unwrap().remove(k);
        o
    };
    refused(
        &r,
        "createMergerMessage",
        &[
            (with("msgIDList", json!([])), "msgIDList must not be empty"),
            (
                with("msgIDList", json!([unsent])),
                "status must be successful",
            ),
            (with("msgIDList", json!([a, "ghost"])), "ghost"),
            (with("msgIDList", json!("x")), "msgIDList"),
            (without("compatibleText"), "compatibleText"),
            (with("compatibleText", Value::Null), "compatibleText"),
            (without("title"), "title"),
            (without("abstractList"), "abstractList"),
            (with("abstractList", json!([1])), "abstractList[0]"),
        ],
    );
    let many: Vec<Value> = (0..301).map(|_| json!(a)).collect();
    let e = err(&r, "createMergerMessage", with("msgIDList", json!(many)));
    assert!(e.desc.contains("at most 300"), "{}", e.desc);
    let three_hundred: Vec<Value> = (0..300).map(|_| json!(a)).collect();
    call(
        &r,
        "createMergerMessage",
        with("msgIDList", json!(three_hundred)),
    )
    .unwrap();
}

#[test]
fn merger_nesting_limit() {
    let r = Registry::new();
    let (mut id, _) = sent_text(&r, "base");
    for _ in 0..limits::MAX_MERGER_LAYERS {
        let d = call(
            &r,
            "createMergerMessage",
            json!({"msgIDList": [id], "title": "t", "abstractList": [], "compatibleText": "c"}),
        )
        .unwrap();
        id = d["id"].as_str().unwrap().to_owned();
        r.update(&id, |m| m.status = MessageStatus::SendSucc);
    }
    let e = err(
        &r,
        "createMergerMessage",
        json!({"msgIDList": [id], "title": "t", "abstractList": [], "compatibleText": "c"}),
    );
    assert_eq!(e.code, ERR_MERGER_MSG_LAYERS_OVER_LIMIT);
    // v2im_error_str's text and the header name the limit too.
    let code = crate::codes::TABLE
        .iter()
        .find(|c| c.value == ERR_MERGER_MSG_LAYERS_OVER_LIMIT)
        .unwrap();
    let limit = format!("{} layers", limits::MAX_MERGER_LAYERS);
    assert!(code.text.to_str().unwrap().ends_with(&limit));
    assert!(code.doc.contains(&limit));
}

#[test]
fn cut_utf8_keeps_characters_whole() {
    assert_eq!(cut_utf8("abc", 100), "abc");
    assert_eq!(cut_utf8(&"a".repeat(150), 100).len(), 100);
    let s = format!("{}🌍", "a".repeat(98)); // 98 + 4 bytes
    assert_eq!(cut_utf8(&s, 100), "a".repeat(98));
}

#[test]
fn media_and_unknown_methods() {
    let r = Registry::new();
    let d = tempfile::tempdir().unwrap();
    let bmp = d.path().join("s.bmp");
    std::fs::write(&bmp, crate::upload::check::tests::tiny_bmp()).unwrap();
    let bmp = bmp.to_str().unwrap();
    let data = d.path().join("clip.mp4");
    std::fs::write(&data, b"not really a video").unwrap();
    let data = data.to_str().unwrap();

    let img = call(&r, "createImageMessage", json!({"imagePath": bmp})).unwrap();
    check_created(&img, "imageElem", 3);
    let ie = &img["messageInfo"]["imageElem"];
    assert_eq!(ie["path"], bmp);
    assert_eq!(ie["imageFormat"], 4);
    assert_eq!(ie["imageList"][0]["type"], 0);
    assert_eq!(ie["imageList"][0]["width"], 3);
    assert_eq!(ie["imageList"][0]["height"], 2);
    let snd = call(
        &r,
        "createSoundMessage",
        json!({"soundPath": data, "duration": 3}),
    )
    .unwrap();
    check_created(&snd, "soundElem", 4);
    assert_eq!(snd["messageInfo"]["soundElem"]["dataSize"], 18);
    assert_eq!(snd["messageInfo"]["soundElem"]["duration"], 3);
    let vid = call(
        &r,
        "createVideoMessage",
        json!({"videoFilePath": data, "type": "mp4", "duration": 2, "snapshotPath": bmp}),
    )
    .unwrap();
    check_created(&vid, "videoElem", 5);
    let ve = &vid["messageInfo"]["videoElem"];
    assert_eq!(
        (ve["videoSize"].as_u64(), ve["snapshotWidth"].as_u64()),
        (Some(18), Some(3))
    );
    assert_eq!(ve["videoType"], "mp4");
    let file = call(
        &r,
        "createFileMessage",
        json!({"filePath": data, "fileName": "名字.mp4"}),
    )
    .unwrap();
    check_created(&file, "fileElem", 6);
    assert_eq!(file["messageInfo"]["fileElem"]["fileName"], "名字.mp4");

    // Parameters missing or mistyped: 6017; file problems: their codes.
    let e = |m: &str, v: Value| err(&r, m, v).code;
    assert_eq!(e("createImageMessage", json!({})), 6017);
    assert_eq!(e("createSoundMessage", json!({"soundPath": data})), 6017);
    assert_eq!(
        e(
            "createVideoMessage",
            json!({"videoFilePath": data, "type": "mp4", "duration": 1})
        ),
        6017
    );
    assert_eq!(e("createFileMessage", json!({"filePath": data})), 6017);
    assert_eq!(
        e("createImageMessage", json!({"imagePath": "/no/such.png"})),
        7004
    );
    assert_eq!(e("createImageMessage", json!({"imagePath": data})), 6031);
    assert_eq!(
        e(
            "createVideoMessage",
            json!({"videoFilePath": data, "type": "mp4", "duration": 1, "snapshotPath": data})
        ),
        6031
    );
    assert_eq!(
        e(
            "createVideoMessage",
            json!({"videoFilePath": "/no/v.mp4", "type": "mp4", "duration": 1, "snapshotPath": bmp})
        ),
        7004
    );
    assert_eq!(
        e(
            "createFileMessage",
            json!({"filePath": d.path().to_str().unwrap(), "fileName": "x"})
        ),
        7007
    );

    assert!(crate::api::methods::find("createTextMesage").is_none());
}

#[test]
fn hostile_input_never_panics() {
    let r = Registry::new();
    let mut deep = json!("x");
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let huge = "𝄞".repeat(3 * 1024 * 1024);
    let methods = [
        "createTextMessage",
        "createCustomMessage",
        "createLocationMessage",
        "createFaceMessage",
        "createTextAtMessage",
        "createAtSignedGroupMessage",
        "createTargetedGroupMessage",
        "createForwardMessage",
        "createMergerMessage",
    ];
    let keys = [
        "text",
        "data",
        "desc",
        "extension",
        "longitude",
        "latitude",
        "index",
        "atUserList",
        "id",
        "receiverList",
        "msgID",
        "msgIDList",
        "title",
        "abstractList",
        "compatibleText",
    ];
    let values = [
        deep.clone(),
        json!(null),
        json!(true),
        json!(-1),
        json!(u64::MAX),
        json!(f64::MAX),
        json!(f64::MIN_POSITIVE),
        json!({"a": deep}),
        json!([null, 1, "x"]),
        json!("\u{0}\u{ffff}"),
    ];
    for m in methods {
        for k in keys {
            for v in &values {
                let _ = call(&r, m, json!({ k: v }));
            }
        }
    }
    // A 12 MB text is created (V2TIM refuses it when sending, with 8001).
    let d = call(&r, "createTextMessage", json!({"text": huge})).unwrap();
    assert_eq!(
        d["messageInfo"]["textElem"]["text"].as_str().unwrap().len(),
        huge.len()
    );
}
