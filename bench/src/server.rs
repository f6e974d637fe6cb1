//! Target 2 at more connections and for group messages: v2im-server's durable `sendmsg` and
//! `send_group_msg` against its `/healthz` (which does no work), each pair measured by wrk in
//! the same round with the same connections, at 4 and 16 connections.
//!
//! The group is one of two members, the sender and one receiver, so that a group message does
//! the work of one (its seq, its commit, one receiver's inbox) without a fan-out that a
//! one-to-one message has no counterpart for. The server runs with `--group-rate 0`: the
//! group's frequency control would otherwise drop most of wrk's messages (and store none).

use crate::{
    die, http_exchange, median, rest_lua, sendmsg_lua, stat_cpu_ns, wrk, Check, Opts, Row, Server,
    Stat, APP, KEY, SENDER, TEXT,
};
use std::path::Path;
use std::process::Command;

const GROUP: &str = "bench-group";
const CONNS: [usize; 2] = [4, 16];

fn group_lua(usersig: &str, base: u64, check: bool) -> String {
    let body = format!(
        r#"'{{"GroupId":"{GROUP}","Random":' .. r .. ',"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{TEXT}"}}}}]}}'"#
    );
    rest_lua(
        usersig,
        "group_open_http_svc/send_group_msg",
        &body,
        base,
        check,
    )
}

/// The server's commits and the jobs they carried so far, from its `GET /metrics`.
fn commits(url: &str) -> (u64, u64) {
    let addr = url.trim_start_matches("http://");
    let text = http_exchange(
        addr,
        &format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| die(format!("/metrics has no {name}: {text}")))
    };
    (
        value("v2im_store_commits_total "),
        value("v2im_store_jobs_total "),
    )
}

/// Runs wrk with `script` and measures, besides its rate, the server's CPU per request (µs)
/// and the requests per commit.
fn measured(conns: usize, secs: u64, server: &Server, script: &Path) -> (crate::Wrk, f64, f64) {
    let stat = format!("/proc/{}/stat", server.child.id());
    let (cpu0, (c0, j0)) = (stat_cpu_ns(&stat, false), commits(&server.url));
    let w = wrk(conns, secs, &server.url, Some(script));
    let (cpu1, (c1, j1)) = (stat_cpu_ns(&stat, false), commits(&server.url));
    let jobs = (j1 - j0).max(1) as f64;
    let per_commit = jobs / (c1 - c0).max(1) as f64;
    (w, (cpu1 - cpu0) as f64 / jobs / 1000.0, per_commit)
}

