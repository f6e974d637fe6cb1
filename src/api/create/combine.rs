//! Messages made of sent messages: a forward copy, and a merger of several.

use super::{created, not_found};
use crate::api::methods::Local;
use crate::api::LocalData;
use crate::codes::{Error, Result, ERR_MERGER_MSG_LAYERS_OVER_LIMIT};
use crate::model::{Elem, MergerElem, Message, MessageStatus};
use crate::params::{Id, Params};
use crate::registry::Registry;
use serde::Deserialize;
use v2im_wire::codes::limits;

/// V2TIM keeps the first 5 abstracts of a merger...
const MAX_ABSTRACTS: usize = 5;
/// ... each cut to 100 UTF-8 bytes at a character boundary.
const MAX_ABSTRACT_BYTES: usize = 100;

/// A source of forward/merge: it must have been sent successfully (V2TIM's rule).
fn sent_source(registry: &Registry, name: &str, id: &str) -> Result<Message> {
    let m = registry.get(id).ok_or_else(|| not_found(name, id))?;
    if m.status != MessageStatus::SendSucc {
        return Err(Error::invalid_param(format!(
            "{name}: message \"{id}\" status must be successful (2), it is {}",
            m.status.value()
        )));
    }
    Ok(m)
}

#[derive(Deserialize)]
pub(crate) struct ForwardParams {
    #[serde(rename = "msgID")]
    msg_id: Id,
}

pub(crate) fn forward(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: ForwardParams = v.read()?;
    let source = sent_source(local.registry, "msgID", &p.msg_id)?;
    let mut m = source.copy_elems(local.registry.next_id(), local.self_user);
    m.is_forward_message = true;
    created(local, m)
}

/// Cuts `s` to at most `max` bytes without splitting a character.
pub(crate) fn cut_utf8(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MergerParams {
    #[serde(rename = "msgIDList")]
    msg_id_list: Vec<Id>,
    title: String,
    abstract_list: Vec<String>,
    compatible_text: String,
}

pub(crate) fn merger(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: MergerParams = v.read()?;
    if p.msg_id_list.is_empty() {
        return Err(Error::invalid_param("msgIDList must not be empty"));
    }
    if p.msg_id_list.len() > limits::MAX_MERGER_MESSAGES {
        return Err(Error::invalid_param(format!(
            "msgIDList has {} messages; a merger allows at most {}",
            p.msg_id_list.len(),
            limits::MAX_MERGER_MESSAGES
        )));
    }
    let mut messages = Vec::with_capacity(p.msg_id_list.len());
    for id in &p.msg_id_list {
        let mut m = sent_source(local.registry, "msgIDList", id)?;
        // Local data belongs to this device's copy only.
        m.local_custom_data = None;
        m.local_custom_int = 0;
        messages.push(m);
    }
    let merger = MergerElem {
        title: p.title,
        abstract_list: p
            .abstract_list
            .iter()
            .take(MAX_ABSTRACTS)
            .map(|a| cut_utf8(a, MAX_ABSTRACT_BYTES))
            .collect(),
        compatible_text: p.compatible_text,
        is_layers_over_limit: false,
        messages,
    };
    // The shared limit, not V2TIM's 100: deeper mergers would not fit the JSON answers that
    // carry them (see `limits::MAX_MERGER_LAYERS`), and v2im-server refuses them.
    let layers = merger.layers();
    if layers > limits::MAX_MERGER_LAYERS {
        return Err(Error::new(
            ERR_MERGER_MSG_LAYERS_OVER_LIMIT,
            format!(
                "msgIDList: merged messages may nest at most {} layers; this one would nest {layers}",
                limits::MAX_MERGER_LAYERS
            ),
        ));
    }
    let mut m = super::new_message(local, Elem::Merger(Box::new(merger)));
    m.is_forward_message = true;
    created(local, m)
}
