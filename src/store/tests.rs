use super::*;
use crate::model::{Elem, MessageStatus, Priority};

fn open(dir: Option<&Path>) -> codes::Result<Store> {
    open_with(dir, Synchronous::Normal)
}

fn open_with(dir: Option<&Path>, synchronous: Synchronous) -> codes::Result<Store> {
    Store::open(
        dir,
        synchronous,
        None,
        Arc::new(crate::registry::Registry::new()),
        Box::new(|_| {}),
    )
}

#[test]
fn synchronous_full_makes_every_commit_wait_for_the_disk() {
    for (sync, pragma) in [(Synchronous::Normal, 1), (Synchronous::Full, 2)] {
        let dir = tempfile::tempdir().unwrap();
        let s = open_with(Some(dir.path()), sync).unwrap();
        let got: i64 = s
            .conn
            .lock()
            .as_ref()
            .unwrap()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(got, pragma, "{sync:?}");
        // Still WAL: FULL there means an fsync of the WAL per commit, not a rollback journal.
        let mode: String = s
            .conn
            .lock()
            .as_ref()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

fn msg(n: u64) -> Message {
    let mut m = Message::new(
        format!("v2im-{n}"),
        vec![Elem::Text {
            text: format!("t{n}"),
        }],
        "me",
    );
    m.user_id = Some("peer".into());
    m.options.priority = Priority::High;
    m.local_custom_data = Some("local only".into());
    m.local_custom_int = 7;
    m.wire_seq = 42;
    m
}

#[test]
fn a_message_round_trips_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = msg(5);
    m.send_count = 1;
    {
        let s = open(Some(dir.path())).unwrap();
        assert!(s.is_durable());
        s.put(Arc::new(m.clone()), Put::Accepted, None).unwrap();
    }
    let s = open(Some(dir.path())).unwrap();
    assert_eq!(s.load("v2im-5").as_ref(), Some(&m));
    assert_eq!(s.pending().unwrap(), vec![m.clone()]);
    assert_eq!(s.max_local_number(), 5);
    // An outcome clears pending; the msgID finds it too.
    m.status = MessageStatus::SendSucc;
    m.msg_id = Some("1_2_3".into());
    s.put(Arc::new(m.clone()), Put::State, Some((0, "")))
        .unwrap();
    assert!(s.pending().unwrap().is_empty());
    assert_eq!(s.load("1_2_3").map(|x| x.id), Some("v2im-5".into()));
    assert!(s.load("nope").is_none());
}

#[test]
fn without_a_data_dir_nothing_is_written() {
    let s = open(None).unwrap();
    assert!(!s.is_durable());
    let mut m = msg(4);
    m.send_count = 1;
    s.put(Arc::new(m), Put::Accepted, None).unwrap();
    s.flush();
    assert!(s.pending().unwrap().is_empty());
    assert!(s.load("v2im-4").is_none());
    assert_eq!(s.channel_state().unwrap(), ChannelState::default());
    let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = ran.clone();
    s.received(Received {
        msg: None,
        cursor: Some(7),
        after: Some(Box::new(move |ok| {
            r.store(ok, std::sync::atomic::Ordering::SeqCst)
        })),
    });
    assert!(
        ran.load(std::sync::atomic::Ordering::SeqCst),
        "after runs at once"
    );
    s.shutdown();
}

#[test]
fn pending_comes_back_in_accept_order() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(Some(dir.path())).unwrap();
    for n in [3, 1, 2] {
        let mut m = msg(n);
        s.put_nowait(Arc::new(m.clone()), Put::State, None);
        m.send_count = 1;
        s.put_nowait(Arc::new(m), Put::Accepted, None);
    }
    s.flush();
    let ids: Vec<String> = s.pending().unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["v2im-3", "v2im-1", "v2im-2"]);
}

#[test]
fn a_second_client_on_the_same_dir_is_refused_until_the_first_closes() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(Some(dir.path())).unwrap();
    let e = open(Some(dir.path())).err().expect("refused");
    assert_eq!(e.code, codes::V2IM_ERR_DATA_DIR_IN_USE, "{e}");
    assert!(e.desc.contains("in use"), "{e}");
    first.shutdown();
    open(Some(dir.path())).unwrap();
}

#[test]
fn unusable_dirs_and_newer_schemas_are_6022() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, "x").unwrap();
    let e = open(Some(&file.join("sub"))).err().unwrap();
    assert_eq!(e.code, codes::ERR_IO_OPERATION_FAILED);
    assert!(e.desc.contains("dataDir"), "{e}");
    let newer = dir.path().join("newer");
    std::fs::create_dir(&newer).unwrap();
    let c = Connection::open(newer.join(DB_FILE)).unwrap();
    c.pragma_update(None, "user_version", schema::VERSION + 1)
        .unwrap();
    drop(c);
    let e = open(Some(&newer)).err().unwrap();
    assert_eq!(e.code, codes::ERR_IO_OPERATION_FAILED);
    assert!(e.desc.contains("newer"), "{e}");
}

#[test]
fn a_queued_write_does_not_pin_the_message_and_writes_the_latest_version() {
    let reg = Arc::new(crate::registry::Registry::new());
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(
        Some(dir.path()),
        Default::default(),
        None,
        reg.clone(),
        Box::new(|_| {}),
    )
    .unwrap();
    let m = msg(9);
    reg.insert(m.clone());
    // Hold the connection: the write stays queued (or in the writer's batch) meanwhile.
    let held = s.conn.lock();
    s.put_nowait(reg.get_shared("v2im-9").unwrap(), Put::State, None);
    let before = Arc::as_ptr(&reg.get_shared("v2im-9").unwrap());
    reg.update("v2im-9", |m| {
        m.status = MessageStatus::Sending;
        m.send_count = 1;
    });
    assert_eq!(
        Arc::as_ptr(&reg.get_shared("v2im-9").unwrap()),
        before,
        "changed in place: the queued write holds no version"
    );
    drop(held);
    s.put_nowait(reg.get_shared("v2im-9").unwrap(), Put::Accepted, None);
    s.flush();
    let stored = s.load("v2im-9").unwrap();
    assert_eq!(stored.send_count, 1);
    assert_eq!(s.pending().unwrap().len(), 1);
}

