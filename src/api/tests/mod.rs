//! Unit tests of the methods, one file per file of code they test, and the helpers they share.

mod create;
mod local;
mod send_params;
mod table;

use super::methods::{self, Local, Run};
use super::LocalData;
use crate::codes::{Error, Result};
use crate::params::Params;
use crate::registry::Registry;
use serde_json::Value;
use v2im_wire::c2c::SendMsgResponse;
use v2im_wire::Envelope;

/// Runs local method `method` as "alice" the way `v2im_call` does (unknown keys refused first).
pub(super) fn run(r: &Registry, method: &str, v: Value) -> Result<Value> {
    run_as(r, "alice", method, v)
}

/// [`run`] as `user`.
pub(super) fn run_as(r: &Registry, user: &str, method: &str, v: Value) -> Result<Value> {
    let m = methods::find(method).expect("a method of the table");
    let Run::Local(f) = m.run else {
        panic!("{method} is not local")
    };
    let text = v.to_string();
    let params = Params::parse(&text).expect("a JSON object");
    params.refuse_repeated_keys("")?;
    params.refuse_unknown_keys((m.keys)())?;
    let local = Local {
        registry: r,
        self_user: user,
    };
    f(local, &params).map(|d: LocalData| {
        let mut out = Vec::new();
        d.write_json(&mut out);
        serde_json::from_slice(&out).expect("result JSON")
    })
}

/// [`run`] that must fail.
pub(super) fn err(r: &Registry, method: &str, v: Value) -> Error {
    run(r, method, v).expect_err("should fail")
}

/// Asserts that each params of `cases` fails `method` with 6017 and a `desc` containing its text.
pub(super) fn refused(r: &Registry, method: &str, cases: &[(Value, &str)]) {
    for (params, text) in cases {
        let e = err(r, method, params.clone());
        assert_eq!(e.code, 6017, "{method} {params}: {}", e.desc);
        assert!(
            e.desc.contains(text),
            "{method} {params}: {} lacks {text}",
            e.desc
        );
    }
}

/// Creates a message with `method` and returns its id.
pub(super) fn create(r: &Registry, method: &str, v: Value) -> String {
    run(r, method, v).expect("created")["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Marks a message sent (C2C) as the sender would, with MsgSeq 3 unless one was chosen.
pub(super) fn mark_sent(r: &Registry, id: &str) {
    r.update(id, |m| {
        m.user_id.get_or_insert_with(|| "bob".into());
        if m.wire_seq == 0 {
            m.wire_seq = 3;
        }
        m.send_count = m.send_count.max(1);
        let key = crate::model::msg_id::group(u64::from(m.wire_seq), m.random, 1000);
        m.mark_sent_c2c(&SendMsgResponse {
            envelope: Envelope::ok(),
            msg_time: 1000,
            msg_key: key,
        })
    })
    .expect("a message");
}
