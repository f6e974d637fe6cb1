//! The V2TIM message model: messages, elements, enums, send options and offline push info, their
//! V2TIM JSON (camelCase, V2TIM's enum values) and their REST v4 form.

pub(crate) mod at;
pub(crate) mod conversation;
pub(crate) mod elem;
mod json_object;
pub(crate) mod media;
pub(crate) mod message;
pub(crate) mod msg_id;
pub(crate) mod options;
pub(crate) mod priority;
pub(crate) mod push;
pub(crate) mod receipt;
mod rest;
pub(crate) mod status;

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
pub(crate) mod tests;

pub(crate) use elem::{Elem, MergerElem};
pub(crate) use media::{FileElem, Image, ImageElem, ImageKind, LocalFiles, SoundElem, VideoElem};
pub(crate) use message::{Message, Profile};
pub(crate) use options::{SendOptions, SendOptionsPatch};
pub(crate) use priority::Priority;
pub(crate) use push::OfflinePushInfo;
pub(crate) use status::MessageStatus;
