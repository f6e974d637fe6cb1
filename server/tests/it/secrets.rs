//! The server's log never holds a secret: the binary runs with every log line on (`RUST_LOG`
//! trace) while requests carry sigs it refuses for every reason (another key, another app,
//! another account, expired, mangled) and sigs it accepts, through REST, uploads and the live
//! channel; neither its secret key nor any of those sigs (raw or percent-encoded) may appear in
//! what it writes.

use std::io::{BufRead, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use v2im_wire::usersig::gen_usersig;

const APP: u64 = 1400000000;
const KEY: &str = "a-secret-key-that-must-never-be-logged";

fn url_with(base: &str, path: &str, id: &str, sig: &str) -> String {
    v2im_wire::url::rest_url(base, path, APP, id, sig, 7)
}

#[test]
fn no_secret_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_v2im-server"))
        .args(["--listen", "127.0.0.1:0", "--auto-import", "--db"])
        .arg(dir.path().join("s.db"))
        .arg("--files-dir")
        .arg(dir.path().join("files"))
        .args(["--secret-key", KEY, "--sdkappid", &APP.to_string()])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let base = first
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();

    let good = gen_usersig(APP, KEY, "alice", 600);
    let admin = gen_usersig(APP, KEY, "administrator", 600);
    let refused = [
        gen_usersig(APP, "another key", "alice", 600),
        gen_usersig(APP + 1, KEY, "alice", 600),
        gen_usersig(APP, KEY, "mallory", 600),
        gen_usersig(APP, KEY, "alice", 0),
        format!("{good}x"),
        good[..good.len() / 2].to_string(),
    ];
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let answer = |r: Result<ureq::Response, ureq::Error>| match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_string().unwrap_or_default(),
        Err(e) => panic!("{e}"),
    };
    let body = json!({"To_Account": "bob", "MsgRandom": 1,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]});
    let mut answers = Vec::new();
    for sig in refused.iter().chain([&good]) {
        let send = agent.post(&url_with(&base, "openim/sendmsg", "alice", sig));
        answers.push(answer(send.send_string(&body.to_string())));
        let bad_body = agent.post(&url_with(&base, "openim/sendmsg", "alice", sig));
        answers.push(answer(
            bad_body.send_string("{\"To_Account\": 5, \"Nope\": ["),
        ));
        // An admin command as alice.
        let import = agent.post(&url_with(
            &base,
            "im_open_login_svc/account_import",
            "alice",
            sig,
        ));
        answers.push(answer(import.send_string(r#"{"UserID":"x"}"#)));
        let mut put = format!("{base}/files/abc/f.bin?sdkappid={APP}&identifier=alice&usersig=");
        v2im_wire::url::push_query_value(&mut put, sig);
        answers.push(answer(agent.put(&put).send_bytes(b"bytes")));
        let mut channel = url_with(&base, "v2im/channel", "alice", sig);
        channel.push_str("&poll=1&cursor=999999");
        answers.push(answer(agent.get(&channel).call()));
    }
    // The admin's own work, logged at its most verbose.
    let history = agent.post(&url_with(
        &base,
        "openim/admin_getroammsg",
        "administrator",
        &admin,
    ));
    answers.push(answer(
        history.send_string(
            &json!({"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 5,
                "MinTime": 0, "MaxTime": 4000000000u32})
            .to_string(),
        ),
    ));

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let text = format!(
        "{first}{rest}{}{}",
        std::fs::read_to_string(&log).unwrap(),
        answers.join("\n")
    );
    assert!(text.lines().count() > 40, "too little was logged:\n{text}");
    let mut secrets = vec![KEY.to_string(), good, admin];
    secrets.extend(refused);
    for s in &secrets {
        let mut encoded = String::new();
        v2im_wire::url::push_query_value(&mut encoded, s);
        for form in [s, &encoded] {
            if let Some(line) = text.lines().find(|l| l.contains(form.as_str())) {
                panic!("a secret in the server's output or answers: {line}");
            }
        }
    }
}
