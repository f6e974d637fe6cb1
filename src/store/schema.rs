//! The store's schema and its migrations, versioned by SQLite's `user_version`.
//!
//! A database from an older version is migrated on open, one step at a time, each step in its
//! own transaction; one from a newer version (a downgrade) is refused rather than misread.

use crate::model::OfflinePushInfo;
use rusqlite::{Connection, Transaction};
use serde_json::Value;

/// The version this build writes.
pub(crate) const VERSION: i32 = 4;

/// One migration step.
enum Step {
    Sql(&'static str),
    Rust(fn(&Transaction<'_>) -> rusqlite::Result<()>),
}

/// Step `n` brings a database from version `n` to `n + 1`.
const STEPS: &[Step] = &[
    // 0 -> 1: messages.
    Step::Sql(
        "CREATE TABLE messages (
        id      TEXT PRIMARY KEY,   -- local create-id
        msg_id  TEXT,               -- server id once sent
        status  INTEGER NOT NULL,   -- V2TIM MessageStatus
        pending INTEGER NOT NULL,   -- 1: accepted by sendMessage, no outcome yet
        ord     INTEGER NOT NULL,   -- accept order (resume order)
        code    INTEGER,            -- last send outcome
        desc    TEXT,
        rec     TEXT NOT NULL       -- the whole message (record.rs)
     );
     CREATE INDEX messages_msg_id ON messages(msg_id) WHERE msg_id IS NOT NULL;
     CREATE INDEX messages_pending ON messages(ord) WHERE pending = 1;",
    ),
    // 1 -> 2: the send options of a record under their `sendMessage` names.
    Step::Rust(send_options_by_param_name),
    // 2 -> 3: received messages (their live channel cursor) and the channel's state.
    Step::Sql(
        "ALTER TABLE messages ADD COLUMN cursor INTEGER;  -- received: its channel cursor
         CREATE UNIQUE INDEX messages_cursor ON messages(cursor) WHERE cursor IS NOT NULL;
         CREATE TABLE meta (
            key   TEXT PRIMARY KEY,  -- 'cursor': last channel event committed;
                                     -- 'notified': last received message its listener saw
            value INTEGER NOT NULL
         );",
    ),
    // 3 -> 4: each message's time, for `storeRetentionDays`.
    Step::Sql(
        "ALTER TABLE messages ADD COLUMN time INTEGER;  -- the message's timestamp (seconds)
         UPDATE messages SET time = CASE WHEN json_valid(rec)
                                         THEN json_extract(rec, '$.timestamp') END;
         CREATE INDEX messages_sent_time ON messages(time) WHERE pending = 0 AND status = 2;",
    ),
];

/// Version 1 records kept the send options under snake_case names and the offline push info in
/// its REST form; version 2 flattens the options under their `sendMessage` names.
fn send_options_by_param_name(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    const RENAMED: &[(&str, &str)] = &[
        ("online_user_only", "onlineUserOnly"),
        ("need_read_receipt", "needReadReceipt"),
        ("is_excluded_from_unread_count", "isExcludedFromUnreadCount"),
        ("is_excluded_from_last_message", "isExcludedFromLastMessage"),
        ("is_support_message_extension", "isSupportMessageExtension"),
        ("cloud_custom_data", "cloudCustomData"),
    ];
    let rows: Vec<(String, String)> = tx
        .prepare("SELECT id, rec FROM messages")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = tx.prepare("UPDATE messages SET rec = ?2 WHERE id = ?1")?;
    for (id, rec) in rows {
        // A row that is not an object is left alone: reading it reports it as before.
        let Ok(Value::Object(mut o)) = serde_json::from_str::<Value>(&rec) else {
            continue;
        };
        for (old, new) in RENAMED {
            if let Some(v) = o.remove(*old) {
                o.insert((*new).to_owned(), v);
            }
        }
        if let Some(v) = o.remove("offline_push_info") {
            let info = serde_json::from_value::<v2im_wire::push::OfflinePushInfo>(v)
                .ok()
                .map(|w| OfflinePushInfo::from_wire(&w).to_json());
            o.insert("offlinePushInfo".to_owned(), info.unwrap_or(Value::Null));
        }
        update.execute((id, Value::Object(o).to_string()))?;
    }
    Ok(())
}

/// Brings the database to [`VERSION`].
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<Result<(), String>> {
    let mut v: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if v > VERSION {
        return Ok(Err(format!(
            "the store has schema version {v}, newer than this library's {VERSION}"
        )));
    }
    while v < VERSION {
        let tx = conn.transaction()?;
        match &STEPS[v as usize] {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Rust(run) => run(&tx)?,
        }
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
        v += 1;
    }
    Ok(Ok(()))
}
