//! The server as a process and a service: restart on the same database, the real binary with
//! SIGTERM, HTTPS through a self-signed CA, media files, robustness against hostile input.

use std::sync::Arc;

use crate::common::*;
use serde_json::{json, Value};

#[test]
fn restart_keeps_everything_and_seqs_continue() {
    let mut s = TestServer::with(|c| c.auto_import = false);
    s.import(&["alice", "bob"]);
    let gid = s.create_group("g", "alice", &["bob"]);
    let c2c = s.send_c2c(
        "alice",
        "bob",
        "before",
        1,
        json!({"MsgSeq": 2, "CloudCustomData": "c"}),
    );
    let g1 = s.send_group(&gid, "alice", "g-before", 3, Value::Null);
    s.send_group(&gid, "bob", "g-before-2", 4, Value::Null);
    assert_ok(&s.call(
        "openim/admin_set_msg_read",
        json!({"Report_Account": "bob", "Peer_Account": "alice"}),
    ));
    s.send_c2c("alice", "bob", "unread", 5, Value::Null);
    let roam_before = s.roam("bob", "alice");
    let hist_before = s.group_history(&gid);
    let recent_before = s.recent("bob");

    s.restart();

    assert_eq!(s.roam("bob", "alice"), roam_before);
    assert_eq!(s.group_history(&gid), hist_before);
    assert_eq!(s.recent("bob"), recent_before);
    assert_eq!(s.unread("bob", "alice"), 1);
    let check = s.call(
        "im_open_login_svc/account_check",
        json!({"CheckItem": [{"UserID": "alice"}, {"UserID": "zed"}]}),
    );
    assert_eq!(check["ResultItem"][0]["AccountStatus"], "Imported");
    assert_eq!(check["ResultItem"][1]["AccountStatus"], "NotImported");
    // Duplicates are still recognised after the restart.
    let dup = s.send_c2c("alice", "bob", "before", 1, json!({"MsgSeq": 2}));
    assert_eq!(dup["MsgKey"], c2c["MsgKey"]);
    let gdup = s.send_group(&gid, "alice", "g-before", 3, Value::Null);
    assert_eq!(gdup["MsgSeq"], g1["MsgSeq"]);
    assert_eq!(s.roam("bob", "alice").len(), 2);
    // Seqs continue.
    assert_eq!(
        s.send_group(&gid, "alice", "after", 6, Value::Null)["MsgSeq"],
        3
    );
    // Memberships survived.
    assert_code(&s.send_group(&gid, "zed", "x", 7, Value::Null), 10007);
    assert_ok(&s.send_group(&gid, "bob", "x", 8, Value::Null));
}

#[test]
fn binary_prints_its_address_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bin.db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_v2im-server"))
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .args([
            "--secret-key",
            v2im_server::TEST_SECRET_KEY,
            "--auto-import",
        ])
        .env("V2IM_SERVER_SDKAPPID", "1400000000")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = listening_url(&mut child);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_ne!(url, "http://127.0.0.1:0");
    let health = ureq::get(&format!("{url}/healthz")).call().unwrap();
    assert_eq!(health.into_string().unwrap(), "ok\n");
    assert_ok(&send_as_u1(&url));

    let exit = terminate(&mut child);
    assert!(exit.success(), "{exit:?}");
    // What it acknowledged is in the database (WAL checkpointed into the main file).
    let conn = rusqlite_count(&db);
    assert_eq!(conn, 1);
}

/// Sends SIGTERM to `child` and waits (at most 15 s) for it to exit.
fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    // SAFETY: a plain kill(2) of our own child, which has not been waited for.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exit after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A supervisor may stop the server the moment it has read "listening on": the stop signal is
/// caught from before that line, so it stops the server cleanly instead of killing the process.
#[test]
fn sigterm_right_after_the_listening_line_is_a_clean_stop() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..10 {
        let (mut child, _) = spawn_binary(&dir.path().join(format!("early{round}.db")), &[]);
        let exit = terminate(&mut child.0);
        assert!(exit.success(), "round {round}: {exit:?}");
    }
}

#[test]
fn synchronous_full_is_a_flag_and_other_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("full.db");
    let (child, url) = spawn_binary(&db, &["--synchronous", "full"]);
    assert_ok(&send_as_u1(&url));
    drop(child);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_v2im-server"))
        .args(["--listen", "127.0.0.1:0", "--synchronous", "off", "--db"])
        .arg(dir.path().join("off.db"))
        .args(["--secret-key", v2im_server::TEST_SECRET_KEY])
        .env("V2IM_SERVER_SDKAPPID", "1400000000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--synchronous") && err.contains("full"),
        "{err}"
    );
}

