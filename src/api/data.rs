//! The `data` of a local method's result.

use crate::model::Message;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::sync::Arc;

/// Serialises straight into the callback's JSON (no intermediate `serde_json::Value`, which
/// costs more than the rest of a create).
#[derive(Debug, Clone)]
pub(crate) enum LocalData {
    /// `{"id": id, "messageInfo": V2TimMessage}` — `V2TimMsgCreateInfoResult`.
    Created(Arc<Message>),
    /// A `V2TimMessage`.
    Message(Arc<Message>),
    /// `[V2TimMessage, ...]`.
    Messages(Vec<Arc<Message>>),
    /// `null`.
    Null,
}

impl Serialize for LocalData {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            LocalData::Created(m) => {
                let mut o = s.serialize_map(Some(2))?;
                o.serialize_entry("id", &m.id)?;
                o.serialize_entry("messageInfo", &**m)?;
                o.end()
            }
            LocalData::Message(m) => m.serialize(s),
            LocalData::Messages(list) => s.collect_seq(list.iter().map(|m| &**m)),
            LocalData::Null => s.serialize_unit(),
        }
    }
}
