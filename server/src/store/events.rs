//! The reading side of the inbox: where a channel starts, and its events after a cursor as lines
//! of the stream, built from the stored messages when delivered (in the shapes of the history
//! commands), followed by the state of every conversation they touched.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use v2im_wire::channel::{
    C2cMsgEvent, C2cReadEvent, C2cReceiptEvent, ConversationEvent, Event, GroupMsgEvent,
    ReadMarkEvent,
};
use v2im_wire::codes;

use super::conv::{self, Conv};
use super::read::{group_msg, profile, read_id, roam_msg, GROUP_COLS, ROAM_COLS};
use crate::error::{ApiError, ApiResult};

/// What an inbox row holds (`inbox.kind`).
pub(crate) mod kind {
    /// A C2C message: `ref_id` is its `c2c_msgs` row.
    pub(crate) const C2C_MSG: i64 = 1;
    /// A group message: `ref_id` is its `group_msgs` row.
    pub(crate) const GROUP_MSG: i64 = 2;
    /// The others keep their line in `data`.
    pub(crate) const C2C_READ: i64 = 3;
    pub(crate) const READ_MARK: i64 = 4;
    pub(crate) const GROUP_RECEIPT: i64 = 5;
    pub(crate) const C2C_RECEIPT: i64 = 6;
}

/// The floor of `account`: the newest of its events removed by retention (0: none).
fn floor(conn: &Connection, account: &str) -> rusqlite::Result<u64> {
    Ok(conn
        .prepare_cached("SELECT floor FROM inbox_floor WHERE account = ?1")?
        .query_row([account], |r| r.get::<_, i64>(0))
        .optional()?
        .unwrap_or(0) as u64)
}

/// Where a channel of `account` starts: right after `cursor`, which must be one this server
/// issued and kept the events after; without one, after the account's newest event (from now
/// on).
pub(crate) fn start(conn: &mut Connection, account: &str, cursor: Option<u64>) -> ApiResult<u64> {
    let tx = conn.transaction()?;
    let floor = floor(&tx, account)?;
    let newest: u64 = tx
        .prepare_cached("SELECT MAX(id) FROM inbox WHERE account = ?1")?
        .query_row([account], |r| r.get::<_, Option<i64>>(0))?
        .unwrap_or(0) as u64;
    let Some(c) = cursor else {
        return Ok(newest.max(floor));
    };
    let issued: i64 = tx.query_row(
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM inbox), 0), COALESCE((SELECT MAX(floor) FROM inbox_floor), 0))",
        [],
        |r| r.get(0),
    )?;
    if c > issued as u64 {
        return Err(ApiError::new(
            codes::CHANNEL_CURSOR_GONE,
            format!("cursor {c} was never issued by this server (its newest is {issued}): resync from history and reconnect without a cursor"),
        ));
    }
    if floor > c {
        return Err(ApiError::new(
            codes::CHANNEL_CURSOR_GONE,
            format!("the events after cursor {c} up to {floor} are no longer kept: resync from history and reconnect without a cursor"),
        ));
    }
    Ok(c)
}

/// A page of a channel's events.
#[derive(Debug, Default)]
pub(crate) struct Page {
    /// The lines: events, then `Conversation` events (empty when every row named a message
    /// that no longer exists).
    pub bytes: Vec<u8>,
    /// The cursor of the last row read (delivery continues after it).
    pub last: u64,
    /// Whether rows were read at all.
    pub any: bool,
    /// Whether more rows may follow right away.
    pub more: bool,
}

/// How much one page holds.
pub(crate) struct PageLimits {
    pub rows: usize,
    /// The page stops after the event that reaches this many bytes.
    pub bytes: usize,
}

/// The C2C read marks of one account, read once per page.
struct Reads<'a> {
    conn: &'a Connection,
    owner: &'a str,
    cache: HashMap<String, (i64, i64)>,
}

impl Reads<'_> {
    /// (what the owner has read of `peer`, what `peer` has read of the owner).
    fn of(&mut self, peer: &str) -> rusqlite::Result<(i64, i64)> {
        if let Some(r) = self.cache.get(peer) {
            return Ok(*r);
        }
        let r = (
            read_id(self.conn, self.owner, peer)?,
            read_id(self.conn, peer, self.owner)?,
        );
        self.cache.insert(peer.to_string(), r);
        Ok(r)
    }
}

/// Senders' profiles, read once per page.
struct Profiles<'a> {
    conn: &'a Connection,
    cache: HashMap<String, (Option<String>, Option<String>)>,
}

impl Profiles<'_> {
    fn of(&mut self, user: &str) -> rusqlite::Result<(Option<String>, Option<String>)> {
        if let Some(p) = self.cache.get(user) {
            return Ok(p.clone());
        }
        let p = profile(self.conn, user)?;
        self.cache.insert(user.to_string(), p.clone());
        Ok(p)
    }
}

