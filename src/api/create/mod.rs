//! The `createXxxMessage` methods: local, synchronous, never touching the network.
//!
//! A created message has status 1 (`V2TIM_MSG_STATUS_SENDING`, what V2TIM gives a message that
//! has not been sent yet), `progress` 100, the local time as `timestamp`, its `random`, and
//! `sender`/`isSelf` of the client's user. `msgID` and `seq` stay `null` until it is sent.
//!
//! Checks follow V2TIM: a missing, mistyped or unknown parameter is 6017 with a `desc` naming
//! it. Limits that V2TIM enforces when sending (30 @ users, 12 KB) are checked by `sendMessage`;
//! the ones V2TIM enforces here (forward/merge sources sent successfully, 300 merged messages,
//! abstracts, 1 to 50 targeted receivers, which `sendMessage` checks again) are checked here.

mod combine;
mod group;
mod media;
mod simple;

#[cfg(test)]
pub(crate) use combine::cut_utf8;
pub(crate) use combine::{forward, merger, ForwardParams, MergerParams};
pub(crate) use group::{
    at_signed, targeted, text_at, AtSignedParams, TargetedParams, TextAtParams,
};
pub(crate) use media::{
    file, image, sound, video, FileParams, ImageParams, SoundParams, VideoParams,
};
pub(crate) use simple::{
    custom, face, location, text, CustomParams, FaceParams, LocationParams, TextParams,
};

use super::methods::Local;
use super::LocalData;
use crate::codes::{Error, Result};
use crate::model::{Elem, Message, MessageStatus};
use std::sync::Arc;

/// Registers a new message and answers `{"id", "messageInfo"}`.
fn created(local: Local<'_>, m: Message) -> Result<LocalData> {
    let m = Arc::new(m);
    local.registry.insert_shared(m.clone());
    Ok(LocalData::Created(m))
}

/// A new message of the client's user holding one element.
fn new_message(local: Local<'_>, elem: Elem) -> Message {
    Message::new(local.registry.next_id(), vec![elem], local.self_user)
}

/// 6017 for a message id nobody knows.
fn not_found(name: &str, id: &str) -> Error {
    Error::invalid_param(format!("{name}: no message with id or msgID \"{id}\""))
}

/// A message that has not been handed to `sendMessage` yet (the only kind V2TIM lets one
/// change).
fn check_unsent(m: &Message, what: &str) -> Result<()> {
    if m.send_count > 0 || m.status != MessageStatus::Sending {
        return Err(Error::invalid_param(format!(
            "{what}: message {} has already been sent; create a new one",
            m.id
        )));
    }
    Ok(())
}
