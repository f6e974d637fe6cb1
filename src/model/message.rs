//! `V2TimMessage`: what the registry keeps per message and what every result shows.

use super::elem::{elem_entry_key, Elem, ElemJson, WireView};
use super::json_object::{key, serialize_object, JsonObject};
use super::options::SendOptions;
use super::status::{ElemType, MessageStatus};
use serde::ser::{Serialize, Serializer};
use serde_json::Value;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// One message, created locally or read from history.
///
/// Kept lean on purpose: 100,000 queued messages must fit in 100 MB. The sender's `nickName` and
/// `faceUrl` are kept (boxed, one pointer when absent) only for received messages whose server
/// sends them (v2im-server's live channel); V2TIM's other profile fields (`friendRemark`,
/// `nameCard`, `messageFromWeb`) have no source in v2im and show as `null`.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Local create-id, unique in the process and never reused (`"v2im-<n>"`). Messages read from
    /// history carry their `msgID` here.
    pub id: String,
    /// The server-side id, once sent (see [`super::msg_id`]).
    pub msg_id: Option<String>,
    /// Elements; the first decides `elemType`.
    pub elems: Vec<Elem>,
    /// `status`.
    pub status: MessageStatus,
    /// `progress`, 0..=100 (100 for elements without an upload).
    pub progress: i32,
    /// `sender`: the sending userID (`From_Account`). Shared: most messages of a client are its
    /// user's, and 100,000 queued messages need not hold 100,000 copies of the name.
    pub sender: Arc<str>,
    /// Peer of a one-to-one message.
    pub user_id: Option<String>,
    /// `groupID` of a group message.
    pub group_id: Option<String>,
    /// Unix seconds: local time at creation, the server's time once sent.
    pub timestamp: i64,
    /// V2TIM `seq`: the group's MsgSeq, or the MsgSeq v2im sent for a C2C message.
    pub seq: Option<String>,
    /// `MsgRandom` / `Random`; chosen at creation and kept across retries so the server can
    /// drop duplicates.
    pub random: u32,
    /// `isSelf`: sent by this client's user.
    pub is_self: bool,
    /// `isRead`.
    pub is_read: bool,
    /// `isPeerRead` (C2C history's `IsPeerRead`).
    pub is_peer_read: bool,
    /// Local only: never part of any request.
    pub local_custom_data: Option<String>,
    /// `localCustomInt`: local only.
    pub local_custom_int: i64,
    /// @ targets, V2TIM spelling of the @-all tag.
    pub group_at_user_list: Vec<String>,
    /// Targeted group receivers.
    pub target_group_member_list: Vec<String>,
    /// The target list was made by `sendMessage`'s receiver + groupID (not by
    /// `createTargetedGroupMessage`), so a re-send after a failure may choose another target.
    pub target_from_receiver: bool,
    /// The options of `sendMessage` (priority, online only, push info, ...).
    pub options: SendOptions,
    /// Made by `createForwardMessage` / `createMergerMessage`; may be sent more than once.
    pub is_forward_message: bool,
    /// The C2C `MsgSeq` v2im sends, chosen at the first send and kept across retries.
    pub wire_seq: u32,
    /// How many times `sendMessage` accepted this message (0 = created, never sent).
    pub send_count: u32,
    /// The sender's profile, when the server gave it with a received message.
    pub profile: Option<Box<Profile>>,
}

/// The sender's `nickName` and `faceUrl`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
}

impl Profile {
    /// `None` when neither is known.
    pub fn boxed(nick_name: Option<String>, face_url: Option<String>) -> Option<Box<Profile>> {
        (nick_name.is_some() || face_url.is_some()).then(|| {
            Box::new(Profile {
                nick_name,
                face_url,
            })
        })
    }
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `sender` as an `Arc<str>`, the same one as the last time this thread asked for this name
/// (a thread creates or reads most of its messages for one user).
fn shared_sender(sender: &str) -> Arc<str> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<Arc<str>>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some(s) if **s == *sender => s.clone(),
            _ => {
                let s: Arc<str> = sender.into();
                *last = Some(s.clone());
                s
            }
        }
    })
}

impl Message {
    /// A freshly created message of `sender`: status 1 (V2TIM gives created messages
    /// `V2TIM_MSG_STATUS_SENDING`), progress 100 (no upload), local time, a new random.
    pub fn new(id: String, elems: Vec<Elem>, sender: &str) -> Message {
        Message {
            id,
            msg_id: None,
            elems,
            status: MessageStatus::Sending,
            progress: 100,
            sender: shared_sender(sender),
            user_id: None,
            group_id: None,
            timestamp: now_secs(),
            seq: None,
            random: fastrand::u32(..),
            is_self: true,
            is_read: true,
            is_peer_read: false,
            local_custom_data: None,
            local_custom_int: 0,
            group_at_user_list: Vec::new(),
            target_group_member_list: Vec::new(),
            target_from_receiver: false,
            options: SendOptions::default(),
            is_forward_message: false,
            wire_seq: 0,
            send_count: 0,
            profile: None,
        }
    }

    /// The type of the first element (NONE for an empty message).
    pub fn elem_type(&self) -> ElemType {
        self.elems
            .first()
            .map(Elem::elem_type)
            .unwrap_or(ElemType::None)
    }

