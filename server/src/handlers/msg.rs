//! What C2C and group messages share: the body and the send options, validated.

use serde_json::Value;
use v2im_wire::codes::limits::MAX_BODY_BYTES;
use v2im_wire::{MsgElement, OfflinePushInfo};

use crate::error::{ApiError, ApiResult};
use crate::fields::Fields;
use crate::store::jobs::MsgCommon;

/// The codes a family of endpoints uses for message problems.
pub struct MsgCodes {
    /// MsgBody absent, empty or an element that does not parse.
    pub body_invalid: i32,
    /// MsgBody not an array.
    pub body_not_array: i32,
    /// More than one custom element, and similar format rules.
    pub format: i32,
    /// Body over the size limit.
    pub too_big: i32,
    /// Body size limit in bytes.
    pub max_bytes: usize,
    /// OfflinePushInfo malformed.
    pub push_info: i32,
    /// Any other mistyped option.
    pub other: i32,
    /// Name of the read-receipt flag: `IsNeedReadReceipt` (C2C) or `NeedReadReceipt` (group).
    pub receipt_key: &'static str,
}

/// Validates `MsgBody` and returns its canonical JSON (what is stored and returned).
pub fn parse_body(f: &Fields, c: &MsgCodes) -> ApiResult<String> {
    let items = match f.get("MsgBody") {
        None => return Err(ApiError::new(c.body_invalid, "MsgBody is missing")),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::new(c.body_not_array, "MsgBody must be an array")),
    };
    if items.is_empty() {
        return Err(ApiError::new(c.body_invalid, "MsgBody is empty"));
    }
    let mut elems = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        // Serde would also accept arrays for structs; Tencent's elements are objects.
        if !v.get("MsgContent").is_some_and(Value::is_object) {
            return Err(ApiError::new(
                c.body_invalid,
                format!("MsgBody[{i}] needs a MsgType and a MsgContent object"),
            ));
        }
        let e = <MsgElement as serde::Deserialize>::deserialize(v).map_err(|e| {
            let kind = v.get("MsgType").and_then(Value::as_str).unwrap_or("?");
            let kind: String = kind.chars().take(40).collect();
            ApiError::new(c.body_invalid, format!("MsgBody[{i}] ({kind}): {e}"))
        })?;
        elems.push(e);
    }
    let customs = elems
        .iter()
        .filter(|e| matches!(e, MsgElement::Custom(_)))
        .count();
    if customs > 1 {
        return Err(ApiError::new(
            c.format,
            format!("MsgBody has {customs} TIMCustomElem elements; at most one is allowed"),
        ));
    }
    let json = serde_json::to_string(&elems)
        .map_err(|e| ApiError::new(c.body_invalid, format!("MsgBody: {e}")))?;
    if json.len() > c.max_bytes {
        return Err(ApiError::new(
            c.too_big,
            format!(
                "MsgBody is {} bytes, over the {} byte limit",
                json.len(),
                c.max_bytes
            ),
        ));
    }
    Ok(json)
}

/// Body and options, as stored. `online_only` is set by the caller (its field differs).
pub fn parse_common(f: &Fields, c: &MsgCodes) -> ApiResult<MsgCommon> {
    let body = parse_body(f, c)?;
    let cloud_custom_data = f
        .opt_str("CloudCustomData", c.other)?
        .unwrap_or("")
        .to_string();
    if cloud_custom_data.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            c.too_big,
            format!("CloudCustomData is over {MAX_BODY_BYTES} bytes"),
        ));
    }
    let push_info = match f.get("OfflinePushInfo") {
        None => None,
        Some(v) if !v.is_object() => {
            return Err(ApiError::new(
                c.push_info,
                "OfflinePushInfo must be an object",
            ))
        }
        Some(v) => {
            let p = <OfflinePushInfo as serde::Deserialize>::deserialize(v)
                .map_err(|e| ApiError::new(c.push_info, format!("OfflinePushInfo: {e}")))?;
            Some(serde_json::to_string(&p).unwrap_or_default())
        }
    };
    let control = f.opt_str_list("SendMsgControl", c.other)?;
    let has = |w: &str| control.iter().flatten().any(|x| x == w);
    let forbid = f.opt_str_list("ForbidCallbackControl", c.other)?;
    Ok(MsgCommon {
        cloud_custom_data,
        support_ext: f.opt_flag("SupportMessageExtension", c.other)?,
        need_receipt: f.opt_flag(c.receipt_key, c.other)?,
        push_info,
        no_unread: has("NoUnread"),
        no_last: has("NoLastMsg"),
        send_control: control
            .as_ref()
            .map(|l| serde_json::to_string(l).unwrap_or_default()),
        forbid_callback: forbid
            .as_ref()
            .map(|l| serde_json::to_string(l).unwrap_or_default()),
        online_only: false,
        body,
    })
}