pub(crate) fn server_rows(o: &Opts, rows: &mut Vec<Row>, notes: &mut Vec<String>) {
    eprintln!("== server: sendmsg and send_group_msg vs /healthz at {CONNS:?} connections");
    let server = Server::start_with(
        &o.server,
        &o.tmp.join("server-rows.db"),
        None,
        &["--group-rate", "0"],
    );
    // The group, made by the server's own admin command.
    let made = Command::new(&o.server)
        .args(["group", "create", "--name", "bench", "--id", GROUP])
        .args(["--owner", SENDER, "--member", "r0", "--server", &server.url])
        .args(["--sdkappid", &APP.to_string(), "--secret-key", KEY])
        .output()
        .unwrap_or_else(|e| die(format!("v2im-server group create: {e}")));
    if !made.status.success() {
        die(format!(
            "v2im-server group create: {}",
            String::from_utf8_lossy(&made.stderr)
        ));
    }
    let sig = v2im_wire::usersig::gen_usersig(APP, KEY, SENDER, 86_400);
    // Checks: every answer of both commands is OK (accounts imported, the group usable).
    for (name, script) in [
        ("sendmsg", sendmsg_lua(&sig, 100_000_000, true)),
        ("send_group_msg", group_lua(&sig, 100_000_000, true)),
    ] {
        let path = o.tmp.join(format!("{name}-check.lua"));
        std::fs::write(&path, script).unwrap_or_else(|e| die(e));
        let w = wrk(4, 2, &server.url, Some(&path));
        if w.bad != Some(0) {
            die(format!(
                "wrk {name} check: {:?} answers not OK ({})",
                w.bad, w.errors
            ));
        }
    }
    let per_s = |v: f64| format!("{v:.0}/s");
    let rounds = o.rounds.min(3);
    for (i, conns) in CONNS.into_iter().enumerate() {
        let (mut health, mut c2c, mut group) = (Vec::new(), Vec::new(), Vec::new());
        // Server CPU per send (µs) and sends per commit, each command.
        let (mut c2c_cpu, mut c2c_batch, mut group_cpu, mut group_batch) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for r in 0..rounds {
            let base = 1_000_000_000 + 300_000_000 * (i * rounds + r) as u64;
            let (c2c_path, group_path) = (
                o.tmp.join(format!("c2c-{conns}-{r}.lua")),
                o.tmp.join(format!("group-{conns}-{r}.lua")),
            );
            std::fs::write(&c2c_path, sendmsg_lua(&sig, base, false)).unwrap_or_else(|e| die(e));
            std::fs::write(&group_path, group_lua(&sig, base, false)).unwrap_or_else(|e| die(e));
            let h = wrk(conns, o.secs, &format!("{}/healthz", server.url), None);
            let (c, cpu, batch) = measured(conns, o.secs, &server, &c2c_path);
            c2c_cpu.push(cpu);
            c2c_batch.push(batch);
            let (g, cpu, batch) = measured(conns, o.secs, &server, &group_path);
            group_cpu.push(cpu);
            group_batch.push(batch);
            for (what, w) in [("healthz", &h), ("sendmsg", &c), ("send_group_msg", &g)] {
                if !w.errors.is_empty() {
                    notes.push(format!(
                        "2, {conns} connections, round {r}: wrk {what}: {}",
                        w.errors
                    ));
                }
            }
            eprintln!(
                "   {conns} connections, round {r}: healthz {:.0}/s, sendmsg {:.0}/s, send_group_msg {:.0}/s",
                h.rps, c.rps, g.rps
            );
            health.push(h.rps);
            c2c.push(c.rps);
            group.push(g.rps);
        }
        notes.push(format!(
            "2b–2e, {conns} connections: server CPU per send (medians, µs; 10 ms ticks) \
             sendmsg {:.1}, send_group_msg {:.1}; sends per commit (the server's /metrics) \
             sendmsg {:.2}, send_group_msg {:.2}.",
            median(&c2c_cpu),
            median(&group_cpu),
            median(&c2c_batch),
            median(&group_batch)
        ));
        let (health, c2c, group) = (Stat::of(&health), Stat::of(&c2c), Stat::of(&group));
        let (c2c_target, group_target): (&'static str, &'static str) = if conns == 4 {
            (
                "2b. server: durable sendmsg ≥ 0.5 × /healthz, 4 connections (a server of its own, with the group below)",
                "2c. server: durable send_group_msg (a group of two) ≥ 0.5 × /healthz, 4 connections",
            )
        } else {
            (
                "2d. server: durable sendmsg ≥ 0.5 × /healthz, 16 connections",
                "2e. server: durable send_group_msg (a group of two) ≥ 0.5 × /healthz, 16 connections",
            )
        };
        rows.push(Row {
            target: c2c_target,
            measured: format!("sendmsg {}", c2c.show(per_s)),
            baseline: format!("/healthz {}", health.show(per_s)),
            check: Check::AtLeast(c2c.med / health.med, 0.5),
        });
        rows.push(Row {
            target: group_target,
            measured: format!("send_group_msg {}", group.show(per_s)),
            baseline: format!("/healthz {}", health.show(per_s)),
            check: Check::AtLeast(group.med / health.med, 0.5),
        });
    }
}
