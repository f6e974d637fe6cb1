//! Request bodies: serde-derived structs, one per command, parsed with Tencent's error code for
//! each field.
//!
//! A body is read as JSON (an empty body counts as `{}`; anything but an object is refused) and
//! deserialised through [`Strict`] and `serde_path_to_error`:
//! - a key the target struct does not declare is refused, at any depth, with a "did you mean" when
//!   a declared key is close (request bodies only: the shared wire types stay lenient for the
//!   library, which reads them back from Tencent's cloud);
//! - `null` counts as an absent key;
//! - the error names the path of the faulty key (`MsgBody[0].MsgContent.Text`), and the path picks
//!   the code from the request's [`Body::KEY_CODES`] table, else [`Body::DEFAULT_CODE`].
//!
//! Every `ErrorInfo` about a field reads `{path}: {problem}`.

use std::fmt::Display;

use axum::body::Bytes;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Unexpected};
use serde::de::{Deserializer, Visitor};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// A request body type and its codes.
pub(crate) trait Body: DeserializeOwned {
    /// The command's invalid-parameter code: malformed JSON, unknown keys, and every field the
    /// table below has no entry for.
    const DEFAULT_CODE: i32;
    /// Codes by key path, `[]` standing for any index. An entry covers the key and everything
    /// inside it; the longest matching entry wins.
    const KEY_CODES: &'static [(&'static str, i32)] = &[];
    /// Top-level keys Tencent documents for the command that the type cannot declare (a wire type
    /// the library builds field by field): accepted, unchecked, and dropped before parsing.
    const IGNORED_KEYS: &'static [&'static str] = &[];

    /// The code for a problem at `path`.
    fn code(path: &str) -> i32 {
        code_for(Self::KEY_CODES, path).unwrap_or(Self::DEFAULT_CODE)
    }

    /// A refusal of the value at `path`.
    fn invalid(path: &str, problem: impl Display) -> ApiError {
        ApiError::new(Self::code(path), format!("{path}: {problem}"))
    }

    /// A field that must be there.
    fn required<T>(path: &str, v: Option<T>) -> ApiResult<T> {
        v.ok_or_else(|| Self::invalid(path, "missing"))
    }

    /// A string that must not be empty.
    fn non_empty<'a>(path: &str, s: &'a str) -> ApiResult<&'a str> {
        if s.is_empty() {
            return Err(Self::invalid(path, "empty"));
        }
        Ok(s)
    }

    /// An account id: 1 to 32 bytes, no control characters.
    fn account<'a>(path: &str, id: &'a str) -> ApiResult<&'a str> {
        if crate::validate::valid_user_id(id) {
            return Ok(id);
        }
        Err(Self::invalid(
            path,
            "not a valid account id (1 to 32 bytes, no control characters)",
        ))
    }

    /// A flag that must be 0 or 1 when given.
    fn flag(path: &str, v: Option<i64>) -> ApiResult<Option<i64>> {
        match v {
            None | Some(0 | 1) => Ok(v),
            Some(n) => Err(Self::invalid(path, format_args!("must be 0 or 1, not {n}"))),
        }
    }
}

/// Parses a request body into `B`.
pub(crate) fn parse<B: Body>(body: Bytes) -> ApiResult<B> {
    let mut value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice::<Value>(&body).map_err(|e| {
            ApiError::new(
                B::DEFAULT_CODE,
                format!("request body is not valid JSON: {e}"),
            )
        })?
    };
    drop(body);
    let Value::Object(map) = &mut value else {
        return Err(ApiError::new(
            B::DEFAULT_CODE,
            "request body is not a JSON object",
        ));
    };
    for key in B::IGNORED_KEYS {
        map.remove(*key);
    }
    serde_path_to_error::deserialize(Strict(&value)).map_err(|e| {
        let path = e.path().to_string();
        let problem = e.into_inner().to_string();
        // serde reports a missing field at its parent: name the field itself.
        match problem
            .strip_prefix("missing field `")
            .and_then(|f| f.strip_suffix('`'))
        {
            Some(field) if path == "." => B::invalid(field, "missing"),
            Some(field) => B::invalid(&format!("{path}.{field}"), "missing"),
            None => B::invalid(&path, problem),
        }
    })
}

/// The table entry for `path`: the longest entry equal to it, or to one of its parents, with
/// indices written `[]`.
fn code_for(table: &[(&str, i32)], path: &str) -> Option<i32> {
    let mut pattern = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                pattern.push_str("[]");
            }
            ']' if in_index => in_index = false,
            _ if in_index => {}
            c => pattern.push(c),
        }
    }
    table
        .iter()
        .filter(|(key, _)| {
            pattern.strip_prefix(key).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
            })
        })
        .max_by_key(|(key, _)| key.len())
        .map(|&(_, code)| code)
}

