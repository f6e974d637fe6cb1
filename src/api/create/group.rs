//! Group-only messages: text with @ users, @ users added to a created message, and targeted
//! copies for some members only.

use super::{check_unsent, created, not_found};
use crate::api::methods::Local;
use crate::api::LocalData;
use crate::codes::{Error, Result};
use crate::model::{at, Elem};
use crate::params::{Id, Params};
use serde::Deserialize;
use v2im_wire::codes::limits;

/// `atUserList`, with the C spelling of @-all turned into V2TIM's.
fn at_user_list(list: Vec<Id>) -> Vec<String> {
    list.into_iter().map(|u| at::normalise(&u)).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TextAtParams {
    text: String,
    at_user_list: Vec<Id>,
}

pub(crate) fn text_at(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: TextAtParams = v.read()?;
    let mut m = super::new_message(local, Elem::Text { text: p.text });
    m.group_at_user_list = at_user_list(p.at_user_list);
    created(local, m)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AtSignedParams {
    id: Id,
    at_user_list: Vec<Id>,
}

/// Adds @ users to a created, unsent message and answers the message itself (as V2TIM does).
pub(crate) fn at_signed(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: AtSignedParams = v.read()?;
    let list = at_user_list(p.at_user_list);
    let (r, m) = local
        .registry
        .update_shared(&p.id, |m| {
            check_unsent(m, "createAtSignedGroupMessage")?;
            // V2TIM refuses to replace an existing @ list; a targeted message cannot carry @.
            if !m.group_at_user_list.is_empty() {
                return Err(Error::invalid_param(format!(
                    "createAtSignedGroupMessage: message {} already has an atUserList",
                    m.id
                )));
            }
            if !m.target_group_member_list.is_empty() {
                return Err(Error::invalid_param(
                    "createAtSignedGroupMessage: a targeted group message cannot @ users",
                ));
            }
            m.group_at_user_list = list;
            Ok(())
        })
        .ok_or_else(|| not_found("id", &p.id))?;
    r.map(|()| LocalData::Message(m))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TargetedParams {
    id: Id,
    receiver_list: Vec<Id>,
}

/// A copy of a message for some members of the group only.
pub(crate) fn targeted(local: Local<'_>, v: &Params<'_>) -> Result<LocalData> {
    let p: TargetedParams = v.read()?;
    if p.receiver_list.is_empty() {
        return Err(Error::invalid_param("receiverList must not be empty"));
    }
    if p.receiver_list.len() > limits::MAX_TARGETED_MEMBERS {
        return Err(Error::invalid_param(format!(
            "receiverList has {} members; a targeted group message allows at most {}",
            p.receiver_list.len(),
            limits::MAX_TARGETED_MEMBERS
        )));
    }
    let source = local
        .registry
        .get(&p.id)
        .ok_or_else(|| not_found("id", &p.id))?;
    if !source.group_at_user_list.is_empty() {
        return Err(Error::invalid_param(
            "createTargetedGroupMessage: a message with an atUserList cannot be targeted",
        ));
    }
    // Native V2TIM makes a new message from the original; the copy keeps its cloud data.
    let mut m = source.copy_elems(local.registry.next_id(), local.self_user);
    m.options.cloud_custom_data = source.options.cloud_custom_data.clone();
    m.target_group_member_list = p.receiver_list.into_iter().map(|r| r.0).collect();
    created(local, m)
}
