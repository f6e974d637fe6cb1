//! A JSON object written straight into a byte buffer, for the model's largest and most frequent
//! output (a `V2TimMessage` has 45 keys and goes into nearly every result and event).
//!
//! serde_json escapes a map's keys byte by byte like any other string; for a message that scan
//! over its ~600 bytes of keys was the largest single item in the profile of
//! `createTextMessage`. The keys written here are static names that need no escaping (checked in
//! debug builds, which every message key passes through in the tests) and go into the buffer as
//! they are; values still go through serde_json.

use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;

/// Writes `{"key":value,...}` into `out`.
pub(crate) struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonObject<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> JsonObject<'a> {
        out.push(b'{');
        JsonObject { out, first: true }
    }

    /// One `"key":value`. `key` is a static name that needs no escaping: no `"`, `\` or
    /// control character (checked in debug builds, and by the tests of every key).
    pub(crate) fn entry<V: Serialize + ?Sized>(&mut self, key: &'static str, value: &V) {
        debug_assert!(plain_key(key), "{key:?} needs escaping");
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        // Writing into a Vec cannot fail, and the model's values always serialise.
        let _ = serde_json::to_writer(&mut *self.out, value);
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// Whether `key` can be written between quotes as it is.
pub(crate) fn plain_key(key: &str) -> bool {
    key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Serialises the JSON object `write` produces as it is: serde_json's serializers (strings,
/// writers and `Value`s alike) embed a `RawValue` verbatim.
pub(crate) fn serialize_object<S: Serializer>(
    s: S,
    capacity: usize,
    write: impl FnOnce(&mut JsonObject<'_>),
) -> Result<S::Ok, S::Error> {
    let mut out = Vec::with_capacity(capacity);
    let mut obj = JsonObject::new(&mut out);
    write(&mut obj);
    obj.end();
    debug_assert!(std::str::from_utf8(&out).is_ok());
    // SAFETY: `out` is one JSON object without surrounding whitespace: braces, commas and
    // colons written above, keys that need no escaping (`plain_key`), and values written by
    // serde_json; all of it UTF-8 (`&str` keys, serde_json's output). Debug builds re-parse it
    // inside `from_string_unchecked`.
    let raw = unsafe { RawValue::from_string_unchecked(String::from_utf8_unchecked(out)) };
    raw.serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Sample;

    impl Serialize for Sample {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize_object(s, 64, |o| {
                o.entry("text", "a \"quoted\"\n line");
                o.entry("none", &None::<u8>);
                o.entry("list", &[1, 2]);
            })
        }
    }

    #[test]
    fn objects_are_json_in_every_serializer() {
        let want = json!({"text": "a \"quoted\"\n line", "none": null, "list": [1, 2]});
        let text = serde_json::to_string(&Sample).unwrap();
        assert_eq!(
            text,
            r#"{"text":"a \"quoted\"\n line","none":null,"list":[1,2]}"#
        );
        assert_eq!(serde_json::to_value(&Sample).unwrap(), want);
        // Nested in serde-derived output, as results and events embed messages.
        #[derive(serde::Serialize)]
        struct Outer<'a> {
            data: [&'a Sample; 1],
        }
        let nested = serde_json::to_string(&Outer { data: [&Sample] }).unwrap();
        assert_eq!(nested, format!(r#"{{"data":[{text}]}}"#));
        let mut direct = Vec::new();
        serde_json::to_writer(&mut direct, &[Sample, Sample]).unwrap();
        assert_eq!(
            String::from_utf8(direct).unwrap(),
            format!("[{text},{text}]")
        );
    }

    #[test]
    fn keys_that_need_escaping_are_told_apart() {
        assert!(plain_key("isOnlineOnly"));
        for bad in ["a\"b", "a\\b", "a\nb", "\u{1}"] {
            assert!(!plain_key(bad), "{bad:?}");
        }
    }
}
