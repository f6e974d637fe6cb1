//! What C2C and group messages share: the body and the send options, validated.

use v2im_wire::codes::limits::{MAX_BODY_BYTES, MAX_MERGER_LAYERS};
use v2im_wire::elem::relay_layers;
use v2im_wire::webhook::forbid;
use v2im_wire::{MsgElement, OfflinePushInfo};

use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::request::Body;
use crate::store::jobs::MsgCommon;
use crate::webhook::Throttle;

/// The fields C2C and group sends share, as parsed.
pub(super) struct MsgFields {
    pub(super) msg_body: Vec<MsgElement>,
    pub(super) cloud_custom_data: Option<String>,
    pub(super) offline_push_info: Option<OfflinePushInfo>,
    pub(super) send_msg_control: Option<Vec<String>>,
    pub(super) forbid_callback_control: Option<Vec<String>>,
    pub(super) support_message_extension: Option<i64>,
    /// The read-receipt flag and its key: `IsNeedReadReceipt` (C2C) or `NeedReadReceipt` (group).
    pub(super) read_receipt: (&'static str, Option<i64>),
}

/// The codes and limit of the rules about a whole message (the fields' own codes are in the
/// request's table).
pub(super) struct MsgRules {
    /// More than one custom element.
    pub(super) format: i32,
    /// Body over `max_bytes`.
    pub(super) too_big: i32,
    pub(super) max_bytes: usize,
}

/// Validates `MsgBody` and returns its canonical JSON (what is stored and returned). A missing
/// (so empty) body gets the code of a bad element.
fn body<B: Body>(elems: Vec<MsgElement>, rules: &MsgRules) -> ApiResult<String> {
    let bad_body =
        |problem: &str| ApiError::new(B::code("MsgBody[]"), format!("MsgBody: {problem}"));
    if elems.is_empty() {
        return Err(bad_body("missing or empty"));
    }
    // Every answer that will carry the message must stay readable by clients' JSON parsers.
    let layers = relay_layers(&elems);
    if layers > MAX_MERGER_LAYERS {
        return Err(bad_body(&format!(
            "merged messages nest {layers} layers deep; at most {MAX_MERGER_LAYERS} are allowed"
        )));
    }
    let customs = elems
        .iter()
        .filter(|e| matches!(e, MsgElement::Custom(_)))
        .count();
    if customs > 1 {
        return Err(ApiError::new(
            rules.format,
            format!("MsgBody: {customs} TIMCustomElem elements; at most one is allowed"),
        ));
    }
    let json = serde_json::to_string(&elems).map_err(|e| bad_body(&e.to_string()))?;
    if json.len() > rules.max_bytes {
        return Err(ApiError::new(
            rules.too_big,
            format!(
                "MsgBody: {} bytes, over the {} byte limit",
                json.len(),
                rules.max_bytes
            ),
        ));
    }
    Ok(json)
}

/// The stored (canonical) JSON of an option.
fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Body and options, as stored. `online_only` is set by the caller (its field differs).
pub(super) fn common<B: Body>(f: MsgFields, rules: &MsgRules) -> ApiResult<MsgCommon> {
    let body = body::<B>(f.msg_body, rules)?;
    let cloud_custom_data = f.cloud_custom_data.unwrap_or_default();
    if cloud_custom_data.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            rules.too_big,
            format!("CloudCustomData: over {MAX_BODY_BYTES} bytes"),
        ));
    }
    let control = f.send_msg_control;
    let has = |w: &str| control.iter().flatten().any(|x| x == w);
    let forbids = |w: &str| f.forbid_callback_control.iter().flatten().any(|x| x == w);
    let (receipt_key, receipt) = f.read_receipt;
    Ok(MsgCommon {
        cloud_custom_data,
        support_ext: B::flag("SupportMessageExtension", f.support_message_extension)?,
        need_receipt: B::flag(receipt_key, receipt)?,
        push_info: f.offline_push_info.as_ref().map(to_json),
        no_unread: has("NoUnread"),
        no_last: has("NoLastMsg"),
        no_push: f
            .offline_push_info
            .as_ref()
            .is_some_and(|p| p.push_flag == Some(1)),
        no_before_callback: forbids(forbid::BEFORE_SEND_MSG),
        no_after_callback: forbids(forbid::AFTER_SEND_MSG),
        send_control: control.as_ref().map(to_json),
        forbid_callback: f.forbid_callback_control.as_ref().map(to_json),
        online_only: false,
        body,
    })
}

/// Applies what a before-send callback's answer changed, checked like a sender's own body and
/// `CloudCustomData`. A change that a sender would be refused for is ignored as a whole (and
/// logged through `log`): the message goes as it was sent.
pub(super) fn apply_changes<B: Body>(
    c: &mut MsgCommon,
    msg_body: Option<Vec<MsgElement>>,
    cloud_custom_data: Option<String>,
    rules: &MsgRules,
    command: &str,
    log: &Throttle,
) {
    let new_body = match msg_body.map(|b| body::<B>(b, rules)).transpose() {
        Ok(b) => b,
        Err(e) => {
            log.warn(|| {
                format!(
                    "{command}: the app's MsgBody is not accepted ({e}); the message goes as sent"
                )
            });
            return;
        }
    };
    if cloud_custom_data
        .as_ref()
        .is_some_and(|c| c.len() > MAX_BODY_BYTES)
    {
        log.warn(|| {
            format!(
                "{command}: the app's CloudCustomData is over {MAX_BODY_BYTES} bytes; the \
                 message goes as sent"
            )
        });
        return;
    }
    if let Some(b) = new_body {
        c.body = b;
    }
    if let Some(d) = cloud_custom_data {
        c.cloud_custom_data = d;
    }
}