/// `sendmsg` from u1 to u2, as u1 itself, to the server at `url` (started with the test key).
fn send_as_u1(url: &str) -> Value {
    let sig = live_sig("u1");
    ureq::post(&v2im_wire::url::rest_url(
        url,
        "openim/sendmsg",
        1400000000,
        "u1",
        &sig,
        1,
    ))
    .send_string(&json!({"To_Account": "u2", "MsgRandom": 1, "MsgBody": text("hi")}).to_string())
    .unwrap()
    .into_json::<Value>()
    .unwrap()
}

/// Counts stored C2C messages straight from the file, without the server.
fn rusqlite_count(db: &std::path::Path) -> i64 {
    // A second server on the same file is the supported way to read it.
    let s = v2im_server::start(v2im_server::ServerConfig::for_test(db.to_path_buf())).unwrap();
    let sig = v2im_wire::usersig::gen_usersig(1400000000, v2im_server::TEST_SECRET_KEY, ADMIN, 600);
    let r: Value = ureq::post(&v2im_wire::url::rest_url(
        &s.url,
        "openim/get_c2c_unread_msg_num",
        1400000000,
        ADMIN,
        &sig,
        1,
    ))
    .send_string(r#"{"To_Account":"u2"}"#)
    .unwrap()
    .into_json()
    .unwrap();
    s.shutdown();
    r["AllC2CUnreadMsgNum"].as_i64().unwrap()
}

#[test]
fn https_with_a_self_signed_ca() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "v2im test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, leaf.pem()).unwrap();
    std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
    let s = TestServer::with(|c| {
        c.tls_cert = Some(cert.clone());
        c.tls_key = Some(key.clone());
    });
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_cert.der().clone()).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let agent = ureq::AgentBuilder::new().tls_config(Arc::new(tls)).build();
    let health = agent.get(&format!("{}/healthz", s.url)).call().unwrap();
    assert_eq!(health.into_string().unwrap(), "ok\n");
    let url = s.url_with("openim/sendmsg", ADMIN, &s.sig(ADMIN));
    let r: Value = agent
        .post(&url)
        .send_string(&json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 1, "MsgBody": text("tls")}).to_string())
        .unwrap()
        .into_json()
        .unwrap();
    assert_ok(&r);
    // A client that does not trust the CA is refused.
    assert!(ureq::get(&format!("{}/healthz", s.url)).call().is_err());
    // Mismatched TLS options are refused at start.
    let mut bad = v2im_server::ServerConfig::for_test(dir.path().join("x.db"));
    bad.tls_cert = Some(cert);
    assert!(v2im_server::start(bad).is_err());
}

/// `?sdkappid=&identifier=&usersig=&random=` of `user`, as a PUT to /files carries it.
fn file_auth(s: &TestServer, user: &str) -> String {
    format!(
        "sdkappid={}&identifier={user}&usersig={}&random=1",
        v2im_server::TEST_SDKAPPID,
        s.sig(user)
    )
}

fn get_bytes(url: &str) -> (String, Vec<u8>) {
    let r = ureq::get(url).call().unwrap();
    let ctype = r.header("Content-Type").unwrap_or("").to_string();
    let len: usize = r.header("Content-Length").unwrap().parse().unwrap();
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut back).unwrap();
    assert_eq!(back.len(), len);
    (ctype, back)
}

