//! The database schema and its migrations (`PRAGMA user_version` holds the schema version).
//!
//! Durability: WAL with `synchronous=NORMAL`. A transaction is in the WAL file (handed to the OS)
//! when COMMIT returns, so it survives a crash or kill of the server process; only a power loss or
//! an OS crash can lose the last transactions (WAL+NORMAL skips the fsync per commit). That is the
//! trade-off Tencent-compatible retries need: an answered message is never lost because the
//! server process died.

use rusqlite::Connection;

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = 1;

const V1: &str = r#"
CREATE TABLE accounts(
    user_id TEXT PRIMARY KEY,
    nick TEXT NOT NULL DEFAULT '',
    face_url TEXT NOT NULL DEFAULT '',
    created INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per C2C message. (lo, hi) is the conversation: the two accounts in sorted order.
-- Online-only messages are kept (flagged) only so that retries of them are recognised as
-- duplicates; every read filters them out.
CREATE TABLE c2c_msgs(
    id INTEGER PRIMARY KEY,
    lo TEXT NOT NULL,
    hi TEXT NOT NULL,
    from_acc TEXT NOT NULL,
    to_acc TEXT NOT NULL,
    msg_seq INTEGER NOT NULL,
    seq_given INTEGER NOT NULL,
    msg_random INTEGER NOT NULL,
    msg_time INTEGER NOT NULL,
    msg_key TEXT NOT NULL,
    body TEXT NOT NULL,
    cloud_custom_data TEXT NOT NULL,
    support_ext INTEGER,
    need_receipt INTEGER,
    push_info TEXT,
    send_control TEXT,
    forbid_callback TEXT,
    sync_other INTEGER,
    life_time INTEGER,
    online_only INTEGER NOT NULL,
    no_unread INTEGER NOT NULL,
    no_last INTEGER NOT NULL
);
CREATE INDEX c2c_msgs_conv ON c2c_msgs(lo, hi, id);

-- Conversations that have at least one message, for recentcontact/get_list.
CREATE TABLE c2c_convs(lo TEXT NOT NULL, hi TEXT NOT NULL, PRIMARY KEY(lo, hi)) WITHOUT ROWID;
CREATE INDEX c2c_convs_hi ON c2c_convs(hi);

-- owner has read every message of peer with id <= read_id.
CREATE TABLE c2c_read(
    owner TEXT NOT NULL,
    peer TEXT NOT NULL,
    read_id INTEGER NOT NULL,
    PRIMARY KEY(owner, peer)
) WITHOUT ROWID;

CREATE TABLE groups(
    group_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    owner TEXT,
    introduction TEXT NOT NULL DEFAULT '',
    notification TEXT NOT NULL DEFAULT '',
    face_url TEXT NOT NULL DEFAULT '',
    max_member_num INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL
) WITHOUT ROWID;

-- read_seq: the member has read every group message with seq <= read_seq.
CREATE TABLE group_members(
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    join_time INTEGER NOT NULL,
    read_seq INTEGER NOT NULL,
    PRIMARY KEY(group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members(user_id);

-- One row per group message. to_accounts (JSON array) is set for targeted messages.
CREATE TABLE group_msgs(
    id INTEGER PRIMARY KEY,
    group_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    from_acc TEXT NOT NULL,
    random INTEGER NOT NULL,
    msg_time INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    body TEXT NOT NULL,
    cloud_custom_data TEXT NOT NULL,
    support_ext INTEGER,
    need_receipt INTEGER,
    push_info TEXT,
    send_control TEXT,
    forbid_callback TEXT,
    at_info TEXT,
    to_accounts TEXT,
    topic_id TEXT,
    online_only INTEGER NOT NULL,
    no_unread INTEGER NOT NULL,
    no_last INTEGER NOT NULL,
    UNIQUE(group_id, seq)
);
"#;

/// Settings every connection gets.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    Ok(())
}

/// Opens the write connection: WAL, synchronous=NORMAL, schema created or migrated.
pub(crate) fn open_writer(path: &std::path::Path) -> std::io::Result<Connection> {
    let conn = Connection::open(path).map_err(io_err)?;
    configure(&conn).map_err(io_err)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(io_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(std::io::Error::other(format!(
            "cannot put {} in WAL mode (got {mode})",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(io_err)?;
    migrate(&conn).map_err(io_err)?;
    Ok(conn)
}

/// Opens a read connection (no writes possible through it).
pub(crate) fn open_reader(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn)?;
    conn.pragma_update(None, "query_only", "ON")?;
    Ok(conn)
}

/// Brings the schema to [`SCHEMA_VERSION`], refusing a database from a newer build.
pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "database schema version {version} is newer than this server's {SCHEMA_VERSION}"
        )));
    }
    if version < 1 {
        conn.execute_batch(&format!("BEGIN;{V1}PRAGMA user_version = 1;COMMIT;"))?;
    }
    // Later versions: `if version < 2 { ... }`, each in its own transaction.
    Ok(())
}

pub(crate) fn io_err(e: rusqlite::Error) -> std::io::Error {
    std::io::Error::other(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_fresh_databases_and_refuses_newer_ones() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        migrate(&conn).unwrap(); // idempotent
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(migrate(&conn).is_err());
    }
}
