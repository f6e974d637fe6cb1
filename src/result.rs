//! The JSON every callback receives: `{"code": c, "desc": d, "data": ..., "@extra": ...}` (rule 1),
//! and the events' `{"event": name, "data": ...}`. Written directly rather than through a
//! `serde_json::Map` because it is built once per callback.

use crate::callback::CJson;
use serde::Serialize;
use serde_json::value::RawValue;

/// The result of one request. `extra` is the request's `"@extra"`, echoed unchanged when present.
pub fn envelope<T: Serialize + ?Sized>(
    code: i32,
    desc: &str,
    data: &T,
    extra: Option<&RawValue>,
) -> CJson {
    envelope_with(
        code,
        desc,
        |out| {
            // Writing into a Vec cannot fail, and the library's data always serialises.
            let _ = serde_json::to_writer(out, data);
        },
        extra,
    )
}

/// [`envelope`] whose `data` is written into the result's buffer by `write_data` (one JSON
/// value).
pub fn envelope_with(
    code: i32,
    desc: &str,
    write_data: impl FnOnce(&mut Vec<u8>),
    extra: Option<&RawValue>,
) -> CJson {
    // A V2TimMessage with every key is about 1 KB: one allocation instead of four reallocations.
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"code\":");
    out.extend_from_slice(itoa::Buffer::new().format(code).as_bytes());
    out.extend_from_slice(b",\"desc\":");
    let _ = serde_json::to_writer(&mut out, desc);
    out.extend_from_slice(b",\"data\":");
    write_data(&mut out);
    if let Some(extra) = extra {
        out.extend_from_slice(b",\"@extra\":");
        out.extend_from_slice(extra.get().as_bytes());
    }
    out.push(b'}');
    CJson::from_json_bytes(out)
}

/// A failure: `desc` is the failure's text, `data` what the caller needs to know which request
/// failed (the message for sends, `null` otherwise).
pub fn failure<T: Serialize + ?Sized>(
    err: &crate::codes::Error,
    data: &T,
    extra: Option<&RawValue>,
) -> CJson {
    envelope(err.code, &err.desc, data, extra)
}

/// An event for `v2im_set_event_callback`.
pub fn event<T: Serialize + ?Sized>(name: &str, data: &T) -> CJson {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"{\"event\":");
    let _ = serde_json::to_writer(&mut out, name);
    out.extend_from_slice(b",\"data\":");
    let _ = serde_json::to_writer(&mut out, data);
    out.push(b'}');
    CJson::from_json_bytes(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn envelope_is_the_template_and_echoes_extra() {
        let extra = RawValue::from_string(r#"[1, "k",  1.50]"#.into()).unwrap();
        let j = envelope(6017, "bad \"x\"", &json!({"a": 1}), Some(&extra));
        // Echoed as written: spacing and number format kept.
        assert!(
            j.as_str().ends_with(r#","@extra":[1, "k",  1.50]}"#),
            "{}",
            j.as_str()
        );
        let v: Value = serde_json::from_str(j.as_str()).unwrap();
        assert_eq!(
            v,
            json!({"code": 6017, "desc": "bad \"x\"", "data": {"a": 1}, "@extra": [1, "k", 1.5]})
        );
        let j = envelope(0, "", &Value::Null, None);
        assert_eq!(j.as_str(), r#"{"code":0,"desc":"","data":null}"#);
        assert_eq!(j.as_cstr().to_bytes().len(), j.as_str().len());
    }

    #[test]
    fn nul_in_strings_is_escaped() {
        let j = envelope(0, "a\0b", &json!("\0"), None);
        assert!(!j.as_str().contains('\0'));
        assert_eq!(j.as_cstr().to_str().unwrap(), j.as_str());
    }
}
