//! Local methods on existing messages: `findMessages`, `setLocalCustomData`.

use super::create::LocalData;
use crate::codes::{Error, Result};
use crate::model::args::{self, Params};
use crate::registry::Registry;

/// Runs a local method. `None` when `method` is not one; otherwise the callback's `data`:
/// `findMessages` → array of `V2TimMessage`, `setLocalCustomData` → `null`.
pub fn call_local(method: &str, params: &Params, registry: &Registry) -> Option<Result<LocalData>> {
    let r = match method {
        "findMessages" => find_messages(params, registry),
        "setLocalCustomData" => set_local_custom_data(params, registry),
        _ => return None,
    };
    Some(r)
}

/// The messages with these msgIDs or local ids, in the order asked; unknown ones are skipped
/// (V2TIM answers with what it found).
fn find_messages(p: &Params, registry: &Registry) -> Result<LocalData> {
    let ids = args::req_str_list(p, "messageIDList", false)?;
    Ok(LocalData::Messages(
        ids.into_iter()
            .filter_map(|id| registry.get_shared(id))
            .collect(),
    ))
}

/// Sets `localCustomData` of a message: kept locally, never sent.
fn set_local_custom_data(p: &Params, registry: &Registry) -> Result<LocalData> {
    let id = args::req_nonempty_str(p, "msgID")?;
    let data = args::req_str(p, "localCustomData")?.to_owned();
    registry
        .update(id, |m| m.local_custom_data = Some(data))
        .ok_or_else(|| {
            Error::invalid_param(format!("msgID: no message with id or msgID \"{id}\""))
        })?;
    Ok(LocalData::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::create::call_create;
    use serde_json::{json, Value};

    fn p(v: Value) -> Params {
        v.as_object().unwrap().clone()
    }

    fn text(r: &Registry, t: &str) -> String {
        let d = call_create("createTextMessage", &p(json!({"text": t})), r, "me")
            .unwrap()
            .unwrap()
            .to_json();
        d["id"].as_str().unwrap().to_owned()
    }

    #[test]
    fn find_in_order_skipping_unknown() {
        let r = Registry::new();
        let a = text(&r, "a");
        let b = text(&r, "b");
        r.update(&b, |m| m.msg_id = Some("9_9_9".into()));
        let d = call_local(
            "findMessages",
            &p(json!({"messageIDList": ["9_9_9", "nope", a]})),
            &r,
        )
        .unwrap()
        .unwrap()
        .to_json();
        let list = d.as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["textElem"]["text"], "b");
        assert_eq!(list[0]["msgID"], "9_9_9");
        assert_eq!(list[1]["id"], a.as_str());
        let empty = call_local("findMessages", &p(json!({"messageIDList": []})), &r)
            .unwrap()
            .unwrap();
        assert_eq!(empty.to_json(), json!([]));
    }

    #[test]
    fn find_checks_types() {
        let r = Registry::new();
        for bad in [
            json!({}),
            json!({"messageIDList": "x"}),
            json!({"messageIDList": [1]}),
        ] {
            let e = call_local("findMessages", &p(bad), &r)
                .unwrap()
                .unwrap_err();
            assert_eq!(e.code, 6017);
            assert!(e.desc.contains("messageIDList"), "{}", e.desc);
        }
    }

    #[test]
    fn set_local_custom_data_is_local() {
        let r = Registry::new();
        let a = text(&r, "a");
        let d = call_local(
            "setLocalCustomData",
            &p(json!({"msgID": a, "localCustomData": "mine"})),
            &r,
        )
        .unwrap()
        .unwrap();
        assert_eq!(d.to_json(), Value::Null);
        assert_eq!(serde_json::to_string(&d).unwrap(), "null");
        let m = r.get(&a).unwrap();
        assert_eq!(m.local_custom_data.as_deref(), Some("mine"));
        assert!(!serde_json::to_string(&m.to_sendmsg_request())
            .unwrap()
            .contains("mine"));
        let e = call_local(
            "setLocalCustomData",
            &p(json!({"msgID": "nope", "localCustomData": "x"})),
            &r,
        )
        .unwrap()
        .unwrap_err();
        assert!(e.desc.contains("nope"));
        let e = call_local(
            "setLocalCustomData",
            &p(json!({"msgID": a, "localCustomData": 5})),
            &r,
        )
        .unwrap()
        .unwrap_err();
        assert!(e.desc.contains("localCustomData"));
        assert!(call_local("sendMessage", &p(json!({})), &r).is_none());
    }
}
