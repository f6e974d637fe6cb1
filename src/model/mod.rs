//! The V2TIM message model: messages, elements, enums and offline push info, their V2TIM JSON
//! (camelCase, V2TIM's enum values) and their REST v4 form.

pub mod args;
pub mod at;
pub mod elem;
pub mod media;
pub mod message;
pub mod msg_id;
pub mod priority;
pub mod push;
mod rest;
pub mod status;

#[cfg(test)]
pub(crate) mod tests;

pub use at::AT_ALL_TAG;
pub use elem::{Elem, MergerElem};
pub use media::{FileElem, Image, ImageElem, ImageKind, LocalFiles, SoundElem, VideoElem};
pub use message::Message;
pub use priority::Priority;
pub use push::OfflinePushInfo;
pub use status::{ElemType, MessageStatus};
