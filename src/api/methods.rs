//! The method table of `v2im_call`: every method declared once, with how it runs, what the store
//! keeps of it and which keys its params have. Dispatch looks methods up here; tests hold the
//! reference (docs/README.md and a page per method) and the header's method list against it.

use super::{cancel, conversations, create, history, local, read, send, Ctx, LocalData, Reply};
use crate::codes::Result;
use crate::params::Params;
use crate::registry::Registry;

/// What a local method needs: the client's messages and its user.
#[derive(Clone, Copy)]
pub(crate) struct Local<'a> {
    pub registry: &'a Registry,
    pub self_user: &'a str,
}

/// How a method runs.
#[derive(Clone, Copy)]
pub(crate) enum Run {
    /// On the calling thread: its callback runs before `v2im_call` returns.
    Local(fn(Local<'_>, &Params<'_>) -> Result<LocalData>),
    /// On a sender thread; it completes through the [`Reply`] on the callback thread.
    Network(fn(&Ctx, &Params<'_>, Reply)),
}

/// What the local store keeps of a local method's success.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Keeps {
    /// Nothing.
    Nothing,
    /// The created message, written without waiting: only an accepted send is owed durability.
    Created,
    /// The message named by `msgID`, committed before the callback (with a `dataDir`).
    Changed,
}

/// One method.
pub(crate) struct Method {
    /// V2TIM's name.
    pub name: &'static str,
    pub run: Run,
    pub keeps: Keeps,
    /// Every key its params may have (`@extra` aside): any other is refused.
    pub keys: fn() -> &'static [&'static str],
}

macro_rules! method {
    ($name:literal, local $f:path, $keeps:ident, $params:ty) => {
        Method {
            name: $name,
            run: Run::Local($f),
            keeps: Keeps::$keeps,
            keys: crate::params::fields_of::<$params>,
        }
    };
    ($name:literal, network $f:path, $params:ty) => {
        Method {
            name: $name,
            run: Run::Network($f),
            keeps: Keeps::Nothing,
            keys: crate::params::fields_of::<$params>,
        }
    };
    ($name:literal, network $f:path, keys $keys:path) => {
        Method {
            name: $name,
            run: Run::Network($f),
            keeps: Keeps::Nothing,
            keys: $keys,
        }
    };
}

/// Every method, in the order the documentation lists them.
pub(crate) static METHODS: &[Method] = &[
    method!("createTextMessage", local create::text, Created, create::TextParams),
    method!("createCustomMessage", local create::custom, Created, create::CustomParams),
    method!("createLocationMessage", local create::location, Created, create::LocationParams),
    method!("createFaceMessage", local create::face, Created, create::FaceParams),
    method!("createTextAtMessage", local create::text_at, Created, create::TextAtParams),
    method!("createAtSignedGroupMessage", local create::at_signed, Created, create::AtSignedParams),
    method!("createTargetedGroupMessage", local create::targeted, Created, create::TargetedParams),
    method!("createForwardMessage", local create::forward, Created, create::ForwardParams),
    method!("createMergerMessage", local create::merger, Created, create::MergerParams),
    method!("createImageMessage", local create::image, Created, create::ImageParams),
    method!("createSoundMessage", local create::sound, Created, create::SoundParams),
    method!("createVideoMessage", local create::video, Created, create::VideoParams),
    method!("createFileMessage", local create::file, Created, create::FileParams),
    method!("sendMessage", network send::send_message, keys send::param_keys),
    method!("findMessages", local local::find_messages, Nothing, local::FindParams),
    method!("setLocalCustomData", local local::set_local_custom_data, Changed, local::SetLocalParams),
    method!("getC2CHistoryMessageList", network history::c2c, history::C2cParams),
    method!("getGroupHistoryMessageList", network history::group, history::GroupParams),
    method!("cancelSendMessage", network cancel::cancel, cancel::CancelParams),
    // The receiving side.
    method!("getConversationList", network conversations::get_conversation_list, conversations::ListParams),
    method!("getTotalUnreadMessageCount", network conversations::get_total_unread_message_count, conversations::NoParams),
    method!("markC2CMessageAsRead", network read::mark_c2c_message_as_read, read::C2cParams),
    method!("markGroupMessageAsRead", network read::mark_group_message_as_read, read::GroupParams),
    method!("sendMessageReadReceipts", network read::send_message_read_receipts, read::ListParams),
    method!("getMessageReadReceipts", network read::get_message_read_receipts, read::ListParams),
];

/// The method called `name`.
pub(crate) fn find(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.name == name)
}
