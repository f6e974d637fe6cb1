//! The `data` of a local method's result.

use crate::model::Message;
use std::sync::Arc;

/// Written straight into the callback's JSON (no intermediate `serde_json::Value`, which costs
/// more than the rest of a create).
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

impl LocalData {
    /// The JSON written into `out`, the result's buffer: a message goes there directly, with
    /// no buffer of its own (it is most of a create's result).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            LocalData::Created(m) => {
                out.extend_from_slice(b"{\"id\":");
                // Writing into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, &m.id);
                out.extend_from_slice(b",\"messageInfo\":");
                m.write_json(out);
                out.push(b'}');
            }
            LocalData::Message(m) => m.write_json(out),
            LocalData::Messages(list) => {
                out.push(b'[');
                for (i, m) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    m.write_json(out);
                }
                out.push(b']');
            }
            LocalData::Null => out.extend_from_slice(b"null"),
        }
    }
}
