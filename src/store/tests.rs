use super::*;
use crate::model::{Elem, MessageStatus, Priority};

fn open(dir: Option<&Path>) -> codes::Result<Store> {
    Store::open(
        dir,
        Arc::new(crate::registry::Registry::new()),
        Box::new(|_| {}),
    )
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
    m.priority = Priority::High;
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
fn pending_comes_back_in_accept_order() {
    let s = open(None).unwrap();
    assert!(!s.is_durable());
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
    let s = Store::open(None, reg.clone(), Box::new(|_| {})).unwrap();
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
