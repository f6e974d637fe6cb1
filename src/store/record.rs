//! A message as one store row: the columns the store queries (id, msgID, status, pending) and
//! the whole message as JSON in `rec`.
//!
//! `rec` is our own layout, not the V2TimMessage JSON: it keeps what the public JSON does not
//! show (`wire_seq`, `send_count`, `target_from_receiver`) and stores elements in their REST form,
//! which every element kind already round-trips through. Media elements also have local files
//! their REST form does not carry (needed to upload a send resumed after a restart): those are
//! in `local_files`, one entry per element (absent in rows written before media existed). The
//! send options are flattened in under their `sendMessage` names (schema version 2; version 1
//! rows are rewritten by `schema.rs`).

use crate::model::{Elem, LocalFiles, Message, MessageStatus, Profile, SendOptions};
use serde::{Deserialize, Serialize};
use v2im_wire::MsgElement;

#[derive(Serialize, Deserialize)]
pub(crate) struct Rec {
    id: String,
    msg_id: Option<String>,
    body: Vec<MsgElement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    local_files: Vec<Option<LocalFiles>>,
    status: i32,
    progress: i32,
    sender: String,
    user_id: Option<String>,
    group_id: Option<String>,
    timestamp: i64,
    seq: Option<String>,
    random: u32,
    is_self: bool,
    is_read: bool,
    is_peer_read: bool,
    local_custom_data: Option<String>,
    local_custom_int: i64,
    group_at_user_list: Vec<String>,
    target_group_member_list: Vec<String>,
    target_from_receiver: bool,
    #[serde(flatten)]
    options: SendOptions,
    is_forward_message: bool,
    wire_seq: u32,
    send_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profile: Option<Box<Profile>>,
}

pub(crate) fn status_from_value(v: i32) -> MessageStatus {
    match v {
        2 => MessageStatus::SendSucc,
        3 => MessageStatus::SendFail,
        4 => MessageStatus::HasDeleted,
        5 => MessageStatus::LocalImported,
        6 => MessageStatus::LocalRevoked,
        _ => MessageStatus::Sending,
    }
}

/// Accepted by `sendMessage` and without an outcome yet: what a restart must resume.
pub(crate) fn is_pending(m: &Message) -> bool {
    m.status == MessageStatus::Sending && m.send_count > 0
}

impl Rec {
    pub(crate) fn of(m: &Message) -> Rec {
        Rec {
            id: m.id.clone(),
            msg_id: m.msg_id.clone(),
            body: m.elems.iter().map(Elem::to_wire).collect(),
            local_files: if m.elems.iter().any(|e| e.local_files().is_some()) {
                m.elems.iter().map(Elem::local_files).collect()
            } else {
                Vec::new()
            },
            status: m.status.value(),
            progress: m.progress,
            sender: m.sender.to_string(),
            user_id: m.user_id.clone(),
            group_id: m.group_id.clone(),
            timestamp: m.timestamp,
            seq: m.seq.clone(),
            random: m.random,
            is_self: m.is_self,
            is_read: m.is_read,
            is_peer_read: m.is_peer_read,
            local_custom_data: m.local_custom_data.clone(),
            local_custom_int: m.local_custom_int,
            group_at_user_list: m.group_at_user_list.clone(),
            target_group_member_list: m.target_group_member_list.clone(),
            target_from_receiver: m.target_from_receiver,
            options: m.options.clone(),
            is_forward_message: m.is_forward_message,
            wire_seq: m.wire_seq,
            send_count: m.send_count,
            profile: m.profile.clone(),
        }
    }

    pub(crate) fn into_message(self) -> Message {
        let mut local = self.local_files.into_iter();
        let elems = self
            .body
            .iter()
            .map(|e| {
                let mut e = Elem::from_wire_for(e, &self.sender);
                if let Some(Some(f)) = local.next() {
                    e.set_local_files(f);
                }
                e
            })
            .collect();
        let mut m = Message::new(self.id, elems, &self.sender);
        m.msg_id = self.msg_id;
        m.status = status_from_value(self.status);
        m.progress = self.progress;
        m.user_id = self.user_id;
        m.group_id = self.group_id;
        m.timestamp = self.timestamp;
        m.seq = self.seq;
        m.random = self.random;
        m.is_self = self.is_self;
        m.is_read = self.is_read;
        m.is_peer_read = self.is_peer_read;
        m.local_custom_data = self.local_custom_data;
        m.local_custom_int = self.local_custom_int;
        m.group_at_user_list = self.group_at_user_list;
        m.target_group_member_list = self.target_group_member_list;
        m.target_from_receiver = self.target_from_receiver;
        m.options = self.options;
        m.is_forward_message = self.is_forward_message;
        m.wire_seq = self.wire_seq;
        m.send_count = self.send_count;
        m.profile = self.profile;
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FileElem, Image, ImageElem, ImageKind, SoundElem, VideoElem};

    /// Media elements keep their local files through a row (before and after their upload).
    #[test]
    fn media_elements_round_trip_with_their_local_files() {
        let image = ImageElem {
            path: "/tmp/a b.png".into(),
            name: "shown.png".into(),
            format: 3,
            uuid: String::new(),
            images: vec![Image {
                kind: ImageKind::Origin,
                size: 10,
                width: 3,
                height: 2,
                url: String::new(),
            }],
        };
        let sound = SoundElem {
            path: "/s.m4a".into(),
            uuid: "u".into(),
            size: 4,
            duration: 2,
            url: "http://x/s".into(),
        };
        let video = VideoElem {
            video_path: "/v.mp4".into(),
            video_type: "mp4".into(),
            video_uuid: String::new(),
            video_size: 9,
            duration: 1,
            video_url: String::new(),
            snapshot_path: "/v.jpg".into(),
            snapshot_uuid: String::new(),
            snapshot_size: 5,
            snapshot_width: 7,
            snapshot_height: 8,
            snapshot_url: String::new(),
            snapshot_format: "jpg".into(),
        };
        let file = FileElem {
            path: "/f.bin".into(),
            file_name: "f.bin".into(),
            uuid: String::new(),
            size: 1,
            url: String::new(),
        };
        let mut m = Message::new(
            "v2im-1".into(),
            vec![
                Elem::Text { text: "t".into() },
                Elem::Image(Box::new(image)),
                Elem::Sound(Box::new(sound)),
                Elem::Video(Box::new(video)),
                Elem::File(Box::new(file)),
            ],
            "me",
        );
        m.user_id = Some("peer".into());
        let json = serde_json::to_string(&Rec::of(&m)).unwrap();
        let back: Rec = serde_json::from_str(&json).unwrap();
        assert_eq!(back.into_message(), m);
        assert!(m.elems[1].needs_upload() && !m.elems[2].needs_upload());
    }
}