/// The declared key `key` was probably meant as: equal but for case, or a small edit away.
fn did_you_mean(key: &str, declared: &[&'static str]) -> Option<&'static str> {
    if let Some(k) = declared.iter().find(|k| k.eq_ignore_ascii_case(key)) {
        return Some(k);
    }
    let lower = key.to_ascii_lowercase();
    declared
        .iter()
        .map(|k| {
            (
                strsim::damerau_levenshtein(&lower, &k.to_ascii_lowercase()),
                *k,
            )
        })
        .filter(|&(d, _)| d <= 2 && d * 3 <= key.chars().count().max(3))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// A deserializer over a parsed JSON value for request bodies. A struct gets its keys in its
/// declaration order, after the undeclared ones, which are refused: so an adjacently tagged
/// element (`MsgType` + `MsgContent`) always reads its tag first, whatever the order in the
/// request, and its content is checked too. Keys whose value is `null` are skipped, so `null`
/// counts as absent. Everything else behaves as `serde_json::Value`'s own deserializer.
struct Strict<'de>(&'de Value);

type Error = serde_json::Error;

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (_, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

macro_rules! forward_to_value {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.0.$method(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            Value::Object(map) => visitor.visit_map(Entries::all(map)),
            v => v.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            v => Err(de::Error::invalid_type(unexpected(v), &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(Entries::all(map)),
            v => Err(de::Error::invalid_type(unexpected(v), &visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(Entries::declared(map, fields)),
            v => Err(de::Error::invalid_type(unexpected(v), &visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    forward_to_value! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_unit
        deserialize_identifier
    }
}

/// The items of an array, each [`Strict`].
struct Items<'de>(std::slice::Iter<'de, Value>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Strict(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The entries of an object, values [`Strict`]. A `None` value marks a key the struct does not
/// declare.
struct Entries<'de> {
    entries: std::vec::IntoIter<(&'de str, Option<&'de Value>)>,
    declared: &'static [&'static str],
    current: Option<(&'de str, Option<&'de Value>)>,
}

impl<'de> Entries<'de> {
    /// Every entry, in the object's order (maps and untyped values).
    fn all(map: &'de Map<String, Value>) -> Self {
        Entries {
            entries: map
                .iter()
                .map(|(k, v)| (k.as_str(), Some(v)))
                .collect::<Vec<_>>()
                .into_iter(),
            declared: &[],
            current: None,
        }
    }

    /// A struct's entries: undeclared keys first, then the declared ones in declaration order,
    /// without those that are `null`.
    fn declared(map: &'de Map<String, Value>, declared: &'static [&'static str]) -> Self {
        let mut entries: Vec<_> = map
            .keys()
            .filter(|k| !declared.contains(&k.as_str()))
            .map(|k| (k.as_str(), None))
            .collect();
        entries.extend(
            declared
                .iter()
                .filter_map(|f| map.get_key_value(*f))
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.as_str(), Some(v))),
        );
        Entries {
            entries: entries.into_iter(),
            declared,
            current: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some((key, value));
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.current.take() {
            Some((_, Some(v))) => seed.deserialize(Strict(v)),
            // Refused while the value is deserialized, so that the error's path ends with the key.
            Some((key, None)) => seed.deserialize(UnknownKey {
                key,
                declared: self.declared,
            }),
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// The value of an undeclared key: refuses to be read.
struct UnknownKey<'de> {
    key: &'de str,
    declared: &'static [&'static str],
}

impl<'de> Deserializer<'de> for UnknownKey<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom(
            match did_you_mean(self.key, self.declared) {
                Some(k) => format!("unknown key, did you mean \"{k}\"?"),
                None => "unknown key".to_string(),
            },
        ))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    use v2im_wire::MsgElement;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Probe {
        #[serde(rename = "To_Account")]
        to_account: String,
        msg_random: Option<u32>,
        msg_body: Option<Vec<MsgElement>>,
        #[serde(default)]
        names: Vec<String>,
    }

    impl Body for Probe {
        const DEFAULT_CODE: i32 = 1;
        const IGNORED_KEYS: &'static [&'static str] = &["Legacy"];
        const KEY_CODES: &'static [(&'static str, i32)] = &[
            ("To_Account", 2),
            ("MsgRandom", 3),
            ("MsgBody", 4),
            ("MsgBody[]", 5),
        ];
    }

    fn parse_json(v: Value) -> ApiResult<Probe> {
        parse::<Probe>(Bytes::from(v.to_string()))
    }

    #[track_caller]
    fn refused(v: Value, code: i32, info: &str) {
        let e = parse_json(v).unwrap_err();
        assert_eq!((e.code, e.info.as_str()), (code, info));
    }

    #[test]
    fn paths_pick_codes_and_name_the_key() {
        let ok = parse_json(
            json!({"To_Account": "a", "MsgRandom": null, "Names": null, "MsgBody": [
            {"MsgContent": {"Text": "t"}, "MsgType": "TIMTextElem"}]}),
        )
        .unwrap();
        assert_eq!((ok.to_account.as_str(), ok.msg_random), ("a", None));
        assert!(ok.names.is_empty());
        // An ignored key may hold anything.
        assert!(parse_json(json!({"To_Account": "a", "Legacy": {"x": [1]}})).is_ok());
        assert_eq!(ok.msg_body.unwrap()[0].msg_type(), "TIMTextElem");
        refused(json!({}), 2, "To_Account: missing");
        refused(json!({"To_Account": null}), 2, "To_Account: missing");
        refused(
            json!({"To_Account": 5}),
            2,
            "To_Account: invalid type: integer `5`, expected a string",
        );
        refused(
            json!({"To_Account": "a", "MsgRandom": -1}),
            3,
            "MsgRandom: invalid value: integer `-1`, expected u32",
        );
        refused(
            json!({"To_Account": "a", "MsgBody": {}}),
            4,
            "MsgBody: invalid type: map, expected a sequence",
        );
        refused(
            json!({"To_Account": "a", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 5}}]}),
            5,
            "MsgBody[0].MsgContent.Text: invalid type: integer `5`, expected a string",
        );
        refused(
            json!({"To_Account": "a", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {}}]}),
            5,
            "MsgBody[0].MsgContent.Text: missing",
        );
        // Elements are objects: serde would take an array for a struct.
        refused(
            json!({"To_Account": "a", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": ["t"]}]}),
            5,
            "MsgBody[0].MsgContent: invalid type: sequence, expected struct TextElem",
        );
        refused(
            json!({"To_Account": "a", "Names": ["x", 1]}),
            1,
            "Names[1]: invalid type: integer `1`, expected a string",
        );
        for body in ["[]", "3", "{", "\"x\""] {
            assert_eq!(parse::<Probe>(Bytes::from(body)).unwrap_err().code, 1);
        }
        assert_eq!(parse::<Probe>(Bytes::from("  ")).unwrap_err().code, 2);
    }

    #[test]
    fn unknown_keys_are_refused_at_any_depth() {
        refused(
            json!({"To_account": "a"}),
            1,
            "To_account: unknown key, did you mean \"To_Account\"?",
        );
        refused(
            json!({"To_Account": "a", "MsgRandm": 1}),
            1,
            "MsgRandm: unknown key, did you mean \"MsgRandom\"?",
        );
        refused(
            json!({"To_Account": "a", "Colour": 1}),
            1,
            "Colour: unknown key",
        );
        refused(
            json!({"To_Account": "a", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "t", "Txt": "t"}}]}),
            5,
            "MsgBody[0].MsgContent.Txt: unknown key, did you mean \"Text\"?",
        );
        refused(
            json!({"To_Account": "a", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}, "Extra": 1}]}),
            5,
            "MsgBody[0].Extra: unknown key",
        );
        // An unknown key counts even when its value is null.
        refused(
            json!({"To_Account": "a", "Nope": null}),
            1,
            "Nope: unknown key",
        );
    }

    #[test]
    fn table_matches_whole_segments_and_the_longest_entry() {
        let table = [("A", 1), ("A[]", 2), ("A[].B", 3), ("AB", 4)];
        assert_eq!(code_for(&table, "A"), Some(1));
        assert_eq!(code_for(&table, "A.x"), Some(1));
        assert_eq!(code_for(&table, "A[12]"), Some(2));
        assert_eq!(code_for(&table, "A[0].C"), Some(2));
        assert_eq!(code_for(&table, "A[0].B[3]"), Some(3));
        assert_eq!(code_for(&table, "AB"), Some(4));
        assert_eq!(code_for(&table, "ABC"), None);
        assert_eq!(code_for(&table, "B"), None);
    }

    #[test]
    fn suggestions() {
        let declared = ["To_Account", "MsgRandom", "GroupId", "Text"];
        assert_eq!(did_you_mean("to_account", &declared), Some("To_Account"));
        assert_eq!(did_you_mean("ToAccount", &declared), Some("To_Account"));
        assert_eq!(did_you_mean("GroupID", &declared), Some("GroupId"));
        assert_eq!(did_you_mean("Txt", &declared), Some("Text"));
        assert_eq!(did_you_mean("Random", &declared), None);
        assert_eq!(did_you_mean("X", &declared), None);
    }
}
