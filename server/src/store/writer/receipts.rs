//! Read receipts: `group_msg_receipt` (a member has read group messages sent with
//! `NeedReadReceipt`) and `c2c_msg_read_receipt` (a receiver has read C2C messages sent with
//! `IsNeedReadReceipt`). Each reader counts once per message; the sender hears of every change
//! through its inbox.

use rusqlite::{params, OptionalExtension};
use v2im_wire::c2c::MsgKeyError;
use v2im_wire::channel::{Event, GroupReceiptEvent};
use v2im_wire::codes;
use v2im_wire::group::GroupMsgReceipt;

use super::{conv_key, group_not_found, Writer};
use crate::error::{ApiError, ApiResult};
use crate::store::read::c2c_ids_by_key;

/// The item of a message with no receipt information (absent, online-only, sent without
/// `NeedReadReceipt`, or targeted at others).
fn no_receipt(msg_seq: u64) -> GroupMsgReceipt {
    GroupMsgReceipt {
        code: codes::GROUP_RECEIPT_NOT_FOUND,
        msg_seq,
        read_num: 0,
        unread_num: 0,
    }
}

impl Writer {
    pub(super) fn group_msg_receipt(
        &mut self,
        group_id: &str,
        reader: &str,
        seqs: &[u64],
        now: i64,
    ) -> rusqlite::Result<ApiResult<Vec<GroupMsgReceipt>>> {
        let Some(g) = self.groups.get(group_id) else {
            return Ok(Err(group_not_found(group_id)));
        };
        if !g.members.contains(reader) {
            return Ok(Err(ApiError::new(
                codes::GROUP_PERMISSION_DENY,
                format!("{reader:?} is not a member of group {group_id:?}"),
            )));
        }
        // A member counts for the messages sent after it joined.
        let join_seq: i64 = self
            .conn
            .prepare_cached(
                "SELECT join_seq FROM group_members WHERE group_id = ?1 AND user_id = ?2",
            )?
            .query_row([group_id, reader], |r| r.get(0))?;
        let mut out = Vec::with_capacity(seqs.len());
        for &seq in seqs {
            let row = self
                .conn
                .prepare_cached(
                    "SELECT id, from_acc, need_receipt, receipt_total, random, msg_time, to_accounts FROM group_msgs
                     WHERE group_id = ?1 AND seq = ?2 AND online_only = 0",
                )?
                .query_row(params![group_id, seq.min(i64::MAX as u64) as i64], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, u32>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                })
                .optional()?;
            let Some((id, from, need, total, random, time, targets)) = row else {
                out.push(no_receipt(seq));
                continue;
            };
            let targeted_elsewhere = targets.as_deref().is_some_and(|t| {
                from != reader
                    && !serde_json::from_str::<Vec<String>>(t)
                        .unwrap_or_default()
                        .iter()
                        .any(|x| x == reader)
            });
            if need != Some(1) || targeted_elsewhere {
                out.push(no_receipt(seq));
                continue;
            }
            // The sender's own reading, and a member's that joined later, do not count.
            let counts = from != reader && (seq as i64) > join_seq;
            let added = counts
                && self
                    .conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO group_receipts(msg_id, reader, time) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![id, reader, now])?
                    > 0;
            let read: i64 = self
                .conn
                .prepare_cached("SELECT COUNT(*) FROM group_receipts WHERE msg_id = ?1")?
                .query_row([id], |r| r.get(0))?;
            let unread = (total.unwrap_or(0) - read).max(0);
            if added {
                let gid = group_id.to_string();
                self.group_receipt_event(&from, now, |cursor| {
                    Event::GroupReceipt(GroupReceiptEvent {
                        cursor,
                        group_id: gid,
                        msg_seq: seq,
                        msg_random: random,
                        msg_time_stamp: time,
                        read_num: read,
                        unread_num: unread,
                    })
                })?;
            }
            out.push(GroupMsgReceipt {
                code: 0,
                msg_seq: seq,
                read_num: read,
                unread_num: unread,
            });
        }
        Ok(Ok(out))
    }

    pub(super) fn c2c_receipt(
        &mut self,
        operator: &str,
        peer: &str,
        keys: Vec<String>,
        now: i64,
    ) -> rusqlite::Result<ApiResult<Vec<MsgKeyError>>> {
        for a in [operator, peer] {
            if !self.accounts.contains(a) {
                return Ok(Err(ApiError::new(
                    codes::ACCOUNT_NOT_EXIST,
                    format!("{a:?} is not an imported account"),
                )));
            }
        }
        let (lo, hi) = conv_key(operator, peer);
        let mut receipted = Vec::new();
        let mut errors = Vec::new();
        for key in keys {
            let mut rows: Vec<(i64, Option<i64>, Option<i64>)> = Vec::new();
            for id in c2c_ids_by_key(&self.conn, &lo, &hi, &key)? {
                let row = self
                    .conn
                    .prepare_cached(
                        "SELECT need_receipt, receipt_time FROM c2c_msgs
                         WHERE id = ?1 AND from_acc = ?2 AND to_acc = ?3 AND online_only = 0",
                    )?
                    .query_row(params![id, peer, operator], |r| {
                        Ok((id, r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                rows.extend(row);
            }
            let wanted: Vec<_> = rows
                .iter()
                .filter(|(_, need, _)| *need == Some(1))
                .collect();
            if wanted.is_empty() {
                errors.push(MsgKeyError {
                    msg_key: key,
                    error_code: codes::GROUP_RECEIPT_NOT_FOUND,
                });
                continue;
            }
            let mut fresh = false;
            for (id, _, time) in wanted {
                if time.is_none() {
                    self.conn
                        .prepare_cached("UPDATE c2c_msgs SET receipt_time = ?2 WHERE id = ?1")?
                        .execute(params![id, now])?;
                    fresh = true;
                }
            }
            // Each message is receipted once; a repeat is no news.
            if fresh && !receipted.contains(&key) {
                receipted.push(key);
            }
        }
        if !receipted.is_empty() {
            self.c2c_receipt_event(operator, peer, receipted, now)?;
        }
        Ok(Ok(errors))
    }
}
