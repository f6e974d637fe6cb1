//! A method's params as the caller wrote them: the top-level object's keys, each with the text of
//! its value. `v2im_call` reads this in one pass over the text, copying nothing (a key written
//! with an escape aside), and each method reads its typed struct straight from the values' text:
//! no tree of the whole object is built and dropped per call, and `@extra` is echoed exactly as
//! it was written.

use super::{describe, prefix, unknown_key};
use crate::codes::{Error, Result};
use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_path_to_error::{Deserializer as TrackingDeserializer, Track};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

/// The top-level JSON object of a method call, key by key, in the caller's order.
#[derive(Debug, Default)]
pub(crate) struct Params<'a> {
    entries: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Params<'a> {
    /// The JSON object `text`; None when `text` is not one (bad JSON, an array, a number, text
    /// after the object).
    pub(crate) fn parse(text: &'a str) -> Option<Params<'a>> {
        serde_json::from_str(text).ok()
    }

    /// Removes `key` and returns its value's text; None when it is absent or given more than
    /// once (which [`Params::refuse_repeated_keys`] refuses: check that first).
    pub(crate) fn take(&mut self, key: &str) -> Option<&'a RawValue> {
        let mut taken = Vec::new();
        self.entries.retain(|(k, v)| {
            let hit = k == key;
            if hit {
                taken.push(*v);
            }
            !hit
        });
        match taken[..] {
            [one] => Some(one),
            _ => None,
        }
    }

    /// 6017 for the first key given twice: which of the two values the caller meant cannot be
    /// told. `what` prefixes the `desc` ("config", or empty for params).
    pub(crate) fn refuse_repeated_keys(&self, what: &str) -> Result<()> {
        for (i, (k, _)) in self.entries.iter().enumerate() {
            if self.entries[..i].iter().any(|(seen, _)| seen == k) {
                return Err(Error::invalid_param(format!(
                    "{}key \"{k}\" is given twice",
                    prefix(what)
                )));
            }
        }
        Ok(())
    }

    /// 6017 for the first key not in `known`, naming the closest known one.
    pub(crate) fn refuse_unknown_keys(&self, known: &[&str]) -> Result<()> {
        match self
            .entries
            .iter()
            .find(|(k, _)| !known.contains(&k.as_ref()))
        {
            Some((k, _)) => Err(unknown_key("", "", k, known)),
            None => Ok(()),
        }
    }

    /// Whether any of `keys` is given.
    pub(crate) fn has_any(&self, keys: &[&str]) -> bool {
        self.entries.iter().any(|(k, _)| keys.contains(&k.as_ref()))
    }

    /// The value of `key` when it is a JSON string (borrowed from the text unless it holds an
    /// escape: this runs on every call that names a message).
    pub(crate) fn str(&self, key: &str) -> Option<Cow<'a, str>> {
        serde_json::from_str::<Key<'a>>(self.raw(key)?.get())
            .ok()
            .map(|k| k.0)
    }

    /// The strings in the value of `key` when it is an array (other items skipped).
    pub(crate) fn str_list(&self, key: &str) -> Vec<String> {
        let items: Vec<&RawValue> = self
            .raw(key)
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default();
        items
            .iter()
            .filter_map(|r| serde_json::from_str(r.get()).ok())
            .collect()
    }

    fn raw(&self, key: &str) -> Option<&'a RawValue> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|e| e.1)
    }

    /// Reads the params into `T`: 6017 naming the key by its path (`offlinePushInfo.desc`).
    pub(crate) fn read<T: Deserialize<'a>>(&self) -> Result<T> {
        let failed_at = Cell::new(None);
        let object = Object {
            params: self,
            failed_at: &failed_at,
        };
        T::deserialize(object).map_err(|e| describe("", &failed_at.take().unwrap_or_default(), &e))
    }
}

impl<'de> Deserialize<'de> for Params<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Params<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Params<'de>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(4).min(64));
                while let Some(Key(k)) = map.next_key()? {
                    entries.push((k, map.next_value::<&'de RawValue>()?));
                }
                Ok(Params { entries })
            }
        }
        d.deserialize_map(ObjectVisitor)
    }
}

/// A key, borrowed from the text unless it holds an escape.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// [`Params`] as a serde map whose values are read from their text by serde_json.
///
/// The path of a failure is tracked inside the failing value only: the top-level key is known
/// here, and tracking it the generic way would copy every key of every call into a `String`.
struct Object<'p, 'a> {
    params: &'p Params<'a>,
    /// The path of the value that failed, once one has.
    failed_at: &'p Cell<Option<String>>,
}