    /// Every key of V2TIM's `V2TimMessage` (`null` where it does not apply; the list is
    /// `tests/v2tim_message_keys.json`), plus `targetGroupMemberList`, `isForwardMessage`,
    /// `isOnlineOnly`, `isSupportMessageExtension` and `elemList` (every element with its
    /// `elemType`, as V2TIM's Flutter SDK 8 has it; the merger shown under
    /// `mergerElem` appears there without its `messageList`). Each `xxxElem` key holds the first
    /// element of that kind.
    ///
    /// `Message` also implements `Serialize` with the same output, which is cheaper when the JSON
    /// goes straight into a string.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Tencent's 12 KB rule: the byte length of the REST `MsgBody` JSON.
    pub fn body_bytes(&self) -> usize {
        let mut n = ByteCount(0);
        // Writing into a counter cannot fail, and wire types always serialise.
        let _ = serde_json::to_writer(&mut n, &BodyView(&self.elems));
        n.0
    }

    /// Merger nesting depth of this message (0 when it holds no merger).
    pub fn merger_layers(&self) -> usize {
        self.elems
            .iter()
            .map(|e| match e {
                Elem::Merger(m) => m.layers(),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }

    /// A new message with this one's elements (for forward and targeted copies): fresh id and
    /// random, created state, no send options.
    pub fn copy_elems(&self, id: String, sender: &str) -> Message {
        Message::new(id, self.elems.clone(), sender)
    }
}

/// The REST `MsgBody` of borrowed elements.
struct BodyView<'a>(&'a [Elem]);

impl Serialize for BodyView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(WireView))
    }
}

/// Counts bytes written (the body size without keeping the body).
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The message's first element of each type, by [`ElemType`] number: one pass over the
/// elements for the ten `xxxElem` keys.
fn first_of_each(elems: &[Elem]) -> [Option<&Elem>; ElemType::Merger as usize + 1] {
    let mut first = [None; ElemType::Merger as usize + 1];
    for e in elems.iter().rev() {
        first[e.elem_type() as usize] = Some(e);
    }
    first
}

/// `xxxElem`: the message's first element of its type, or `null`.
fn write_first(first: Option<&Elem>, out: &mut Vec<u8>) {
    match first {
        Some(elem) => ElemJson {
            elem,
            with_messages: true,
        }
        .write_json(out),
        None => out.extend_from_slice(b"null"),
    }
}

/// `elemList`: every element; the merger shown under `mergerElem` without its `messageList`.
fn write_elem_list(elems: &[Elem], out: &mut Vec<u8>) {
    let first_merger = elems.iter().position(|e| matches!(e, Elem::Merger(_)));
    out.push(b'[');
    for (i, elem) in elems.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        ElemJson {
            elem,
            with_messages: Some(i) != first_merger,
        }
        .write_json(out);
    }
    out.push(b']');
}

impl Message {
    /// The `V2TimMessage` JSON written into `out`: results write it where it goes, without a
    /// buffer of its own (the `Serialize` impl needs one).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        let mut m = JsonObject::new(out);
        self.write_entries(&mut m);
        m.end();
    }

    /// The `V2TimMessage`'s keys, in its order.
    fn write_entries(&self, m: &mut JsonObject<'_>) {
        const NULL: Option<&str> = None;
        let first = first_of_each(&self.elems);
        let elem = |m: &mut JsonObject<'_>, t: ElemType| {
            m.entry_with(elem_entry_key(t), |o| write_first(first[t as usize], o))
        };
        elem(m, ElemType::Custom);
        m.entry(key!("elemType"), &self.elem_type().value());
        elem(m, ElemType::Face);
        let profile = self.profile.as_deref();
        m.entry(
            key!("faceUrl"),
            &profile.and_then(|p| p.face_url.as_deref()),
        );
        elem(m, ElemType::File);
        m.entry(key!("friendRemark"), &NULL);
        m.entry(key!("groupAtUserList"), &self.group_at_user_list);
        m.entry(key!("groupID"), &self.group_id);
        m.entry(key!("groupTipsElem"), &NULL);
        m.entry(key!("id"), &self.id);
        elem(m, ElemType::Image);
        m.entry(key!("isPeerRead"), &self.is_peer_read);
        m.entry(key!("isRead"), &self.is_read);
        m.entry(key!("isSelf"), &self.is_self);
        m.entry(key!("localCustomData"), &self.local_custom_data);
        m.entry(key!("localCustomInt"), &self.local_custom_int);
        elem(m, ElemType::Location);
        elem(m, ElemType::Merger);
        m.entry(key!("messageFromWeb"), &NULL);
        m.entry(key!("msgID"), &self.msg_id);
        m.entry(key!("nameCard"), &NULL);
        m.entry(
            key!("nickName"),
            &profile.and_then(|p| p.nick_name.as_deref()),
        );
        m.entry(key!("progress"), &self.progress);
        m.entry(key!("random"), &self.random);
        m.entry(key!("sender"), &*self.sender);
        m.entry(key!("seq"), &self.seq);
        elem(m, ElemType::Sound);
        m.entry(key!("status"), &self.status.value());
        elem(m, ElemType::Text);
        m.entry(key!("timestamp"), &self.timestamp);
        m.entry(key!("userID"), &self.user_id);
        elem(m, ElemType::Video);
        // Beyond V2TIM's returned template.
        m.entry(
            key!("targetGroupMemberList"),
            &self.target_group_member_list,
        );
        m.entry(key!("isForwardMessage"), &self.is_forward_message);
        self.options.write_entries(m);
        m.entry_with(key!("elemList"), |o| write_elem_list(&self.elems, o));
    }
}

/// The `V2TimMessage` JSON (see [`Message::to_json`]).
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // About 1 KB with one text element.
        serialize_object(s, 1024, |m| self.write_entries(m))
    }
}
