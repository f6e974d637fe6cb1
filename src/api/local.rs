//! Local methods on existing messages: `findMessages`, `setLocalCustomData`.

use super::methods::Local;
use super::LocalData;
use crate::codes::{Error, Result};
use crate::params::{Id, Params};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct FindParams {
    #[serde(rename = "messageIDList")]
    message_id_list: Vec<String>,
}

/// The messages with these msgIDs or local ids, in the order asked; unknown ones are skipped
/// (V2TIM answers with what it found).
pub(crate) fn find_messages(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: FindParams = v.read()?;
    Ok(LocalData::Messages(
        p.message_id_list
            .iter()
            .filter_map(|id| local.registry.get_shared(id))
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SetLocalParams {
    #[serde(rename = "msgID")]
    msg_id: Id,
    local_custom_data: String,
}

/// Sets `localCustomData` of a message: kept locally, never sent.
pub(crate) fn set_local_custom_data(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: SetLocalParams = v.read()?;
    let data = p.local_custom_data;
    local
        .registry
        .update(&p.msg_id, |m| m.local_custom_data = Some(data))
        .ok_or_else(|| {
            Error::invalid_param(format!(
                "msgID: no message with id or msgID \"{}\"",
                &*p.msg_id
            ))
        })?;
    Ok(LocalData::Null)
}