#[test]
fn media_files_put_and_get() {
    let files = tempfile::tempdir().unwrap();
    let s = TestServer::with(|c| c.files_dir = Some(files.path().to_path_buf()));
    let auth = file_auth(&s, "alice");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let r: Value = ureq::put(&format!("{}/files/u-1/clip%201.mp4?{auth}", s.url))
        .send_bytes(&data)
        .unwrap()
        .into_json()
        .unwrap();
    assert_ok(&r);
    assert_eq!(r["Size"], 300_000);
    assert_eq!(r["Path"], "/files/u-1/clip%201.mp4");
    assert!(r.get("Renditions").is_none(), "not an image: {r}");
    let (ctype, back) = get_bytes(r["Url"].as_str().unwrap());
    assert_eq!(back, data);
    assert_eq!(ctype, "video/mp4");
    assert!(files.path().join("u-1").join("clip 1.mp4").is_file());
    // Without a valid sig nothing is stored.
    for q in [
        "",
        "sdkappid=1400000000&identifier=alice&usersig=bad&random=1",
    ] {
        let e = ureq::put(&format!("{}/files/u-2/a.bin?{q}", s.url)).send_bytes(b"x");
        assert!(matches!(e, Err(ureq::Error::Status(401, _))), "{q}");
    }
    assert!(!files.path().join("u-2").exists());
    assert!(matches!(
        ureq::get(&format!("{}/files/u-1/missing", s.url)).call(),
        Err(ureq::Error::Status(404, _))
    ));
    // Off without --files-dir.
    let off = TestServer::start();
    assert!(matches!(
        ureq::put(&format!(
            "{}/files/u/a?{}",
            off.url,
            file_auth(&off, "alice")
        ))
        .send_bytes(b"x"),
        Err(ureq::Error::Status(404, _))
    ));
}

#[test]
fn media_names_cannot_leave_the_files_dir() {
    let root = tempfile::tempdir().unwrap();
    let files = root.path().join("files");
    let s = TestServer::with(|c| c.files_dir = Some(files.clone()));
    let auth = file_auth(&s, "alice");
    for bad in [
        "u/..%2F..%2Fescaped",
        "u/..%2Fescaped",
        "..%2F..%2Fu/escaped",
        "u/a%5C..%5C..%5Cescaped",
        "u/%2Fetc%2Fescaped",
        "u/a%00b",
        "u/.hidden",
        "u/a/b",
        "u",
    ] {
        let e = ureq::put(&format!("{}/files/{bad}?{auth}", s.url)).send_bytes(b"evil");
        assert!(
            matches!(e, Err(ureq::Error::Status(400, _))),
            "{bad}: {e:?}"
        );
    }
    // Raw request lines, which a client library might normalise.
    let sig = s.sig("alice");
    for path in [
        "/files/../escaped",
        "/files/u/../../escaped",
        "/files/u/%2E%2E",
        "/files/u/..",
    ] {
        let req = format!(
            "PUT {path}?sdkappid=1400000000&identifier=alice&usersig={sig}&random=1 HTTP/1.1\r\n\
             Host: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nevil"
        );
        let (status, _, _) = s.raw(req.as_bytes());
        assert!(!status.contains(" 200 "), "{path}: {status}");
    }
    // Nothing was written anywhere under the temp root but (possibly) the empty files dir.
    let mut written = Vec::new();
    let mut stack = vec![root.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                written.push(p);
            }
        }
    }
    assert!(written.is_empty(), "{written:?}");
    // Over 100 MB is refused from the Content-Length, before reading the body.
    let req = format!(
        "PUT /files/u/big.bin?{auth} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        100 * 1024 * 1024 + 1
    );
    let (status, _, body) = s.raw(req.as_bytes());
    assert!(status.contains(" 413 "), "{status}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["ErrorCode"],
        80002
    );
}

#[test]
fn images_get_tencent_renditions() {
    let files = tempfile::tempdir().unwrap();
    let s = TestServer::with(|c| c.files_dir = Some(files.path().to_path_buf()));
    let auth = file_auth(&s, "alice");
    let encode = |w: u32, h: u32, f: image::ImageFormat| {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, f)
            .unwrap();
        out.into_inner()
    };
    // (w, h, format, REST format, expected [origin, large, thumb] sizes)
    let cases = [
        (
            1600,
            900,
            image::ImageFormat::Jpeg,
            1,
            [(1600, 900), (1280, 720), (352, 198)],
        ),
        (
            300,
            600,
            image::ImageFormat::Png,
            3,
            [(300, 600), (300, 600), (198, 396)],
        ),
        (
            120,
            80,
            image::ImageFormat::Bmp,
            4,
            [(120, 80), (120, 80), (120, 80)],
        ),
        (
            400,
            250,
            image::ImageFormat::Gif,
            2,
            [(400, 250), (400, 250), (317, 198)],
        ),
    ];
    for (i, (w, h, f, rest, want)) in cases.into_iter().enumerate() {
        let bytes = encode(w, h, f);
        let r: Value = ureq::put(&format!("{}/files/img{i}/pic?{auth}", s.url))
            .send_bytes(&bytes)
            .unwrap()
            .into_json()
            .unwrap();
        assert_ok(&r);
        assert_eq!(r["ImageFormat"], rest, "{f:?}");
        let list = r["Renditions"].as_array().unwrap();
        assert_eq!(list.len(), 3);
        for (j, (kind, (ww, wh))) in [1, 2, 3].into_iter().zip(want).enumerate() {
            let e = &list[j];
            assert_eq!(e["Type"], kind);
            assert_eq!(
                (e["Width"].as_u64().unwrap(), e["Height"].as_u64().unwrap()),
                (ww, wh),
                "{f:?} {kind}"
            );
            let (ctype, got) = get_bytes(e["Url"].as_str().unwrap());
            assert!(ctype.starts_with("image/"), "{ctype}");
            assert_eq!(got.len() as u64, e["Size"].as_u64().unwrap());
            let dim = image::load_from_memory(&got).unwrap();
            assert_eq!((dim.width() as u64, dim.height() as u64), (ww, wh));
            if kind == 1 {
                assert_eq!(got, bytes);
            }
        }
    }
}

