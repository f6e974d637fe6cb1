//! The database schema and its migrations (`PRAGMA user_version` holds the schema version).
//!
//! Durability: WAL with `synchronous=NORMAL`. A transaction is in the WAL file (handed to the OS)
//! when COMMIT returns, so it survives a crash or kill of the server process; only a power loss or
//! an OS crash can lose the last transactions (WAL+NORMAL skips the fsync per commit). That is the
//! trade-off Tencent-compatible retries need: an answered message is never lost because the
//! server process died. `--synchronous full` (FULL) adds an fsync of the WAL per commit, before
//! the answers, for those who need an answered message to survive a power loss too.

use rusqlite::Connection;

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = 4;

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

/// Version 2: what the live channel delivers, read receipts, and message ids that are never
/// reused (an inbox row names its message by id).
const V2: &str = r#"
-- Every account's inbox: the events its live channels deliver, in order. id is the event's
-- cursor, assigned by the writer in commit order and never reused (retention leaves the newest
-- removed id of each account in inbox_floor). Messages are referenced (ref_id), not copied;
-- other events keep their JSON line in data.
CREATE TABLE inbox(
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    kind INTEGER NOT NULL,
    ref_id INTEGER,
    data TEXT,
    time INTEGER NOT NULL
);
CREATE INDEX inbox_account ON inbox(account, id);

-- floor: the newest event of the account removed by retention; a cursor below it has lost
-- events.
CREATE TABLE inbox_floor(account TEXT PRIMARY KEY, floor INTEGER NOT NULL) WITHOUT ROWID;

-- Counters that must survive the deletion of the rows they numbered.
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;

-- Unread counts kept by the writer (counting them on every read grows with the unread messages):
-- c2c_read now has a row for every (receiver, sender) pair with messages, and group_members the
-- member's count. Both are the counts the queries of version 1 gave.
ALTER TABLE c2c_read ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
INSERT OR IGNORE INTO c2c_read(owner, peer, read_id)
    SELECT DISTINCT to_acc, from_acc, 0 FROM c2c_msgs WHERE online_only = 0 AND no_unread = 0;
UPDATE c2c_read SET unread = (SELECT COUNT(*) FROM c2c_msgs m
    WHERE m.to_acc = c2c_read.owner AND m.from_acc = c2c_read.peer AND m.id > c2c_read.read_id
      AND m.online_only = 0 AND m.no_unread = 0);
ALTER TABLE group_members ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
UPDATE group_members SET unread = (SELECT COUNT(*) FROM group_msgs m
    WHERE m.group_id = group_members.group_id AND m.seq > group_members.read_seq
      AND m.from_acc <> group_members.user_id AND m.online_only = 0 AND m.no_unread = 0
      AND (m.to_accounts IS NULL OR EXISTS (SELECT 1 FROM json_each(m.to_accounts) WHERE value = group_members.user_id)));

-- c2c_msg_read_receipt: when the receiver sent a receipt for the message.
ALTER TABLE c2c_msgs ADD COLUMN receipt_time INTEGER;
-- c2c_msg_read_receipt names messages by MsgKey.
CREATE INDEX c2c_msgs_key ON c2c_msgs(lo, hi, msg_key);

-- NeedReadReceipt messages: how many members could read it when it was sent (the sender and
-- non-targets excluded).
ALTER TABLE group_msgs ADD COLUMN receipt_total INTEGER;
-- The group's last seq when the member joined: it may send receipts for later messages only.
ALTER TABLE group_members ADD COLUMN join_seq INTEGER NOT NULL DEFAULT 0;
CREATE TABLE group_receipts(
    msg_id INTEGER NOT NULL,
    reader TEXT NOT NULL,
    time INTEGER NOT NULL,
    PRIMARY KEY(msg_id, reader)
) WITHOUT ROWID;
"#;

/// Version 3: C2C messages are found by MsgKey without an index of their own. MsgKey is
/// `{MsgSeq}_{MsgRandom}_{MsgTime}`; version 2 indexed its text, which sorts by the seq, so
/// every send put an entry at a random place in an index as large as the whole history: one
/// more page to read and to write to the WAL per message, anywhere in the file. Now the
/// messages stored at one time are found through the ids stored at that time: `c2c_times` has
/// a row for each run of messages stored with the same `msg_time` (the first id of the run), one
/// row per second of sending instead of one index entry per message, and the conversation
/// index (`lo, hi, id`) narrows a run to the conversation. A clock that goes back only starts
/// another run with that time.
const V3: &str = r#"
DROP INDEX c2c_msgs_key;
CREATE TABLE c2c_times(first_id INTEGER PRIMARY KEY, msg_time INTEGER NOT NULL);
CREATE INDEX c2c_times_time ON c2c_times(msg_time);
INSERT INTO c2c_times(first_id, msg_time)
    SELECT id, msg_time FROM (SELECT id, msg_time, LAG(msg_time) OVER (ORDER BY id) AS prev FROM c2c_msgs)
    WHERE prev IS NULL OR prev <> msg_time;
"#;