/// A store written by version 1 (send options under snake_case names, push info in its REST
/// form) opens with its messages and options intact.
#[test]
fn a_version_1_store_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch(
            "CREATE TABLE messages (id TEXT PRIMARY KEY, msg_id TEXT, status INTEGER NOT NULL,
                pending INTEGER NOT NULL, ord INTEGER NOT NULL, code INTEGER, desc TEXT,
                rec TEXT NOT NULL);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        let rec = serde_json::json!({
            "id": "v2im-7", "msg_id": null,
            "body": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "old"}}],
            "status": 1, "priority": 1, "progress": 100, "sender": "me",
            "user_id": "peer", "group_id": null, "timestamp": 1700000000, "seq": null,
            "random": 9, "is_self": true, "is_read": true, "is_peer_read": false,
            "cloud_custom_data": "cloud", "local_custom_data": "mine", "local_custom_int": 0,
            "group_at_user_list": [], "target_group_member_list": [],
            "target_from_receiver": false, "need_read_receipt": true,
            "is_excluded_from_unread_count": true, "is_excluded_from_last_message": false,
            "is_support_message_extension": true, "online_user_only": false,
            "offline_push_info": {"PushFlag": 1, "Title": "T", "ApnsInfo": {"BadgeMode": 1}},
            "is_forward_message": false, "wire_seq": 42, "send_count": 1
        });
        conn.execute(
            "INSERT INTO messages VALUES ('v2im-7', NULL, 1, 1, 0, NULL, NULL, ?1)",
            [rec.to_string()],
        )
        .unwrap();
    }
    let s = open(Some(dir.path())).unwrap();
    let m = s.load("v2im-7").expect("the old row reads");
    assert_eq!(m.options.priority, Priority::High);
    assert_eq!(m.options.cloud_custom_data.as_deref(), Some("cloud"));
    assert!(m.options.need_read_receipt && m.options.is_excluded_from_unread_count);
    assert!(m.options.is_support_message_extension && !m.options.online_user_only);
    let push = m.options.offline_push_info.as_deref().expect("push info");
    assert!(push.disable_push && push.ignore_ios_badge);
    assert_eq!(push.title, "T");
    assert_eq!(m.local_custom_data.as_deref(), Some("mine"));
    assert_eq!((m.wire_seq, m.send_count, m.random), (42, 1, 9));
    assert_eq!(s.pending().unwrap(), vec![m]);
    // Version 4 reads each message's time out of its record.
    let time: i64 = s
        .conn
        .lock()
        .as_ref()
        .unwrap()
        .query_row("SELECT time FROM messages WHERE id = 'v2im-7'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(time, 1_700_000_000);
}

#[test]
fn retention_removes_old_finished_messages_and_never_unsent_or_unreported_ones() {
    let dir = tempfile::tempdir().unwrap();
    let now = crate::model::message::now_secs();
    let old = now - 10 * 86_400;
    let with = |n: u64, status: MessageStatus, sends: u32, time: i64| {
        let mut m = msg(n);
        m.status = status;
        m.send_count = sends;
        m.timestamp = time;
        m
    };
    let received = |n: u64, time: i64| {
        let mut m = with(n, MessageStatus::SendSucc, 0, time);
        m.id = format!("1_{n}_{time}");
        m.msg_id = Some(m.id.clone());
        m.is_self = false;
        m
    };
    {
        let s = open(Some(dir.path())).unwrap();
        for (m, outcome) in [
            (with(1, MessageStatus::SendSucc, 1, old), Some((0, ""))),
            (
                with(2, MessageStatus::SendFail, 1, old),
                Some((6008, "failed")),
            ),
            (with(3, MessageStatus::Sending, 0, old), None), // created, never sent
            (with(4, MessageStatus::Sending, 1, old), None), // accepted, no outcome yet
            (with(5, MessageStatus::SendSucc, 1, now), Some((0, ""))),
        ] {
            s.put(Arc::new(m), Put::State, outcome).unwrap();
        }
        for (n, cursor) in [(6, 50), (7, 90)] {
            s.received(Received {
                msg: Some(Arc::new(received(n, old))),
                cursor: Some(cursor),
                after: None,
            });
        }
        // The listener had the first received message only.
        s.notified(50);
        s.flush();
        s.put(
            Arc::new(with(8, MessageStatus::SendSucc, 1, now)),
            Put::State,
            None,
        )
        .unwrap();
    }
    let s = Store::open(
        Some(dir.path()),
        Synchronous::Normal,
        Some(std::time::Duration::from_secs(7 * 86_400)),
        Arc::new(crate::registry::Registry::new()),
        Box::new(|_| {}),
    )
    .unwrap();
    s.flush();
    let kept = |id: &str| s.load(id).is_some();
    assert!(!kept("v2im-1"), "old and sent: removed");
    assert!(kept("v2im-2"), "failed: may be sent again");
    assert!(kept("v2im-3"), "created, never sent");
    assert!(kept("v2im-4"), "accepted, not finished");
    assert!(kept("v2im-5"), "recent");
    assert!(!kept(&format!("1_6_{old}")), "old, received and reported");
    assert!(
        kept(&format!("1_7_{old}")),
        "received, its event still owed"
    );
    assert_eq!(s.pending().unwrap().len(), 1);
}
