//! The options of `sendMessage`, declared once: the struct a message keeps them in (with its
//! V2TimMessage keys, its store form and its defaults) and `sendMessage`'s all-optional copy
//! that merges onto it. Adding an option is one line in [`send_options!`] below plus its REST
//! mapping in `rest.rs`.

use super::json_object::{key, JsonObject};
use super::{OfflinePushInfo, Priority};
use crate::params::nonempty_patch;
use serde::{Deserialize, Serialize};

/// `field: Type = default, param "sendMessage key", shown "V2TimMessage key" [, patch "fn"];`
/// where `patch` names a deserializer for the param (by default the type's own).
macro_rules! send_options {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $ty:ty = $default:expr, param $param:literal, shown $shown:literal
            $(, patch $with:literal)?;
    )*) => {
        /// The `sendMessage` options a message carries. Its serde form (the param names) is
        /// the store's; [`SendOptions::write_entries`] writes the V2TimMessage keys.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub(crate) struct SendOptions {
            $( $(#[doc = $doc])* #[serde(rename = $param)] pub(crate) $field: $ty, )*
        }

        impl Default for SendOptions {
            fn default() -> Self {
                SendOptions { $( $field: $default, )* }
            }
        }

        impl SendOptions {
            /// The `sendMessage` keys of the options.
            pub(crate) const PARAM_KEYS: &'static [&'static str] = &[$($param),*];

            /// Writes each option under its V2TimMessage key.
            pub(crate) fn write_entries(&self, m: &mut JsonObject<'_>) {
                $( m.entry(key!($shown), &self.$field); )*
            }
        }

        /// The options as `sendMessage` takes them: each `None` when not given (or `null`),
        /// and then the message keeps its value, so a re-send after a failure keeps earlier
        /// options.
        #[derive(Debug, Default, Clone, PartialEq, Deserialize)]
        pub(crate) struct SendOptionsPatch {
            $( #[serde(rename = $param, default $(, deserialize_with = $with)?)]
               pub(crate) $field: Option<$ty>, )*
        }

        impl SendOptionsPatch {
            /// Sets every given option on `o`.
            pub(crate) fn apply_to(&self, o: &mut SendOptions) {
                $( if let Some(v) = &self.$field { o.$field = v.clone(); } )*
            }
        }
    };
}

send_options! {
    /// V2TIM's priority (DEFAULT 0, HIGH 1, NORMAL 2, LOW 3; names accepted). Orders the send
    /// queue; REST `MsgPriority` of group messages.
    priority: Priority = Priority::Default, param "priority", shown "priority";
    /// Delivered only to receivers online now, never stored (REST `MsgLifeTime` 0 /
    /// `OnlineOnlyFlag` 1).
    online_user_only: bool = false, param "onlineUserOnly", shown "isOnlineOnly";
    /// What an offline push shows (REST `OfflinePushInfo`). Boxed: most messages have none,
    /// and inline it would double the size of every message.
    offline_push_info: Option<Box<OfflinePushInfo>> = None, param "offlinePushInfo", shown "offlinePushInfo";
    /// Ask receivers for read receipts (REST `IsNeedReadReceipt` / `NeedReadReceipt`).
    need_read_receipt: bool = false, param "needReadReceipt", shown "needReadReceipt";
    /// Not counted as unread (REST `SendMsgControl: NoUnread`).
    is_excluded_from_unread_count: bool = false, param "isExcludedFromUnreadCount", shown "isExcludedFromUnreadCount";
    /// Not the conversation's last message (REST `SendMsgControl: NoLastMsg`).
    is_excluded_from_last_message: bool = false, param "isExcludedFromLastMessage", shown "isExcludedFromLastMessage";
    /// Message extensions allowed (REST `SupportMessageExtension`).
    is_support_message_extension: bool = false, param "isSupportMessageExtension", shown "isSupportMessageExtension";
    /// Data stored with the message in the cloud, seen by receivers (REST `CloudCustomData`;
    /// "" counts as not given).
    cloud_custom_data: Option<String> = None, param "cloudCustomData", shown "cloudCustomData",
        patch "nonempty_patch";
}
