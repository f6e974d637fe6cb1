//! What each channel event does: the message or receipt it carries is committed with its cursor
//! (by the store's writer, in order), then reported to the listener.

use super::Shared;
use crate::model::conversation::Conversation;
use crate::model::receipt::Receipt;
use crate::model::{msg_id, Message, MessageStatus, Profile};
use crate::store::Received;
use serde::Serialize;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use v2im_wire::channel::{
    C2cMsgEvent, C2cReadEvent, C2cReceiptEvent, ConversationEvent, Event, GroupMsgEvent,
    GroupReceiptEvent, HelloEvent, ReadMarkEvent,
};

/// `onRecvNewMessage` data.
#[derive(Serialize)]
struct NewMessage<'a> {
    message: &'a Message,
    /// Given again after a restart: the listener may have had it before the process ended.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    redelivered: bool,
}

/// Handles the events of one channel session.
pub(super) struct Handler<'a> {
    sh: &'a Shared,
    broken: Arc<AtomicBool>,
    /// The last total unread count reported (`onTotalUnreadMessageCountChanged` only on change).
    total_unread: Arc<AtomicI64>,
}

impl<'a> Handler<'a> {
    pub(super) fn new(sh: &'a Shared, broken: Arc<AtomicBool>) -> Handler<'a> {
        Handler {
            sh,
            broken,
            total_unread: Arc::new(AtomicI64::new(-1)),
        }
    }

    pub(super) fn handle(&mut self, event: Event) {
        let self_user = self.sh.user_id.as_str();
        match event {
            Event::C2cMsg(C2cMsgEvent {
                cursor,
                online_only_flag,
                msg,
                nick,
                face_url,
            }) => {
                let mut m = Message::from_roam(&msg, self_user);
                m.options.online_user_only = online_only_flag == 1;
                m.profile = Profile::boxed(nick, face_url);
                self.message(m, cursor);
            }
            Event::GroupMsg(GroupMsgEvent {
                cursor,
                online_only_flag,
                group_id,
                msg,
                nick,
                face_url,
            }) => {
                let mut m = Message::from_group_msg(&msg, &group_id, self_user);
                m.options.online_user_only = online_only_flag == 1;
                m.profile = Profile::boxed(nick, face_url);
                self.message(m, cursor);
            }
            Event::C2cRead(C2cReadEvent {
                cursor,
                peer_account,
                msg_read_time,
            }) => {
                let receipt = Receipt::c2c(String::new(), peer_account, msg_read_time);
                self.report(Some(cursor), "onRecvC2CReadReceipt", vec![receipt]);
            }
            Event::C2cReceipt(C2cReceiptEvent {
                cursor,
                peer_account,
                msg_key_list,
                msg_read_time,
            }) => {
                let receipts = msg_key_list
                    .iter()
                    .map(|key| Receipt::c2c(msg_id::c2c(key), peer_account.clone(), msg_read_time))
                    .collect();
                self.report(Some(cursor), "onRecvMessageReadReceipts", receipts);
            }
            Event::GroupReceipt(GroupReceiptEvent {
                cursor,
                group_id,
                msg_seq,
                msg_random,
                msg_time_stamp,
                read_num,
                unread_num,
            }) => {
                let receipt = Receipt::group(
                    msg_id::group(msg_seq, msg_random, msg_time_stamp),
                    group_id,
                    read_num,
                    unread_num,
                );
                self.report(Some(cursor), "onRecvMessageReadReceipts", vec![receipt]);
            }
            // A read mark made elsewhere only moves the cursor here; the conversation's new
            // state follows as its own event.
            Event::ReadMark(ReadMarkEvent { cursor, .. }) => self.sh.store.received(Received {
                msg: None,
                cursor: Some(cursor),
                after: None,
            }),
            Event::Conversation(ConversationEvent {
                item,
                all_unread_msg_num,
            }) => self.conversation(
                Conversation::from_session(&item, self_user),
                all_unread_msg_num,
            ),
            Event::Hello(HelloEvent { .. }) | Event::Ping | Event::Unknown => {}
        }
    }

    /// A received message: recorded and reported, unless it is this client's own send or one
    /// already received.
    fn message(&self, mut m: Message, cursor: Option<u64>) {
        let sh = self.sh;
        m.status = MessageStatus::SendSucc;
        // New to this user: unread, unless it is one of its own (sent from another client).
        m.is_read = m.is_self;
        let id = m.msg_id.clone().unwrap_or_default();
        let known = sh.registry.contains(&id)
            || (m.is_self && sh.own.contains(m.random))
            || (sh.store.is_durable() && sh.store.load(&id).is_some());
        if known {
            sh.store.received(Received {
                msg: None,
                cursor,
                after: None,
            });
            return;
        }
        let m = Arc::new(m);
        sh.registry.insert_shared(m.clone());
        let (dispatch, store, broken) =
            (sh.dispatch.clone(), sh.store.clone(), self.broken.clone());
        let msg = m.clone();
        let after = move |ok: bool| {
            if !ok {
                broken.store(true, Ordering::SeqCst);
                return;
            }
            let data = NewMessage {
                message: &msg,
                redelivered: false,
            };
            match cursor {
                // Recorded as seen once the listener had it (see `redeliver`).
                Some(c) => dispatch.event_held_then(
                    "onRecvNewMessage",
                    &data,
                    Box::new(move || store.notified(c)),
                ),
                None => dispatch.event_held("onRecvNewMessage", || data),
            }
        };
        sh.store.received(Received {
            // Online-only messages are never kept: not here either.
            msg: cursor.is_some().then_some(m),
            cursor,
            after: Some(Box::new(after)),
        });
    }

    /// Receipts: committed with their cursor, then given to the listener.
    fn report(&self, cursor: Option<u64>, event: &'static str, receipts: Vec<Receipt>) {
        let (dispatch, broken) = (self.sh.dispatch.clone(), self.broken.clone());
        self.sh.store.received(Received {
            msg: None,
            cursor,
            after: Some(Box::new(move |ok| {
                if ok {
                    dispatch.event_held(event, || receipts);
                } else {
                    broken.store(true, Ordering::SeqCst);
                }
            })),
        });
    }

    /// A conversation's new state, after the events before it are reported.
    fn conversation(&self, conv: Conversation, total: i64) {
        let (dispatch, last_total) = (self.sh.dispatch.clone(), self.total_unread.clone());
        self.sh.store.received(Received {
            msg: None,
            cursor: None,
            after: Some(Box::new(move |_| {
                dispatch.event("onConversationChanged", || [&conv]);
                if last_total.swap(total, Ordering::SeqCst) != total {
                    dispatch.event(
                        "onTotalUnreadMessageCountChanged",
                        || json!({ "totalUnreadCount": total }),
                    );
                }
            })),
        });
    }
}

/// Gives the listener again the received messages whose event it may not have had when the
/// process ended (committed after the last one it is known to have had).
pub(super) fn redeliver(sh: &Shared) {
    let list = match sh.store.unnotified() {
        Ok(l) => l,
        Err(e) => {
            sh.dispatch.log(crate::config::LogLevel::Error, || {
                format!("receive: received messages of an earlier run not read back: {e}")
            });
            return;
        }
    };
    for (cursor, m) in list {
        let m = Arc::new(m);
        sh.registry.insert_shared(m.clone());
        let store = sh.store.clone();
        let data = NewMessage {
            message: &m,
            redelivered: true,
        };
        sh.dispatch.event_held_then(
            "onRecvNewMessage",
            &data,
            Box::new(move || store.notified(cursor)),
        );
    }
}
