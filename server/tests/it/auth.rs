//! UserSig checks through the server's auth path: Tencent's reference vectors at their valid
//! times, the expired / wrong-key / wrong-identifier / wrong-sdkappid codes, sigs made by
//! v2im-wire, and the admin-only rule with its documented extension.

use crate::common::*;
use serde_json::json;
use v2im_wire::usersig::gen_usersig_at;

const K1: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const K2: &str = "deadbeefcafebabe0123456789abcdef0123456789abcdef0123456789abcdef";
const K3: &str = "test-secret-key";

// Sigs made by Tencent's official UserSig generators: Python (V), npm (N) and Go (G).
const V1: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPXFmekgG3zKHM1T9D3LzdODi-OKs8vCqpxcAvydnV2SSv2cy03cPcpDnA2SMgu0nUxslWoBHdYzUg__";
const V2: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDAwMjYxNTM2gcqkVBZlFqUAZYwMDqFBJZi5IwNDMAApgxmSmg6yo1DZOdi4tyNL2CAkoykwNDPOITIwsqvDVDkr2CA3OKSgtc0nPNct1Ksn1tFWqBQD6ETXW";
const V3: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkSotTi*JjSk1SjVJiSs1MLcx1DWEKi1OyEwsKMlOAyowMwMAQKpNaUZBZlAoUtzAzMTCACpZk5oKEDI2MTUzNzC0sYeLFmekgiypNPA2CjT1cPCvMvfQ9QkMtvJN8nfMSPaIMkjLyzErNE-MtS8rDIzK9A4ptlWoBj201ZQ__";
const V4: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPWlxalFSaVpIFsiw72y4FZkpoOEArNCjAwMKwKyI7L1E30NU7UrDcoSs6OSDLyNMgOK3EpTtbUNik0rzZLcfG2VagHdkjl6";
const N1: &str = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZmqOKplYUZBaBxE1NTY3gosWZ6UpWSj5ljuYp*p7l5unBxXnF2WVhVU4uAf7Ozi5JpX7O5SbuHuUhzgZJmQXaTia2SrUAohcx8g__";
const N2: &str = "eJw1ykELgjAcBfDv8r8uZDrbYdClOiwoqLTA43BL-tVsbFOM6LsHau-2fu99oNwXSW88CMgSCouxozZtxBuOrLTFFkP0Kr78fAj6oZxDDSLNKU0zli-5tES0BkTK6ZxJzeDQGxDsDwEbEPAmrN507k5kefRoTldZqcoPB3Ku5aV4uq7fNpbbdbS7FXx-atg0dg__";
const N3: &str = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwqXFqUXxT3asfTatXdcQqqA4JTuxoCAzRcnKyAAMDCHiJZm5qUpWhkbGJqZm5haWBhDR1IqCzKJUJSsLMxMDqFBxZrqSlVKliadBsLGHi2eFuZe*R2iohXeSr3NeokeUQVJGnlmpeWK*ZUl5eESmd0CxrVItAPgFNKY_";
const G1: &str = "eAEArABT-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNzk1OTY0OTk1LCJUTFMuc2lnIjoiOVJYd3V2Ri9uTmxxc3JDbDB2K3RCYkZMMElMNEpPOGJrRGFIcVdCeUdscz0ifQoBAAD---GSMpU_";
const G2: &str = "eAEArQBS-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoidXNlcl-kuK3mloctMSIsIlRMUy5zZGthcHBpZCI6MjAwMDAwMDEsIlRMUy5leHBpcmUiOjg2NDAwLCJUTFMudGltZSI6MTc5NTk2NDk5NSwiVExTLnNpZyI6InBSc3Jtd2gvRktVV3hydHBteXFscEZDd0VjcTFVR3h2WGZBcjcwNFQ5Vkk9In0KAQAA--*KAjZK";
const R1: &str = "eJw1jNEKgjAYhd-lvzVkC11N6MKLAikIy266G23ab6hrGzKK3j2xde7Odw7fG6rDOR6VgQyWMYHF3FGq3mGNMxaywx6tM8INJhysfAitUUJGExLyW5TXaBRka5b8kcNuAnTFU85SynhQYDPJWdLSYR9xXV-l6zjsiqcQt3asfB41tim2d1Kn*YmUF19u4PMFzt00SQ__";

/// A server for one app whose admin is `admin`, at time `now`.
fn app_server(sdkappid: u64, key: &str, admin: &str, now: i64) -> TestServer {
    TestServer::with_clock(now, |c| {
        c.sdkappid = sdkappid;
        c.secret_key = key.into();
        c.admin = admin.into();
    })
}