/// `account`'s events after `after`, as stream lines, and then one `Conversation` line for each
/// conversation they or the lines sent just before (`due`) touched: all read in one snapshot.
pub(crate) fn page(
    conn: &mut Connection,
    account: &str,
    after: u64,
    limits: &PageLimits,
    due: Vec<Conv>,
) -> ApiResult<Page> {
    let tx = conn.transaction()?;
    let rows: Vec<(i64, i64, Option<i64>, Option<String>)> = tx
        .prepare_cached(
            "SELECT id, kind, ref_id, data FROM inbox WHERE account = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )?
        .query_map(
            params![account, after.min(i64::MAX as u64) as i64, limits.rows as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let mut page = Page {
        last: after,
        any: !rows.is_empty(),
        more: rows.len() >= limits.rows,
        ..Page::default()
    };
    let mut touched = due;
    let mut reads = Reads {
        conn: &tx,
        owner: account,
        cache: HashMap::new(),
    };
    let mut profiles = Profiles {
        conn: &tx,
        cache: HashMap::new(),
    };
    let n = rows.len();
    for (i, (id, kind, ref_id, data)) in rows.into_iter().enumerate() {
        page.last = id as u64;
        let cursor = Some(id as u64);
        let (line, conv) = match (kind, ref_id, data) {
            (kind::C2C_MSG, Some(m), _) => {
                let row = tx
                    .prepare_cached(&format!("SELECT {ROAM_COLS} FROM c2c_msgs WHERE id = ?1"))?
                    .query_row([m], |r| {
                        let from: String = r.get(1)?;
                        let to: String = r.get(2)?;
                        let peer = if from == account { to } else { from };
                        let reads = reads.of(&peer)?;
                        Ok((peer, roam_msg(r, account, reads)?))
                    })
                    .optional()?;
                let Some((peer, msg)) = row else { continue };
                let (nick, face_url) = profiles.of(&msg.from_account)?;
                let event = Event::C2cMsg(C2cMsgEvent {
                    cursor,
                    online_only_flag: 0,
                    msg,
                    nick,
                    face_url,
                });
                (serde_json::to_vec(&event), Some(Conv::C2c(peer)))
            }
            (kind::GROUP_MSG, Some(m), _) => {
                let row = tx
                    .prepare_cached(&format!(
                        "SELECT {GROUP_COLS}, group_id FROM group_msgs WHERE id = ?1"
                    ))?
                    .query_row([m], |r| Ok((group_msg(r)?, r.get::<_, String>(13)?)))
                    .optional()?;
                // Gone with its group.
                let Some((msg, group_id)) = row else { continue };
                let (nick, face_url) = profiles.of(&msg.from_account)?;
                let event = Event::GroupMsg(GroupMsgEvent {
                    cursor,
                    online_only_flag: 0,
                    group_id: group_id.clone(),
                    msg,
                    nick,
                    face_url,
                });
                (serde_json::to_vec(&event), Some(Conv::Group(group_id)))
            }
            (_, _, Some(data)) => {
                let conv = match serde_json::from_str::<Event>(&data) {
                    Ok(Event::C2cRead(C2cReadEvent { peer_account, .. }))
                    | Ok(Event::C2cReceipt(C2cReceiptEvent { peer_account, .. })) => {
                        Some(Conv::C2c(peer_account))
                    }
                    Ok(Event::ReadMark(ReadMarkEvent {
                        peer_account: Some(p),
                        ..
                    })) => Some(Conv::C2c(p)),
                    Ok(Event::ReadMark(ReadMarkEvent {
                        group_id: Some(g), ..
                    })) => Some(Conv::Group(g)),
                    _ => None,
                };
                (Ok(data.into_bytes()), conv)
            }
            _ => continue,
        };
        let line = line.map_err(|e| {
            ApiError::new(
                codes::INTERNAL_70500,
                format!("cannot encode an event: {e}"),
            )
        })?;
        page.bytes.extend_from_slice(&line);
        page.bytes.push(b'\n');
        if let Some(c) = conv {
            if !touched.contains(&c) {
                touched.push(c);
            }
        }
        if page.bytes.len() >= limits.bytes {
            page.more = page.more || i + 1 < n;
            break;
        }
    }
    if !touched.is_empty() {
        let total = conv::total_unread(&tx, account)?;
        for c in &touched {
            let Some(item) = conv::item(&tx, account, c)? else {
                continue;
            };
            let event = Event::Conversation(ConversationEvent {
                item,
                all_unread_msg_num: total,
            });
            let line = serde_json::to_vec(&event).map_err(|e| {
                ApiError::new(
                    codes::INTERNAL_70500,
                    format!("cannot encode an event: {e}"),
                )
            })?;
            page.bytes.extend_from_slice(&line);
            page.bytes.push(b'\n');
        }
    }
    Ok(page)
}
