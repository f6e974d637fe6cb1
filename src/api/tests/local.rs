use super::{create, err, run};
use crate::registry::Registry;
use serde_json::{json, Value};

fn text(r: &Registry, t: &str) -> String {
    create(r, "createTextMessage", json!({ "text": t }))
}

#[test]
fn find_in_order_skipping_unknown() {
    let r = Registry::new();
    let a = text(&r, "a");
    let b = text(&r, "b");
    r.update(&b, |m| m.msg_id = Some("9_9_9".into()));
    let d = run(
        &r,
        "findMessages",
        json!({"messageIDList": ["9_9_9", "nope", a]}),
    )
    .unwrap();
    let list = d.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["textElem"]["text"], "b");
    assert_eq!(list[0]["msgID"], "9_9_9");
    assert_eq!(list[1]["id"], a.as_str());
    let empty = run(&r, "findMessages", json!({"messageIDList": []})).unwrap();
    assert_eq!(empty, json!([]));
}

#[test]
fn find_checks_types() {
    let r = Registry::new();
    for bad in [
        json!({}),
        json!({"messageIDList": "x"}),
        json!({"messageIDList": [1]}),
        json!({"messageIdList": []}),
    ] {
        let e = err(&r, "findMessages", bad);
        assert_eq!(e.code, 6017);
        assert!(e.desc.contains("messageIDList"), "{}", e.desc);
    }
}

#[test]
fn set_local_custom_data_is_local() {
    let r = Registry::new();
    let a = text(&r, "a");
    let d = run(
        &r,
        "setLocalCustomData",
        json!({"msgID": a, "localCustomData": "mine"}),
    )
    .unwrap();
    assert_eq!(d, Value::Null);
    let m = r.get(&a).unwrap();
    assert_eq!(m.local_custom_data.as_deref(), Some("mine"));
    assert!(!serde_json::to_string(&m.to_sendmsg_request())
        .unwrap()
        .contains("mine"));
    let e = err(
        &r,
        "setLocalCustomData",
        json!({"msgID": "nope", "localCustomData": "x"}),
    );
    assert!(e.desc.contains("nope"));
    let e = err(
        &r,
        "setLocalCustomData",
        json!({"msgID": a, "localCustomData": 5}),
    );
    assert!(e.desc.contains("localCustomData"));
}