/// `account_check` (admin only) with a given identifier and sig.
fn check_with(s: &TestServer, identifier: &str, sig: &str) -> serde_json::Value {
    let url = s.url_with("im_open_login_svc/account_check", identifier, sig);
    s.post(&url, &json!({"CheckItem": [{"UserID": "x"}]}).to_string())
}

#[test]
fn reference_vectors_verify_at_their_valid_times() {
    // (sdkappid, key, identifier, sig, a valid now, time + expire or None)
    type Case<'a> = (u64, &'a str, &'a str, &'a str, i64, Option<i64>);
    let cases: &[Case] = &[
        (1400000000, K1, "xiaojun", V1, 1700000001, Some(1715552000)),
        (
            1400123456,
            K2,
            "administrator",
            V2,
            1600000300,
            Some(1600000300),
        ),
        (
            20000001,
            K3,
            "user_中文-1",
            V3,
            1234567891,
            Some(1234654290),
        ),
        (1400000000, K1, "xiaojun", V4, 1700000001, None),
        (1400000000, K1, "xiaojun", N1, 1700000001, None),
        (1400123456, K2, "administrator", N2, 1600000001, None),
        (20000001, K3, "user_中文-1", N3, 1234567891, None),
        (1400000000, K1, "xiaojun", G1, 1795964996, None),
        (20000001, K3, "user_中文-1", G2, 1795964996, None),
        (1400000000, K1, "administrator", R1, 1795965170, None),
    ];
    for &(appid, key, id, sig, now, end) in cases {
        let s = app_server(appid, key, id, now);
        assert_ok(&check_with(&s, id, sig));
        // A future `time` is accepted (Go's verifier does not reject it).
        if id == "xiaojun" && sig == V1 {
            s.clock.set(1699999900);
            assert_ok(&check_with(&s, id, sig));
        }
        if let Some(end) = end {
            s.clock.set(end);
            assert_ok(&check_with(&s, id, sig)); // now == time + expire is still valid
            s.clock.set(end + 1);
            assert_code(&check_with(&s, id, sig), 70001); // even though it was cached
        }
    }
}

#[test]
fn wrong_key_identifier_and_sdkappid_get_their_codes() {
    // Same vector, servers that disagree with it in one way each.
    let wrong_key = app_server(1400000000, K2, "xiaojun", 1700000001);
    assert_code(&check_with(&wrong_key, "xiaojun", V1), 70009);

    let s = app_server(1400000000, K1, "xiaojun", 1700000001);
    assert_code(&check_with(&s, "xiaojun2", V1), 70013);

    let other_app = app_server(1400000001, K1, "xiaojun", 1700000001);
    assert_code(&check_with(&other_app, "xiaojun", V1), 70014);

    // Expired from the start.
    let late = app_server(1400000000, K1, "xiaojun", 1715552001);
    assert_code(&check_with(&late, "xiaojun", V1), 70001);
}

#[test]
fn url_credentials_errors() {
    let s = TestServer::start();
    let sig = s.sig(ADMIN);
    let path = "im_open_login_svc/account_check";
    let body = json!({"CheckItem": [{"UserID": "x"}]}).to_string();
    let base = format!("{}/v4/{path}", s.url);
    let cases = [
        (format!("{base}?identifier={ADMIN}&usersig={sig}"), 60012),
        (
            format!("{base}?sdkappid=abc&identifier={ADMIN}&usersig={sig}"),
            60006,
        ),
        (
            format!("{base}?sdkappid=1400000001&identifier={ADMIN}&usersig={sig}"),
            60006,
        ),
        (format!("{base}?sdkappid=1400000000&usersig={sig}"), 60004),
        (
            format!("{base}?sdkappid=1400000000&identifier={ADMIN}"),
            70002,
        ),
        (
            format!("{base}?sdkappid=1400000000&identifier={ADMIN}&usersig=!!!"),
            70003,
        ),
        (
            format!("{base}?sdkappid=1400000000&identifier={ADMIN}&usersig=eJyr"),
            70003,
        ),
    ];
    for (url, expected) in cases {
        assert_code(&s.post(&url, &body), expected);
    }
    // Expired v2im-wire sig, sig of another key, sig for another user.
    let expired = gen_usersig_at(1400000000, v2im_server::TEST_SECRET_KEY, ADMIN, 60, T0 - 61);
    assert_code(&check_with(&s, ADMIN, &expired), 70001);
    let other_key = gen_usersig_at(1400000000, K2, ADMIN, 600, T0);
    assert_code(&check_with(&s, ADMIN, &other_key), 70009);
    assert_code(&check_with(&s, ADMIN, &s.sig("bob")), 70013);
    let other_app = gen_usersig_at(1400000009, v2im_server::TEST_SECRET_KEY, ADMIN, 600, T0);
    assert_code(&check_with(&s, ADMIN, &other_app), 70014);
    // v2im-wire sigs verify (also one made "now" by the system clock and long-lived).
    assert_ok(&check_with(&s, ADMIN, &sig));
    let now_sig = v2im_wire::usersig::gen_usersig(
        1400000000,
        v2im_server::TEST_SECRET_KEY,
        ADMIN,
        v2im_wire::usersig::DEFAULT_EXPIRE_SECS,
    );
    assert_ok(&check_with(&s, ADMIN, &now_sig));
}

