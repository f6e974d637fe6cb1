//! V2TIM message priority and its two REST encodings.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::fmt;

/// V2TIM `MessagePriorityEnum`: DEFAULT 0, HIGH 1, NORMAL 2, LOW 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Priority {
    /// V2TIM_PRIORITY_DEFAULT: sent without `MsgPriority` (the server's Normal).
    #[default]
    Default = 0,
    /// V2TIM_PRIORITY_HIGH: gifts, red packets.
    High = 1,
    /// V2TIM_PRIORITY_NORMAL.
    Normal = 2,
    /// V2TIM_PRIORITY_LOW: likes and other frequent, unimportant messages; dropped first.
    Low = 3,
}

impl Priority {
    /// Sending order: 0 goes first (High), Default and Normal share 1, Low is 2.
    pub fn rank(self) -> u8 {
        match self {
            Priority::High => 0,
            Priority::Default | Priority::Normal => 1,
            Priority::Low => 2,
        }
    }

    /// The V2TIM number.
    pub fn value(self) -> i32 {
        self as i32
    }

    /// From the V2TIM number.
    pub fn from_value(v: i64) -> Option<Priority> {
        match v {
            0 => Some(Priority::Default),
            1 => Some(Priority::High),
            2 => Some(Priority::Normal),
            3 => Some(Priority::Low),
            _ => None,
        }
    }

    /// A V2TIM name: "HIGH", "high", "V2TIM_PRIORITY_HIGH",
    /// "MessagePriorityEnum.V2TIM_PRIORITY_HIGH" (what Dart's `toString()` prints).
    fn from_name(s: &str) -> Option<Priority> {
        let name = s.rsplit('.').next().unwrap_or(s);
        let name = name
            .strip_prefix("V2TIM_PRIORITY_")
            .or_else(|| name.strip_prefix("v2tim_priority_"))
            .unwrap_or(name);
        match name.to_ascii_uppercase().as_str() {
            "DEFAULT" => Some(Priority::Default),
            "HIGH" => Some(Priority::High),
            "NORMAL" => Some(Priority::Normal),
            "LOW" => Some(Priority::Low),
            _ => None,
        }
    }

    /// REST `send_group_msg` `MsgPriority`; DEFAULT is left out (the server's default is Normal).
    pub fn rest_name(self) -> Option<&'static str> {
        match self {
            Priority::Default => None,
            Priority::High => Some("High"),
            Priority::Normal => Some("Normal"),
            Priority::Low => Some("Low"),
        }
    }

    /// From REST history's integer `MsgPriority` (1 High, 2 Normal, 3 Low, 4 Lowest). Lowest
    /// (server-made tips) has no V2TIM value and reads as Low; anything unknown as Normal.
    pub fn from_rest_history(v: i64) -> Priority {
        match v {
            1 => Priority::High,
            3 | 4 => Priority::Low,
            _ => Priority::Normal,
        }
    }
}

/// The V2TIM number.
impl Serialize for Priority {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.value())
    }
}

/// A V2TIM number (0..=3) or a name (see [`Priority::from_name`]).
impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Priority;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("0..3 or one of DEFAULT, HIGH, NORMAL, LOW")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Priority, E> {
                Priority::from_value(v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Priority, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(Priority::from_value)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Priority, E> {
                Priority::from_name(v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: &serde_json::Value) -> crate::codes::Result<Priority> {
        crate::params::parse("", v)
    }

    #[test]
    fn parses_numbers_and_names() {
        for (v, want) in [
            (json!(0), Priority::Default),
            (json!(3), Priority::Low),
            (json!("HIGH"), Priority::High),
            (json!("high"), Priority::High),
            (json!("V2TIM_PRIORITY_NORMAL"), Priority::Normal),
            (
                json!("MessagePriorityEnum.V2TIM_PRIORITY_LOW"),
                Priority::Low,
            ),
        ] {
            assert_eq!(parse(&v).unwrap(), want, "{v}");
            assert_eq!(serde_json::to_value(want).unwrap(), json!(want.value()));
        }
        for bad in [
            json!(4),
            json!(-1),
            json!(1.5),
            json!("URGENT"),
            json!(true),
            json!([]),
        ] {
            assert_eq!(parse(&bad).unwrap_err().code, 6017, "{bad}");
        }
    }

    #[test]
    fn encodings() {
        assert_eq!(Priority::Default.rest_name(), None);
        assert_eq!(Priority::High.rest_name(), Some("High"));
        assert_eq!(Priority::Low.rest_name(), Some("Low"));
        assert!(Priority::High.rank() < Priority::Normal.rank());
        assert_eq!(Priority::Default.rank(), Priority::Normal.rank());
        assert!(Priority::Normal.rank() < Priority::Low.rank());
        assert_eq!(Priority::from_rest_history(1), Priority::High);
        assert_eq!(Priority::from_rest_history(2), Priority::Normal);
        assert_eq!(Priority::from_rest_history(4), Priority::Low);
    }
}
