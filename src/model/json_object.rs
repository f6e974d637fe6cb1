//! A JSON object written straight into a byte buffer, for the model's largest and most frequent
//! output (a `V2TimMessage` has 45 keys and goes into nearly every result and event).
//!
//! serde_json escapes a map's keys byte by byte like any other string; for a message that scan
//! over its ~600 bytes of keys was the largest single item in the profile of
//! `createTextMessage`. The keys written here are static names that need no escaping (checked in
//! debug builds, which every message key passes through in the tests), each made at compile time
//! into the text that goes before its value (`,"name":`, see [`key!`]) and copied in one go;
//! values still go through serde_json.

use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;

/// A key as it is written before its value: `,"name":`. Made by [`key!`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key(pub(crate) &'static str);

/// The [`Key`] of a literal name, put together at compile time.
macro_rules! key {
    ($name:literal) => {
        $crate::model::json_object::Key(concat!(",\"", $name, "\":"))
    };
}
pub(crate) use key;

impl Key {
    /// The name alone.
    pub(crate) fn name(self) -> &'static str {
        &self.0[2..self.0.len() - 2]
    }
}

/// Writes `{"key":value,...}` into `out`.
pub(crate) struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    /// Where the object starts: each entry comes with its comma, and the first one's becomes
    /// the opening brace.
    start: usize,
}

impl<'a> JsonObject<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> JsonObject<'a> {
        let start = out.len();
        JsonObject { out, start }
    }

    /// One `"key":value`. The name needs no escaping: no `"`, `\` or control character
    /// (checked in debug builds, and by the tests of every key).
    pub(crate) fn entry<V: Serialize + ?Sized>(&mut self, key: Key, value: &V) {
        debug_assert!(plain_key(key.name()), "{key:?} needs escaping");
        self.out.extend_from_slice(key.0.as_bytes());
        // Writing into a Vec cannot fail, and the model's values always serialise.
        let _ = serde_json::to_writer(&mut *self.out, value);
    }

    /// One `"key":value` whose value `write` puts into the buffer itself (JSON, as the model's
    /// own writers make it).
    pub(crate) fn entry_with(&mut self, key: Key, write: impl FnOnce(&mut Vec<u8>)) {
        debug_assert!(plain_key(key.name()), "{key:?} needs escaping");
        self.out.extend_from_slice(key.0.as_bytes());
        write(self.out);
    }

    pub(crate) fn end(self) {
        match self.out.get_mut(self.start) {
            Some(comma) => *comma = b'{',
            None => self.out.push(b'{'),
        }
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
                o.entry(key!("text"), "a \"quoted\"\n line");
                o.entry(key!("none"), &None::<u8>);
                o.entry(key!("list"), &[1, 2]);
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
    fn an_object_without_entries_is_empty_braces() {
        let mut out = b"[".to_vec();
        JsonObject::new(&mut out).end();
        assert_eq!(out, b"[{}");
        assert_eq!(key!("isSelf").name(), "isSelf");
    }

    #[test]
    fn keys_that_need_escaping_are_told_apart() {
        assert!(plain_key("isOnlineOnly"));
        for bad in ["a\"b", "a\\b", "a\nb", "\u{1}"] {
            assert!(!plain_key(bad), "{bad:?}");
        }
    }
}