#[test]
fn hostile_input_gets_codes_never_errors() {
    let s = TestServer::start();
    let paths = [
        "im_open_login_svc/account_import",
        "im_open_login_svc/multiaccount_import",
        "im_open_login_svc/account_check",
        "openim/sendmsg",
        "openim/batchsendmsg",
        "openim/admin_getroammsg",
        "openim/get_c2c_unread_msg_num",
        "openim/admin_set_msg_read",
        "recentcontact/get_list",
        "group_open_http_svc/create_group",
        "group_open_http_svc/add_group_member",
        "group_open_http_svc/get_group_info",
        "group_open_http_svc/destroy_group",
        "group_open_http_svc/send_group_msg",
        "group_open_http_svc/group_msg_get_simple",
        "group_open_http_svc/set_unread_msg_num",
        "openim/c2c_msg_read_receipt",
        "group_open_http_svc/group_msg_receipt",
        "group_open_http_svc/get_group_msg_receipt",
        "group_open_http_svc/get_group_msg_receipt_detail",
        "group_open_http_svc/get_joined_group_list",
    ];
    let long = "z".repeat(5000);
    let bodies = [
        "".to_string(),
        "null".to_string(),
        "[]".to_string(),
        "\"str\"".to_string(),
        "{".to_string(),
        "{\"a\":1e999}".to_string(),
        "\u{0}\u{1}\u{ff}".to_string(),
        json!({"UserID": long, "Accounts": [long], "CheckItem": [{"UserID": 1}], "To_Account": {"x": 1},
            "MsgRandom": 1e300, "MsgBody": [{"MsgType": 1}], "GroupId": "\u{0}", "GroupIdList": [null],
            "MaxCnt": -9223372036854775807i64, "ReqMsgNumber": 9223372036854775807i64, "Type": [], "Name": {},
            "From_Account": long, "Operator_Account": "\u{202e}x", "Peer_Account": "y", "MemberList": "x",
            "Member_Account": 5, "UnreadMsgNum": -1, "Report_Account": ["a"]})
        .to_string(),
        json!({"GroupId": "@TGS#' OR 1=1 --", "ReqMsgNumber": 1, "ReqMsgSeq": -5, "Random": 1, "MsgBody": text("x")})
            .to_string(),
        "[".repeat(50_000),
    ];
    for p in paths {
        let url = s.url_with(p, ADMIN, &s.sig(ADMIN));
        for b in &bodies {
            let r = s.post(&url, b);
            let short: String = r.to_string().chars().take(300).collect();
            // multiaccount_import answers OK and lists the refused ids, as Tencent does.
            if p.ends_with("multiaccount_import") && r["ActionStatus"] == "OK" {
                assert_eq!(r["FailAccounts"].as_array().unwrap().len(), 1, "{short}");
                continue;
            }
            assert_eq!(r["ActionStatus"], "FAIL", "{p} {b:.60} -> {short}");
            assert!(code(&r) > 0);
        }
    }
    // Raw garbage on the socket: a 400 from the HTTP layer, the server stays up.
    let (status, _, _) = s.raw(b"GARBAGE\r\n\r\n");
    assert!(status.contains("400"), "{status}");
    assert_eq!(
        ureq::get(&format!("{}/healthz", s.url))
            .call()
            .unwrap()
            .status(),
        200
    );
}
