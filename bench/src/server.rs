//! Target 2 at more connections and for group messages: v2im-server's durable `sendmsg` and
//! `send_group_msg` against its `/healthz` (which does no work), each pair measured by wrk in
//! the same round with the same connections, at 4 and 16 connections. Beside them, a sendmsg
//! the server refuses right after parsing it: how much of a send's CPU is spent before any
//! storing begins, and so how much room storing has at the target's rate.
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
        check.then_some(crate::ANSWER_OK),
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

/// The CPU time (ns) of `pid`'s threads named `name`.
fn thread_cpu_ns(pid: u32, name: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .map(|t| stat_cpu_ns(&t.path().join("stat").to_string_lossy(), false))
        .sum()
}

/// The busy CPU time (ns) of the whole machine so far, every core and process (wrk's too):
/// user, nice, system, irq and softirq time from `/proc/stat`.
fn machine_busy_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = s
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq: idle and iowait are not busy.
    let busy: u64 = [0, 1, 2, 5, 6]
        .iter()
        .map(|&i| f.get(i).copied().unwrap_or(0))
        .sum();
    // USER_HZ is 100 on Linux.
    busy * 10_000_000
}

/// What one wrk run of stores measured besides its rate, in µs per stored send: the server's
/// CPU, its writer thread's, the whole machine's; and the sends per commit.
struct Stored {
    wrk: crate::Wrk,
    cpu: f64,
    writer_cpu: f64,
    machine_cpu: f64,
    per_commit: f64,
}

/// Runs wrk with `script` and measures, besides its rate, the server's CPU per request, its
/// writer thread's, and the requests per commit.
fn measured(conns: usize, secs: u64, server: &Server, script: &Path) -> Stored {
    let pid = server.child.id();
    let stat = format!("/proc/{pid}/stat");
    let cpu = || {
        (
            stat_cpu_ns(&stat, false),
            thread_cpu_ns(pid, "v2im-writer"),
            machine_busy_ns(),
        )
    };
    let ((cpu0, w0, m0), (c0, j0)) = (cpu(), commits(&server.url));
    let w = wrk(conns, secs, &server.url, Some(script));
    let ((cpu1, w1, m1), (c1, j1)) = (cpu(), commits(&server.url));
    let jobs = (j1 - j0).max(1) as f64;
    let per_job = |a: u64, b: u64| b.saturating_sub(a) as f64 / jobs / 1000.0;
    Stored {
        wrk: w,
        cpu: per_job(cpu0, cpu1),
        writer_cpu: per_job(w0, w1),
        machine_cpu: per_job(m0, m1),
        per_commit: jobs / (c1 - c0).max(1) as f64,
    }
}

/// Runs wrk with `script`, whose every answer is refused before the store, and returns its
/// rate, the server's CPU per request and the whole machine's (µs).
fn run_refused(conns: usize, secs: u64, server: &Server, script: &Path) -> (crate::Wrk, f64, f64) {
    let stat = format!("/proc/{}/stat", server.child.id());
    let (cpu0, m0) = (stat_cpu_ns(&stat, false), machine_busy_ns());
    let w = wrk(conns, secs, &server.url, Some(script));
    let (cpu1, m1) = (stat_cpu_ns(&stat, false), machine_busy_ns());
    let reqs = (w.rps * secs as f64).max(1.0);
    let per_req = |a: u64, b: u64| b.saturating_sub(a) as f64 / reqs / 1000.0;
    (w, per_req(cpu0, cpu1), per_req(m0, m1))
}

