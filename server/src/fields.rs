//! Reading request fields out of a JSON object with Tencent's error codes. Requests are parsed
//! into a `serde_json::Value` first, then read field by field, so a missing or mistyped field
//! gets the code Tencent gives for that field and an `ErrorInfo` that names it. `null` counts as
//! absent for optional fields.

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// A request body object and the code to use for a field with no more specific one.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
}

/// Parses a request body: empty means `{}`; anything but a JSON object is refused with `code`.
pub fn parse_body(body: &[u8], code: i32) -> ApiResult<Map<String, Value>> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::new(code, "request body is not a JSON object")),
        Err(e) => Err(ApiError::new(
            code,
            format!("request body is not valid JSON: {e}"),
        )),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Fields { map }
    }

    /// The raw value, `None` when absent or null.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn opt_str(&self, key: &str, code: i32) -> ApiResult<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(v) => Err(ApiError::new(
                code,
                format!("{key} must be a string, not {}", type_name(v)),
            )),
        }
    }

    /// A required, non-empty string.
    pub fn str(&self, key: &str, code: i32) -> ApiResult<&'a str> {
        match self.opt_str(key, code)? {
            Some(s) if !s.is_empty() => Ok(s),
            Some(_) => Err(ApiError::new(code, format!("{key} is empty"))),
            None => Err(ApiError::new(code, format!("{key} is missing"))),
        }
    }

    /// A required account id (1 to 32 bytes, no control characters).
    pub fn account(&self, key: &str, code: i32) -> ApiResult<&'a str> {
        let id = self.str(key, code)?;
        check_account(key, id, code)
    }

    pub fn opt_i64(&self, key: &str, code: i32) -> ApiResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| {
                ApiError::new(
                    code,
                    format!("{key} must be an integer, not {}", describe(v)),
                )
            }),
        }
    }

    /// An optional unsigned 32-bit integer.
    pub fn opt_u32(&self, key: &str, code: i32) -> ApiResult<Option<u32>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    ApiError::new(
                        code,
                        format!(
                            "{key} must be an integer in 0..=4294967295, not {}",
                            describe(v)
                        ),
                    )
                }),
        }
    }

    pub fn u32(&self, key: &str, code: i32) -> ApiResult<u32> {
        self.opt_u32(key, code)?
            .ok_or_else(|| ApiError::new(code, format!("{key} is missing")))
    }

    /// An optional flag that must be 0 or 1.
    pub fn opt_flag(&self, key: &str, code: i32) -> ApiResult<Option<i64>> {
        match self.opt_i64(key, code)? {
            None => Ok(None),
            Some(n @ (0 | 1)) => Ok(Some(n)),
            Some(n) => Err(ApiError::new(
                code,
                format!("{key} must be 0 or 1, not {n}"),
            )),
        }
    }

    /// An optional array of strings.
    pub fn opt_str_list(&self, key: &str, code: i32) -> ApiResult<Option<Vec<String>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    v => Err(ApiError::new(
                        code,
                        format!("{key}[{i}] must be a string, not {}", type_name(v)),
                    )),
                })
                .collect::<ApiResult<Vec<_>>>()
                .map(Some),
            Some(v) => Err(ApiError::new(
                code,
                format!("{key} must be an array of strings, not {}", type_name(v)),
            )),
        }
    }

    /// An optional array of objects.
    pub fn opt_obj_list(
        &self,
        key: &str,
        code: i32,
    ) -> ApiResult<Option<Vec<&'a Map<String, Value>>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Object(m) => Ok(m),
                    v => Err(ApiError::new(
                        code,
                        format!("{key}[{i}] must be an object, not {}", type_name(v)),
                    )),
                })
                .collect::<ApiResult<Vec<_>>>()
                .map(Some),
            Some(v) => Err(ApiError::new(
                code,
                format!("{key} must be an array, not {}", type_name(v)),
            )),
        }
    }
}

/// A short description of a bad value for an `ErrorInfo` (never the whole value: it may be huge).
fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("{n}"),
        Value::String(s) if s.len() <= 40 => format!("the string {s:?}"),
        v => type_name(v).to_string(),
    }
}

/// Refuses an id that cannot be an account, naming the field.
pub fn check_account<'a>(key: &str, id: &'a str, code: i32) -> ApiResult<&'a str> {
    if crate::validate::valid_user_id(id) {
        Ok(id)
    } else {
        Err(ApiError::new(
            code,
            format!("{key} is not a valid account id (1 to 32 bytes, no control characters)"),
        ))
    }
}
