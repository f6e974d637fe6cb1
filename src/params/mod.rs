//! JSON objects from the caller (method params, the config) read into serde-derived structs.
//!
//! Every failure is 6017 with a `desc` that names the key by its path (`offlinePushInfo.desc`,
//! `atUserList[2]`). Unknown keys are refused, naming the closest known key, because a typo that
//! is ignored (`serverURL`, `onlineUserONly`) silently does something else than the caller meant.
//! `null` reads as "not given" for optional keys (bindings pass `null` for unset arguments).

mod object;

pub(crate) use object::Params;

use crate::codes::{Error, Result};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::Value;
use std::fmt;

/// Reads `v` into `T`. `what` prefixes the `desc` of an error ("config", or empty for params).
pub(crate) fn parse<'de, T: Deserialize<'de>>(what: &str, v: &'de Value) -> Result<T> {
    // One deserializer per type, always tracking the key path: a second, untracked one for the
    // success path would double the code of every params type in the library for a few dozen
    // nanoseconds per call.
    serde_path_to_error::deserialize::<_, T>(v)
        .map_err(|e| describe(what, &e.path().to_string(), e.inner()))
}

/// The key names a serde-derived struct reads (its `deserialize_struct` field list).
pub(crate) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Catch(&'static [&'static str]);
    impl fmt::Display for Catch {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("fields")
        }
    }
    impl fmt::Debug for Catch {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("fields")
        }
    }
    impl std::error::Error for Catch {}
    impl de::Error for Catch {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Catch(&[])
        }
    }
    struct Probe;
    impl<'de> Deserializer<'de> for Probe {
        type Error = Catch;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> std::result::Result<V::Value, Catch> {
            Err(Catch(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> std::result::Result<V::Value, Catch> {
            Err(Catch(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Catch(fields)) => fields,
        Ok(_) => &[],
    }
}

/// The text of a serde failure at `path`.
fn describe(what: &str, path: &str, e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    let path = if path == "." { "" } else { path };
    // serde: "unknown field `k`, expected one of `a`, `b`" (or "expected `a`", "there are no
    // fields"); the path then names the object the key is in.
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let mut ticks = rest.split('`').step_by(2);
        let key = ticks.next().unwrap_or_default();
        let known: Vec<&str> = rest
            .split_once(", expected")
            .map(|(_, tail)| tail.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let parent = path
            .strip_suffix(key)
            .map(|p| p.trim_end_matches('.'))
            .unwrap_or(path);
        return unknown_key(what, parent, key, &known);
    }
    // serde: "missing field `k`".
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.trim_end_matches('`');
        return Error::invalid_param(format!("{}{} is required", prefix(what), join(path, key)));
    }
    if path.is_empty() {
        Error::invalid_param(format!("{}{msg}", prefix(what)))
    } else {
        Error::invalid_param(format!("{}{path}: {msg}", prefix(what)))
    }
}

fn prefix(what: &str) -> String {
    if what.is_empty() {
        String::new()
    } else {
        format!("{what}: ")
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// 6017 for `key` (in the object at `parent`), with the closest of `known` when one is close.
pub(crate) fn unknown_key(what: &str, parent: &str, key: &str, known: &[&str]) -> Error {
    let mut desc = format!("{}unknown key \"{}\"", prefix(what), join(parent, key));
    if let Some(best) = closest(key, known) {
        desc.push_str(&format!(" (did you mean \"{best}\"?)"));
    }
    Error::invalid_param(desc)
}

/// The known key a typo most likely meant: the same letters in another case, or a small edit.
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = key.to_ascii_lowercase();
    if let Some(k) = known.iter().find(|k| k.to_ascii_lowercase() == lower) {
        return Some(k);
    }
    known
        .iter()
        .map(|k| {
            (
                strsim::damerau_levenshtein(&lower, &k.to_ascii_lowercase()),
                *k,
            )
        })
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// A string where "" means "not given" (Flutter passes "" for unset strings).
pub(crate) fn nonempty<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// [`nonempty`] for an option of `sendMessage` (`None` = leave the message's value).
pub(crate) fn nonempty_patch<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<String>>, D::Error> {
    Ok(nonempty(d)?.map(Some))
}

/// An integer in `[MIN, MAX]`; floats (even `2.0`) are refused so that a caller's unit mistake
/// does not pass silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Int<const MIN: i64, const MAX: i64>(pub i64);

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Int<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        match n.as_i64() {
            Some(i) if (MIN..=MAX).contains(&i) => Ok(Int(i)),
            _ if n.is_f64() => Err(de::Error::custom(format!("must be an integer, got {n}"))),
            _ => Err(de::Error::custom(format!(
                "must be an integer in [{MIN}, {MAX}], got {n}"
            ))),
        }
    }
}

/// A finite number within the bounds `B` gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Num<B>(pub f64, std::marker::PhantomData<B>);

/// The bounds of a [`Num`].
pub(crate) trait Bounds {
    const MIN: f64;
    const MAX: f64;
}

impl<'de, B: Bounds> Deserialize<'de> for Num<B> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        match n.as_f64() {
            Some(f) if f.is_finite() && (B::MIN..=B::MAX).contains(&f) => {
                Ok(Num(f, std::marker::PhantomData))
            }
            _ => Err(de::Error::custom(format!(
                "must be a number in [{}, {}], got {n}",
                B::MIN,
                B::MAX
            ))),
        }
    }
}

/// A string that must not be empty (ids, user IDs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Err(de::Error::custom("must not be empty"));
        }
        Ok(Id(s))
    }
}

impl std::ops::Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// `null` read as the type's default (bindings pass `null` for unset fields).
pub(crate) fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> std::result::Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