/// Version 4: the outbox (see `store::outbox`): webhook requests that are notifications, written
/// in the transaction that stores their message and deleted once delivered. `lane` 0 goes to
/// the callback URL, 1 to the push URL; `id` is numbered per lane by the writer in commit order; `ref_id`
/// is the message row (`c2c_msgs` or `group_msgs` by `kind`), unless `body` holds the whole
/// request (for messages that were deleted); `created` is in milliseconds.
const V4: &str = r#"
CREATE TABLE outbox(
    lane INTEGER NOT NULL,
    id INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    ref_id INTEGER,
    operator TEXT,
    client_ip TEXT,
    receivers TEXT,
    body TEXT,
    created INTEGER NOT NULL,
    PRIMARY KEY(lane, id)
) WITHOUT ROWID;
"#;

/// The writer's page cache, in KiB (as a negative `cache_size`).
const WRITER_CACHE_KIB: i64 = -8192;

/// Settings every connection gets.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    Ok(())
}

/// Opens the write connection: WAL, synchronous=NORMAL (FULL with `synchronous_full`), schema
/// created or migrated.
pub(crate) fn open_writer(
    path: &std::path::Path,
    synchronous_full: bool,
) -> std::io::Result<Connection> {
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
    let synchronous = if synchronous_full { "FULL" } else { "NORMAL" };
    conn.pragma_update(None, "synchronous", synchronous)
        .map_err(io_err)?;
    // Checkpoints run beside the writer, not inside its commits (see `checkpoint`).
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(io_err)?;
    // The pages every send changes are the last leaves of each active conversation's and
    // account's index ranges: SQLite's default 2 MiB cache holds only a few hundred conversations'
    // worth, and every miss is a read from the file.
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)
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
    if version < 2 {
        conn.execute_batch(&format!("BEGIN;{V2}PRAGMA user_version = 2;COMMIT;"))?;
    }
    if version < 3 {
        conn.execute_batch(&format!("BEGIN;{V3}PRAGMA user_version = 3;COMMIT;"))?;
    }
    if version < 4 {
        conn.execute_batch(&format!("BEGIN;{V4}PRAGMA user_version = 4;COMMIT;"))?;
    }
    // Later versions: `if version < 5 { ... }`, each in its own transaction.
    Ok(())
}

pub(crate) fn io_err(e: rusqlite::Error) -> std::io::Error {
    std::io::Error::other(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_fsyncs_each_commit_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        for (full, pragma) in [(false, 1), (true, 2)] {
            let conn = open_writer(&dir.path().join(format!("s{full}.db")), full).unwrap();
            let got: i64 = conn
                .pragma_query_value(None, "synchronous", |r| r.get(0))
                .unwrap();
            assert_eq!(got, pragma, "synchronous_full {full}");
            let mode: String = conn
                .pragma_query_value(None, "journal_mode", |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
        }
    }

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

    #[test]
    fn version_1_databases_keep_their_data() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("{V1}PRAGMA user_version = 1;"))
            .unwrap();
        conn.execute_batch(
            "INSERT INTO group_members(group_id, user_id, role, join_time, read_seq) VALUES ('g', 'a', 'Owner', 1, 0);
             INSERT INTO c2c_msgs(lo, hi, from_acc, to_acc, msg_seq, seq_given, msg_random, msg_time, msg_key, body,
                cloud_custom_data, online_only, no_unread, no_last) VALUES ('a', 'b', 'a', 'b', 1, 1, 2, 3, '1_2_3', '[]', '', 0, 0, 0);",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let (key, receipt): (String, Option<i64>) = conn
            .query_row("SELECT msg_key, receipt_time FROM c2c_msgs", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((key.as_str(), receipt), ("1_2_3", None));
        let (join_seq, unread): (i64, i64) = conn
            .query_row("SELECT join_seq, unread FROM group_members", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((join_seq, unread), (0, 0));
        let unread: i64 = conn
            .query_row(
                "SELECT unread FROM c2c_read WHERE owner = 'b' AND peer = 'a'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unread, 1);
        let inbox: i64 = conn
            .query_row("SELECT COUNT(*) FROM inbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(inbox, 0);
    }

    #[test]
    fn version_2_databases_get_the_runs_of_their_messages() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("{V1}{V2}PRAGMA user_version = 2;"))
            .unwrap();
        // Times 100, 100, 101, 100 (the clock went back), 100.
        for (id, time) in [(1, 100), (2, 100), (3, 101), (4, 100), (5, 100)] {
            conn.execute(
                "INSERT INTO c2c_msgs(id, lo, hi, from_acc, to_acc, msg_seq, seq_given, msg_random, msg_time, msg_key,
                    body, cloud_custom_data, online_only, no_unread, no_last)
                 VALUES (?1, 'a', 'b', 'a', 'b', ?1, 1, 7, ?2, ?1 || '_7_' || ?2, '[]', '', 0, 0, 0)",
                [id, time],
            )
            .unwrap();
        }
        migrate(&conn).unwrap();
        let runs: Vec<(i64, i64)> = conn
            .prepare("SELECT first_id, msg_time FROM c2c_times ORDER BY first_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(runs, [(1, 100), (3, 101), (4, 100)]);
        let old_index: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'c2c_msgs_key'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(old_index, 0);
        for id in 1..=5 {
            let key: String = conn
                .query_row("SELECT msg_key FROM c2c_msgs WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(
                crate::store::read::c2c_ids_by_key(&conn, "a", "b", &key).unwrap(),
                [id]
            );
        }
    }
}
