//! Reading typed values out of a JSON params object, with V2TIM's 6017 and a `desc` that names
//! the parameter. Shared by the model (offline push info) and the `api` methods.
//!
//! `null` is treated as "absent" everywhere, because bindings (Flutter, Python) pass `null` for
//! optional arguments they were not given.

use crate::codes::{Error, Result};
use serde_json::{Map, Value};

/// JSON params of one call.
pub type Params = Map<String, Value>;

fn type_error(name: &str, want: &str, got: &Value) -> Error {
    Error::invalid_param(format!("{name} must be {want}, got {}", kind(got)))
}

/// The JSON type name of a value, for error texts.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A present, non-null value.
fn present<'a>(p: &'a Params, name: &str) -> Option<&'a Value> {
    p.get(name).filter(|v| !v.is_null())
}

/// A required string.
pub fn req_str<'a>(p: &'a Params, name: &str) -> Result<&'a str> {
    match present(p, name) {
        None => Err(Error::invalid_param(format!(
            "{name} is required (a string)"
        ))),
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(type_error(name, "a string", v)),
    }
}

/// A required, non-empty string (ids, user IDs).
pub fn req_nonempty_str<'a>(p: &'a Params, name: &str) -> Result<&'a str> {
    let s = req_str(p, name)?;
    if s.is_empty() {
        return Err(Error::invalid_param(format!("{name} must not be empty")));
    }
    Ok(s)
}

/// An optional string.
pub fn opt_str<'a>(p: &'a Params, name: &str) -> Result<Option<&'a str>> {
    match present(p, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(type_error(name, "a string", v)),
    }
}

/// An optional boolean. 0/1 are accepted as well, since C callers often write integers.
pub fn opt_bool(p: &Params, name: &str) -> Result<Option<bool>> {
    match present(p, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(Some(true)),
        Some(v) => Err(type_error(name, "a boolean", v)),
    }
}

/// A required integer within `[min, max]` (floats, even integral ones like `2.0`, are refused so
/// a caller's unit mistake does not pass silently).
pub fn req_int(p: &Params, name: &str, min: i64, max: i64) -> Result<i64> {
    match present(p, name) {
        None => Err(Error::invalid_param(format!(
            "{name} is required (an integer)"
        ))),
        Some(v) => int_value(v, name, min, max),
    }
}

/// An integer value within `[min, max]`.
pub fn int_value(v: &Value, name: &str, min: i64, max: i64) -> Result<i64> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) if (min..=max).contains(&i) => Ok(i),
            _ if n.is_f64() => Err(Error::invalid_param(format!(
                "{name} must be an integer, got {n}"
            ))),
            _ => Err(Error::invalid_param(format!(
                "{name} must be an integer in [{min}, {max}], got {n}"
            ))),
        },
        v => Err(type_error(name, "an integer", v)),
    }
}

/// A required finite number within `[min, max]`.
pub fn req_f64(p: &Params, name: &str, min: f64, max: f64) -> Result<f64> {
    match present(p, name) {
        None => Err(Error::invalid_param(format!(
            "{name} is required (a number)"
        ))),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.is_finite() && f >= min && f <= max => Ok(f),
            _ => Err(Error::invalid_param(format!(
                "{name} must be a number in [{min}, {max}], got {n}"
            ))),
        },
        Some(v) => Err(type_error(name, "a number", v)),
    }
}

/// A required array of strings; `nonempty_items` refuses "" entries (user IDs).
pub fn req_str_list<'a>(p: &'a Params, name: &str, nonempty_items: bool) -> Result<Vec<&'a str>> {
    match present(p, name) {
        None => Err(Error::invalid_param(format!(
            "{name} is required (an array of strings)"
        ))),
        Some(v) => str_list(v, name, nonempty_items),
    }
}

/// An array of strings.
pub fn str_list<'a>(v: &'a Value, name: &str, nonempty_items: bool) -> Result<Vec<&'a str>> {
    let Value::Array(items) = v else {
        return Err(type_error(name, "an array of strings", v));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) if nonempty_items && s.is_empty() => {
                return Err(Error::invalid_param(format!(
                    "{name}[{i}] must not be empty"
                )))
            }
            Value::String(s) => out.push(s.as_str()),
            other => return Err(type_error(&format!("{name}[{i}]"), "a string", other)),
        }
    }
    Ok(out)
}

/// An optional object.
pub fn opt_object<'a>(p: &'a Params, name: &str) -> Result<Option<&'a Params>> {
    match present(p, name) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(v) => Err(type_error(name, "an object", v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Params {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn types_are_checked_and_named() {
        let p = obj(json!({"s": 1, "b": "x", "i": 1.5, "big": 1e300, "l": ["a", 2], "n": null}));
        assert!(req_str(&p, "s")
            .unwrap_err()
            .desc
            .contains("s must be a string"));
        assert!(opt_bool(&p, "b")
            .unwrap_err()
            .desc
            .contains("b must be a boolean"));
        assert!(req_int(&p, "i", 0, 10)
            .unwrap_err()
            .desc
            .contains("integer"));
        assert!(req_int(&p, "big", 0, 10).is_err());
        assert!(req_f64(&p, "big", -1.0, 1.0).is_err());
        assert!(req_str_list(&p, "l", false)
            .unwrap_err()
            .desc
            .contains("l[1]"));
        assert_eq!(opt_str(&p, "n").unwrap(), None);
        assert!(req_str(&p, "n").unwrap_err().desc.contains("n is required"));
        assert_eq!(req_str(&p, "missing").unwrap_err().code, 6017);
    }

    #[test]
    fn integer_bounds() {
        let p = obj(json!({"i": 5, "neg": -1, "huge": u64::MAX}));
        assert_eq!(req_int(&p, "i", 0, 10).unwrap(), 5);
        assert!(req_int(&p, "neg", 0, 10).is_err());
        assert!(req_int(&p, "huge", 0, i64::MAX).is_err());
        assert_eq!(opt_bool(&obj(json!({"b": 1})), "b").unwrap(), Some(true));
        assert!(opt_bool(&obj(json!({"b": 2})), "b").is_err());
    }
}
