//! Operating the server: the admin commands of the binary, the access log, `GET /metrics`, the
//! startup line and the startup errors.

use std::io::BufRead;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::{json, Value};

const APP: &str = "1400000000";

/// The binary with the test app in its environment (as a shell that started a server has it).
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_v2im-server"));
    c.env("V2IM_SERVER_SDKAPPID", APP)
        .env("V2IM_SERVER_SECRET_KEY", v2im_server::TEST_SECRET_KEY)
        .env_remove("V2IM_SERVER_URL")
        .env_remove("V2IM_SERVER_ADMIN");
    c
}

/// Runs the binary to its end (killed after 30 s: a command that should fail must not hang).
fn run(c: &mut Command) -> (Option<i32>, String, String) {
    let child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run v2im-server");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let Output {
        status,
        stdout,
        stderr,
    } = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("v2im-server {:?} still runs after 30 s", c.get_args());
        }
    };
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A served binary whose stderr (the log) is collected line by line.
struct Logged {
    _child: Binary,
    url: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Logged {
    fn start(db: &std::path::Path, extra: &[&str]) -> Logged {
        let mut child = bin()
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let keep = lines.clone();
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(err).lines() {
                let Ok(l) = l else { break };
                keep.lock().unwrap().push(l);
            }
        });
        let url = listening_url(&mut child);
        Logged {
            _child: Binary(child),
            url,
            lines,
        }
    }

    /// Waits (bounded) for a log line holding every one of `parts`; that line.
    fn line_with(&self, parts: &[&str]) -> String {
        let t = Instant::now();
        loop {
            if let Some(l) = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .find(|l| parts.iter().all(|p| l.contains(p)))
            {
                return l.clone();
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "no log line with {parts:?} in:\n{}",
                self.lines.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn admin_commands_make_a_sig_accounts_and_a_group_that_work() {
    let dir = tempfile::tempdir().unwrap();
    // No --auto-import: only imported accounts may send.
    let s = Logged::start(&dir.path().join("s.db"), &[]);

    let (code, sig, err) = run(bin().args(["usersig", "--user", "alice"]));
    assert_eq!(code, Some(0), "{err}");
    let sig = sig.trim().to_string();
    let claims = v2im_wire::usersig::decode_usersig(&sig).unwrap();
    assert_eq!(claims.identifier, "alice");
    assert_eq!(claims.expire, 7 * 86_400);
    let (_, short, _) = run(bin().args(["usersig", "--user", "bob", "--expire", "60"]));
    assert_eq!(
        v2im_wire::usersig::decode_usersig(short.trim())
            .unwrap()
            .expire,
        60
    );

    let send = |sig: &str| -> Value {
        ureq::post(&v2im_wire::url::rest_url(
            &s.url,
            "openim/sendmsg",
            1400000000,
            "alice",
            sig,
            1,
        ))
        .send_string(
            &json!({"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("hi")}).to_string(),
        )
        .unwrap()
        .into_json()
        .unwrap()
    };
    // Before the import, alice cannot send.
    assert_ne!(code_of(&send(&sig)), 0);
    let (code, out, err) =
        run(bin().args(["account", "import", "alice", "bob", "--server", &s.url]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim(), "imported alice bob");
    assert_ok(&send(&sig));
    // Importing again is fine.
    let (code, _, err) = run(bin().args(["account", "import", "alice", "--server", &s.url]));
    assert_eq!(code, Some(0), "{err}");

    let (code, gid, err) = run(bin().args([
        "group", "create", "--name", "Team", "--owner", "alice", "--member", "bob", "--server",
        &s.url,
    ]));
    assert_eq!(code, Some(0), "{err}");
    let gid = gid.trim().to_string();
    assert!(!gid.is_empty());
    let (code, named, err) = run(bin().args([
        "group", "create", "--name", "Ops", "--type", "Work", "--id", "ops-1", "--server", &s.url,
    ]));
    assert_eq!((code, named.trim()), (Some(0), "ops-1"), "{err}");
    let sent: Value = ureq::post(&v2im_wire::url::rest_url(
        &s.url,
        "group_open_http_svc/send_group_msg",
        1400000000,
        "bob",
        &live_sig("bob"),
        2,
    ))
    .send_string(&json!({"GroupId": gid, "Random": 2, "MsgBody": text("to the team")}).to_string())
    .unwrap()
    .into_json()
    .unwrap();
    assert_ok(&sent);

    // Refusals: the server's words, a non-zero status, no secret.
    let (code, _, err) = run(bin().args([
        "group", "create", "--name", "Team", "--id", "ops-1", "--server", &s.url,
    ]));
    assert_eq!(code, Some(1));
    assert!(
        err.contains("group create") && err.contains("10021"),
        "{err}"
    );
    let (code, _, err) = run(bin()
        .env("V2IM_SERVER_SECRET_KEY", "another key")
        .args(["account", "import", "carol", "--server", &s.url]));
    assert_eq!(code, Some(1));
    assert!(err.contains("refused it: 70"), "{err}");
    // No sig (they all begin with zlib's "eJ" in base64).
    assert!(!err.contains("eJ"), "{err}");
    let dead = format!("http://{}", free_addr());
    let (code, _, err) = run(bin().args(["account", "import", "carol", "--server", &dead]));
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&dead) && err.contains("cannot connect"),
        "{err}"
    );
    let (code, _, err) = run(bin().args(["account", "import", "carol", "--server", "ftp://x"]));
    assert_eq!(code, Some(1));
    assert!(err.contains("--server \"ftp://x\""), "{err}");
}

/// An address nothing listens on (bound, then closed).
fn free_addr() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn code_of(v: &Value) -> i64 {
    v["ErrorCode"].as_i64().unwrap_or(-1)
}

#[test]
fn the_app_flags_are_required_and_not_zero_or_empty() {
    // (environment changes, arguments, what stderr says)
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
        &'static str,
    );
    let cases: [Case; 5] = [
        (&[("V2IM_SERVER_SDKAPPID", "")], &[], "--sdkappid"),
        (&[], &["--sdkappid", "0"], "--sdkappid 0"),
        (&[], &["--secret-key", ""], "--secret-key is empty"),
        (&[], &["--admin", " "], "--admin is empty"),
        (
            &[("V2IM_SERVER_SECRET_KEY", "")],
            &["usersig", "--user", "a"],
            "--secret-key",
        ),
    ];
    for (env, args, says) in cases {
        let mut c = bin();
        for (k, v) in env {
            if v.is_empty() {
                c.env_remove(k);
            } else {
                c.env(k, v);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let (code, _, err) = run(c
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(dir.path().join("x.db"))
            .args(args));
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn startup_errors_name_the_file_or_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let (code, _, err) = run(bin()
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .args([
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ]));
    assert_eq!(code, Some(1));
    assert!(err.contains("--tls-cert /nonexistent/cert.pem"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, err) = run(bin().args(["--listen", &addr, "--db"]).arg(&db));
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("--listen {addr}")), "{err}");
    // A database under a regular file cannot be created.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let (code, _, err) = run(bin()
        .args(["--listen", "127.0.0.1:0", "--files-dir"])
        .arg(dir.path().join("files"))
        .arg("--db")
        .arg(file.join("x.db")));
    assert_eq!(code, Some(1));
    assert!(err.contains("--db") && err.contains("a-file/x.db"), "{err}");
}

#[test]
fn the_log_has_the_configuration_and_a_line_per_request_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logged.db");
    let s = Logged::start(&db, &["--auto-import", "--synchronous", "full"]);
    let started = s.line_with(&["listening on", "sdkappid 1400000000"]);
    for part in [
        "admin \"administrator\"",
        &format!("database {}", db.display()),
        "synchronous full",
        "imported on first use",
        "callbacks off",
    ] {
        assert!(started.contains(part), "{part} not in {started}");
    }
    let agent = ureq::agent();
    let body = json!({"To_Account": "bob", "MsgRandom": 5, "MsgBody": text("logged")});
    assert_ok(&call_url(&agent, &s.url, "alice", "openim/sendmsg", &body).unwrap());
    let forged = v2im_wire::url::rest_url(
        &s.url,
        "openim/sendmsg",
        1400000000,
        "mallory",
        "forged-sig",
        1,
    );
    let refused: Value = agent
        .post(&forged)
        .send_string(&body.to_string())
        .unwrap()
        .into_json()
        .unwrap();
    let refused_code = code_of(&refused);
    assert_ne!(refused_code, 0);
    let ok = s.line_with(&["POST openim/sendmsg identifier=\"alice\" code=0", " ms"]);
    assert!(ok.contains("v2im_server::access"), "{ok}");
    s.line_with(&[&format!(
        "POST openim/sendmsg identifier=\"mallory\" code={refused_code}"
    )]);
    let _ = agent
        .get(&format!("{}/nowhere?usersig=forged-sig", s.url))
        .call();
    s.line_with(&["GET \"/nowhere\" status=200"]);
    let _ = agent.get(&format!("{}/healthz", s.url)).call().unwrap();
    let all = s.lines.lock().unwrap().join("\n");
    assert!(!all.contains("forged-sig"), "{all}");
    assert!(!all.contains(&live_sig("alice")), "{all}");
    assert!(!all.contains(v2im_server::TEST_SECRET_KEY), "{all}");
    assert!(!all.contains("/healthz"), "{all}");
}

/// `GET /metrics` in Prometheus' text format: a sample's value, by its name and labels.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

#[test]
fn metrics_count_requests_codes_commits_and_channels() {
    // A closed channel is noticed at its next heartbeat.
    let s = TestServer::with(|c| c.heartbeat_secs = 1);
    let scrape = || {
        let r = ureq::get(&format!("{}/metrics", s.url)).call().unwrap();
        assert!(
            r.content_type().starts_with("text/plain"),
            "{}",
            r.content_type()
        );
        r.into_string().unwrap()
    };
    let before = scrape();
    assert_eq!(sample(&before, "v2im_live_channels"), 0.0);
    for i in 0..5 {
        assert_ok(&s.send_c2c("alice", "bob", "counted", 100 + i, Value::Null));
    }
    // Refused: a group that does not exist.
    assert_code(
        &s.send_group("no-such-group", "alice", "x", 1, Value::Null),
        10010,
    );
    let (channel, _) = s.channel("bob", None);
    let text = scrape();
    assert_eq!(
        sample(
            &text,
            "v2im_requests_total{command=\"openim/sendmsg\",code=\"0\"}"
        ),
        5.0
    );
    assert_eq!(
        sample(
            &text,
            "v2im_requests_total{command=\"group_open_http_svc/send_group_msg\",code=\"10010\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "v2im_request_duration_seconds_count{command=\"openim/sendmsg\"}"
        ),
        5.0
    );
    assert_eq!(
        sample(
            &text,
            "v2im_request_duration_seconds_bucket{command=\"openim/sendmsg\",le=\"+Inf\"}"
        ),
        5.0
    );
    let (commits, jobs) = (
        sample(&text, "v2im_store_commits_total"),
        sample(&text, "v2im_store_jobs_total"),
    );
    assert!(
        commits >= 1.0 && jobs >= 5.0 && jobs >= commits,
        "{commits} {jobs}"
    );
    assert_eq!(sample(&text, "v2im_live_channels"), 1.0);
    assert_eq!(sample(&text, "v2im_live_channels_opened_total"), 1.0);
    drop(channel);
    // The closed channel leaves the gauge (bounded wait: the server notices the close).
    let t = Instant::now();
    while sample(&scrape(), "v2im_live_channels") != 0.0 {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the channel stays counted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // No account appears.
    let text = scrape();
    assert!(!text.contains("alice") && !text.contains("bob"), "{text}");
}