impl<'de> Deserializer<'de> for Object<'_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, Self::Error> {
        v.visit_map(Entries {
            iter: self.params.entries.iter(),
            value: None,
            failed_at: self.failed_at,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

struct Entries<'p, 'a> {
    iter: std::slice::Iter<'p, (Cow<'a, str>, &'a RawValue)>,
    /// The current entry's key and value.
    value: Option<(&'p str, &'a RawValue)>,
    failed_at: &'p Cell<Option<String>>,
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, Self::Error> {
        let Some((k, v)) = self.iter.next() else {
            return Ok(None);
        };
        self.value = Some((k, v));
        match k {
            Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::new(k)),
            Cow::Owned(k) => seed.deserialize(StringDeserializer::new(k.clone())),
        }
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> std::result::Result<V::Value, Self::Error> {
        let (key, raw) = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value without its key"))?;
        let mut track = Track::new();
        let mut json = serde_json::Deserializer::from_str(raw.get());
        seed.deserialize(TrackingDeserializer::new(&mut json, &mut track))
            .map_err(|e| {
                let inner = track.path().to_string();
                self.failed_at.set(Some(match inner.as_str() {
                    "." => key.to_owned(),
                    i if i.starts_with('[') => format!("{key}{i}"),
                    i => format!("{key}.{i}"),
                }));
                without_position(e)
            })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// serde_json's error without " at line 1 column N": the position is within one value's text,
/// which would only mislead next to the key path.
fn without_position(e: serde_json::Error) -> serde_json::Error {
    if e.line() == 0 {
        return e;
    }
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    de::Error::custom(text.strip_suffix(&suffix).unwrap_or(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OfflinePushInfo;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        id: String,
        #[serde(default)]
        count: u8,
        #[serde(rename = "offlinePushInfo", default)]
        push: Option<OfflinePushInfo>,
    }

    #[test]
    fn only_an_object_is_params_and_keys_are_borrowed_unless_escaped() {
        let p = Params::parse(r#" {"id": "a", "\u0063ount": 1} "#).unwrap();
        assert!(matches!(p.entries[0].0, Cow::Borrowed("id")));
        assert!(matches!(&p.entries[1].0, Cow::Owned(k) if k == "count"));
        assert_eq!(p.entries[1].1.get(), "1");
        for bad in [
            "[]",
            "1",
            "\"x\"",
            "{",
            "",
            "null",
            "{} x",
            "{\"a\":}",
            "{\"a\" 1}",
        ] {
            assert!(Params::parse(bad).is_none(), "{bad}");
        }
        assert!(Params::parse("{}").unwrap().entries.is_empty());
    }

    #[test]
    fn extra_is_taken_as_written() {
        let mut p = Params::parse(r#"{"id":"a","@extra":{ "n": 1.50 },"count":2}"#).unwrap();
        assert_eq!(
            p.take("@extra").map(RawValue::get),
            Some(r#"{ "n": 1.50 }"#)
        );
        assert!(p.take("@extra").is_none());
        let mut twice = Params::parse(r#"{"@extra":1,"id":"a","@extra":2}"#).unwrap();
        assert!(twice.take("@extra").is_none());
        assert_eq!(twice.entries.len(), 1);
        let s: Sample = p.read().unwrap();
        assert_eq!((s.id.as_str(), s.count, s.push), ("a", 2, None));
    }

    #[test]
    fn unknown_and_repeated_keys_are_refused() {
        let known = ["id", "count"];
        let p = Params::parse(r#"{"id":"a","cuont":1}"#).unwrap();
        let e = p.refuse_unknown_keys(&known).unwrap_err();
        assert_eq!(e.code, 6017);
        assert_eq!(e.desc, r#"unknown key "cuont" (did you mean "count"?)"#);
        let p = Params::parse(r#"{"id":"a","count":1,"id":"b"}"#).unwrap();
        assert!(p.refuse_unknown_keys(&known).is_ok());
        let e = p.refuse_repeated_keys("").unwrap_err();
        assert_eq!(
            (e.code, e.desc.as_str()),
            (6017, r#"key "id" is given twice"#)
        );
        let e = p.refuse_repeated_keys("config").unwrap_err();
        assert_eq!(e.desc, r#"config: key "id" is given twice"#);
        let p = Params::parse(r#"{"id":"a","count":1}"#).unwrap();
        assert!(p.refuse_unknown_keys(&known).is_ok());
        assert!(p.refuse_repeated_keys("").is_ok());
    }

    #[test]
    fn strings_and_lists_of_strings_are_read_where_they_are_strings() {
        let p =
            Params::parse(r#"{"id":"a\"b","n":1,"ids":["x",2,"y\u0041",null],"no":"x"}"#).unwrap();
        assert_eq!(p.str("id").as_deref(), Some("a\"b"));
        assert_eq!(p.str("n"), None);
        assert_eq!(p.str("missing"), None);
        assert_eq!(p.str_list("ids"), ["x", "yA"]);
        assert!(p.str_list("no").is_empty());
        assert!(p.str_list("missing").is_empty());
    }

    #[test]
    fn errors_name_the_key_by_its_path_without_a_text_position() {
        let err = |text: &str| Params::parse(text).unwrap().read::<Sample>().unwrap_err();
        let e = err(r#"{"id":"a","offlinePushInfo":{"desc":5}}"#);
        assert_eq!(e.code, 6017);
        assert!(
            e.desc
                .starts_with("offlinePushInfo.desc: invalid type: integer `5`"),
            "{}",
            e.desc
        );
        assert!(!e.desc.contains(" at line"), "{}", e.desc);
        let e = err(r#"{"id":"a","count":300}"#);
        assert!(
            e.desc.starts_with("count: invalid value: integer `300`"),
            "{}",
            e.desc
        );
        assert!(!e.desc.contains(" column"), "{}", e.desc);
        assert_eq!(err(r#"{"count":1}"#).desc, "id is required");
        let e = err(r#"{"id":"a","offlinePushInfo":{"titel":"t"}}"#);
        assert!(
            e.desc.starts_with(r#"unknown key "offlinePushInfo.titel""#),
            "{}",
            e.desc
        );
        assert!(e.desc.contains(r#"(did you mean "title"?)"#), "{}", e.desc);
    }
}