#[test]
fn non_admin_rules() {
    let s = TestServer::with(|c| c.auto_import = false);
    s.import(&["alice", "bob", "carol"]);
    let gid = s.create_group("g1", "alice", &["bob"]);

    // Admin-only commands.
    for (path, code) in [
        ("im_open_login_svc/account_import", 60010),
        ("im_open_login_svc/account_check", 60010),
        ("openim/batchsendmsg", 90009),
        ("openim/get_c2c_unread_msg_num", 90009),
        ("openim/admin_set_msg_read", 90009),
        ("recentcontact/get_list", 60010),
        ("group_open_http_svc/create_group", 60010),
        ("group_open_http_svc/get_group_info", 60010),
        ("group_open_http_svc/destroy_group", 60010),
        ("group_open_http_svc/add_group_member", 60010),
    ] {
        assert_code(&s.call_as("alice", path, json!({})), code);
    }

    // sendmsg as itself: without From_Account or with its own.
    let r = s.call_as(
        "alice",
        "openim/sendmsg",
        json!({"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("hi")}),
    );
    assert_ok(&r);
    let r = s.call_as(
        "alice",
        "openim/sendmsg",
        json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 2, "MsgBody": text("hi2")}),
    );
    assert_ok(&r);
    let r = s.call_as(
        "alice",
        "openim/sendmsg",
        json!({"From_Account": "carol", "To_Account": "bob", "MsgRandom": 3, "MsgBody": text("x")}),
    );
    assert_code(&r, 90009);
    assert_eq!(texts(&s.roam("bob", "alice")), ["hi2", "hi"]);
    assert!(s
        .roam("bob", "alice")
        .iter()
        .all(|m| m["From_Account"] == "alice"));

    // A valid sig of an account that was never imported (no --auto-import).
    let r = s.call_as(
        "mallory",
        "openim/sendmsg",
        json!({"To_Account": "bob", "MsgRandom": 4, "MsgBody": text("x")}),
    );
    assert_code(&r, 90008);

    // Its own history only.
    let own = s.call_as(
        "bob",
        "openim/admin_getroammsg",
        json!({"Operator_Account": "bob", "Peer_Account": "alice", "MaxCnt": 10, "MinTime": 0, "MaxTime": T0 + 10}),
    );
    assert_ok(&own);
    assert_eq!(own["MsgCnt"], 2);
    let other = s.call_as(
        "carol",
        "openim/admin_getroammsg",
        json!({"Operator_Account": "bob", "Peer_Account": "alice", "MaxCnt": 10, "MinTime": 0, "MaxTime": T0 + 10}),
    );
    assert_code(&other, 90009);
    let stranger = s.call_as(
        "mallory",
        "openim/admin_getroammsg",
        json!({"Operator_Account": "mallory", "Peer_Account": "alice", "MaxCnt": 10}),
    );
    assert_code(&stranger, 70107);

    // Groups: send as itself if a member, read if a member.
    let send = |user: &str, body: serde_json::Value| {
        s.call_as(user, "group_open_http_svc/send_group_msg", body)
    };
    assert_ok(&send(
        "bob",
        json!({"GroupId": gid, "Random": 1, "MsgBody": text("g")}),
    ));
    assert_code(
        &send(
            "bob",
            json!({"GroupId": gid, "From_Account": "alice", "Random": 2, "MsgBody": text("g")}),
        ),
        10007,
    );
    assert_code(
        &send(
            "carol",
            json!({"GroupId": gid, "Random": 3, "MsgBody": text("g")}),
        ),
        10007,
    );
    let hist = |user: &str| {
        s.call_as(
            user,
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": gid, "ReqMsgNumber": 10}),
        )
    };
    let h = hist("alice");
    assert_ok(&h);
    assert_eq!(h["RspMsgList"][0]["From_Account"], "bob");
    assert_code(&hist("carol"), 10007);
}