/// A sendmsg that the server refuses right after parsing its body: `From_Account` is an
/// account the caller may not send as (90009), so the request costs all of its HTTP and JSON
/// work and stores nothing.
fn refused_lua(usersig: &str, base: u64, check: bool) -> String {
    let expect = format!(
        r#""ErrorCode":{}"#,
        v2im_wire::codes::ADMIN_PERMISSION_REQUIRED
    );
    crate::sendmsg_lua_as(
        usersig,
        base,
        check.then_some(expect.as_str()),
        None,
        "not-the-caller",
    )
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
        ("refused sendmsg", refused_lua(&sig, 100_000_000, true)),
    ] {
        let path = o.tmp.join(format!("{}-check.lua", name.replace(' ', "-")));
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
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    // Per connection count: the writer's CPU per stored sendmsg (µs) and its sends per commit.
    let mut writer = Vec::new();
    for (i, conns) in CONNS.into_iter().enumerate() {
        let (mut health, mut c2c, mut group, mut refused) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // Server CPU per request (µs) and sends per commit, each command.
        let (mut c2c_cpu, mut c2c_writer, mut c2c_batch, mut group_cpu, mut group_batch) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut refused_cpu, mut c2c_machine, mut refused_machine) =
            (Vec::new(), Vec::new(), Vec::new());
        for r in 0..rounds {
            let base = 1_000_000_000 + 300_000_000 * (i * rounds + r) as u64;
            let (c2c_path, group_path, refused_path) = (
                o.tmp.join(format!("c2c-{conns}-{r}.lua")),
                o.tmp.join(format!("group-{conns}-{r}.lua")),
                o.tmp.join(format!("refused-{conns}-{r}.lua")),
            );
            std::fs::write(&c2c_path, sendmsg_lua(&sig, base, false)).unwrap_or_else(|e| die(e));
            std::fs::write(&group_path, group_lua(&sig, base, false)).unwrap_or_else(|e| die(e));
            std::fs::write(&refused_path, refused_lua(&sig, base, false))
                .unwrap_or_else(|e| die(e));
            let h = wrk(conns, o.secs, &format!("{}/healthz", server.url), None);
            let c = measured(conns, o.secs, &server, &c2c_path);
            c2c_cpu.push(c.cpu);
            c2c_writer.push(c.writer_cpu);
            c2c_machine.push(c.machine_cpu);
            c2c_batch.push(c.per_commit);
            let g = measured(conns, o.secs, &server, &group_path);
            group_cpu.push(g.cpu);
            group_batch.push(g.per_commit);
            let (b, cpu, machine) = run_refused(conns, o.secs, &server, &refused_path);
            refused_cpu.push(cpu);
            refused_machine.push(machine);
            for (what, w) in [
                ("healthz", &h),
                ("sendmsg", &c.wrk),
                ("send_group_msg", &g.wrk),
                ("refused sendmsg", &b),
            ] {
                if !w.errors.is_empty() {
                    notes.push(format!(
                        "2, {conns} connections, round {r}: wrk {what}: {}",
                        w.errors
                    ));
                }
            }
            eprintln!(
                "   {conns} connections, round {r}: healthz {:.0}/s, sendmsg {:.0}/s, \
                 send_group_msg {:.0}/s, refused sendmsg {:.0}/s",
                h.rps, c.wrk.rps, g.wrk.rps, b.rps
            );
            health.push(h.rps);
            c2c.push(c.wrk.rps);
            group.push(g.wrk.rps);
            refused.push(b.rps);
        }
        notes.push(format!(
            "2b–2e, {conns} connections: server CPU per send (medians, µs; 10 ms ticks) \
             sendmsg {:.1} (its writer thread {:.1}), send_group_msg {:.1}; sends per commit \
             (the server's /metrics) sendmsg {:.2}, send_group_msg {:.2}.",
            median(&c2c_cpu),
            median(&c2c_writer),
            median(&group_cpu),
            median(&c2c_batch),
            median(&group_batch)
        ));
        writer.push((median(&c2c_writer), median(&c2c_batch)));
        let (health, c2c, group, refused) = (
            Stat::of(&health),
            Stat::of(&c2c),
            Stat::of(&group),
            Stat::of(&refused),
        );
        // At 0.5 × /healthz the machine has `cores / rate` of CPU per send. A send refused
        // before the store shows what the rest of a request costs (wrk's share and the
        // server's HTTP and JSON work): what is left of the budget is what storing may cost.
        let budget = cores * 1e6 / (0.5 * health.med);
        let (stored, refused_all) = (median(&c2c_machine), median(&refused_machine));
        notes.push(format!(
            "2f–2g, {conns} connections: a sendmsg refused right after its body is parsed \
             (nothing stored) reaches {:.2} × /healthz. At 0.5 × /healthz the {cores:.0} cores \
             have {budget:.1} µs of CPU per send. A refused sendmsg uses {refused_all:.1} µs of \
             the machine's CPU (wrk, kernel and server; the server {:.1}), a stored one \
             {stored:.1} µs (the server {:.1}): storing may cost {:.1} µs and costs {:.1} µs \
             (medians; CPU from /proc/stat, 10 ms ticks).",
            refused.med / health.med,
            median(&refused_cpu),
            median(&c2c_cpu),
            budget - refused_all,
            stored - refused_all,
        ));
        let (c2c_target, group_target, refused_target): (&'static str, &'static str, &'static str) =
            if conns == 4 {
                (
                    "2b. server: durable sendmsg ≥ 0.5 × /healthz, 4 connections (a server of its own, with the group below)",
                    "2c. server: durable send_group_msg (a group of two) ≥ 0.5 × /healthz, 4 connections",
                    "2f. server: sendmsg refused right after parsing (nothing stored) vs /healthz, 4 connections",
                )
            } else {
                (
                    "2d. server: durable sendmsg ≥ 0.5 × /healthz, 16 connections",
                    "2e. server: durable send_group_msg (a group of two) ≥ 0.5 × /healthz, 16 connections",
                    "2g. server: sendmsg refused right after parsing (nothing stored) vs /healthz, 16 connections",
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
        rows.push(Row {
            target: refused_target,
            measured: format!("refused sendmsg {}", refused.show(per_s)),
            baseline: format!("/healthz {}", health.show(per_s)),
            check: Check::Figure(refused.med / health.med),
        });
    }
    // The writer's CPU per send is a commit's share plus the send's own work: solved for the
    // two from the two connection counts' batch sizes (cpu = P + C / batch).
    if let [(w4, b4), (w16, b16)] = writer[..] {
        if (1.0 / b4 - 1.0 / b16).abs() > 1e-6 {
            let commit = (w4 - w16) / (1.0 / b4 - 1.0 / b16);
            let send = w4 - commit / b4;
            notes.push(format!(
                "2b–2g: the writer thread's CPU per stored sendmsg ({w4:.1} µs at {b4:.2} sends \
                 per commit, {w16:.1} µs at {b16:.2}) is {commit:.1} µs per commit plus \
                 {send:.1} µs per send: the send's own statements, events and answer, however \
                 many share a commit (a solution of two noisy figures: it moves between runs)."
            ));
        }
    }
}
