//! The store's schema and its migrations, versioned by SQLite's `user_version`.
//!
//! A database from an older version is migrated on open, one step at a time, each step in its
//! own transaction; one from a newer version (a downgrade) is refused rather than misread.

use rusqlite::Connection;

/// The version this build writes.
pub const VERSION: i32 = 1;

/// Step `n` brings a database from version `n` to `n + 1`.
const STEPS: &[&str] = &[
    // 0 -> 1: messages.
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
];

/// Brings the database to [`VERSION`].
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Result<(), String>> {
    let mut v: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if v > VERSION {
        return Ok(Err(format!(
            "the store has schema version {v}, newer than this library's {VERSION}"
        )));
    }
    while v < VERSION {
        let tx = conn.transaction()?;
        tx.execute_batch(STEPS[v as usize])?;
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
        v += 1;
    }
    Ok(Ok(()))
}
