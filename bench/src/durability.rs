//! What power-loss durability (`synchronous=FULL`) costs. 9a: v2im-server's durable sendmsg
//! (wrk, same connections and duration) with `--synchronous full` against the default, on two
//! fresh servers, rounds alternating. 9b: the library with a `dataDir`, whose `sendMessage`
//! returns once the message is committed to the local store, with `"synchronous": "full"`
//! against the default, on fresh directories, rounds alternating. No target: the rows show
//! what an fsync per commit costs on the machine's disk.

use super::*;

/// Messages per library round (each `sendMessage` waits for its commit).
const LIB_MSGS: usize = 1_000;

pub(crate) fn rows(o: &Opts, rows: &mut Vec<Row>, notes: &mut Vec<String>) {
    eprintln!("== synchronous=FULL: v2im-server and the library's store");
    let normal = Server::start(&o.server, &o.tmp.join("sync-normal.db"), None);
    let full = Server::start_with(
        &o.server,
        &o.tmp.join("sync-full.db"),
        None,
        &["--synchronous", "full"],
    );
    let sig = v2im_wire::usersig::gen_usersig(APP, KEY, SENDER, 86_400);
    for (name, s) in [("normal", &normal), ("full", &full)] {
        let check = o.tmp.join(format!("sync-check-{name}.lua"));
        std::fs::write(&check, sendmsg_lua(&sig, 700_000_000, true)).unwrap_or_else(|e| die(e));
        let w = wrk(o.conns, 1, &s.url, Some(&check));
        if w.bad != Some(0) {
            die(format!(
                "wrk sendmsg check ({name}): {:?} answers not OK ({})",
                w.bad, w.errors
            ));
        }
    }
    let (mut srv_normal, mut srv_full) = (Vec::new(), Vec::new());
    let (mut lib_normal, mut lib_full) = (Vec::new(), Vec::new());
    let create = CString::new(format!(r#"{{"text":"{TEXT}"}}"#)).expect("no NUL");
    for r in 0..o.rounds {
        for (name, s, out) in [
            ("normal", &normal, &mut srv_normal),
            ("full", &full, &mut srv_full),
        ] {
            let script = o.tmp.join(format!("sync-{name}-{r}.lua"));
            let base = 800_000_000 + 10_000_000 * r as u64;
            std::fs::write(&script, sendmsg_lua(&sig, base, false)).unwrap_or_else(|e| die(e));
            out.push(wrk(o.conns, o.secs, &s.url, Some(&script)).rps);
        }
        for (name, out) in [("normal", &mut lib_normal), ("full", &mut lib_full)] {
            let dir = o.tmp.join(format!("sync-lib-{name}-{r}"));
            out.push(lib_round(&normal.url, &dir, name, &create));
        }
        eprintln!(
            "   round {r}: server normal {:.0}/s, full {:.0}/s; library normal {:.0}/s, full {:.0}/s",
            srv_normal[r], srv_full[r], lib_normal[r], lib_full[r]
        );
    }
    let per_s = |v: f64| format!("{v:.0}/s");
    let (sn, sf) = (Stat::of(&srv_normal), Stat::of(&srv_full));
    rows.push(Row {
        target: "9a. cost of v2im-server --synchronous full: durable sendmsg with an fsync per commit vs without (wrk, same conns)",
        measured: format!("full {}", sf.show(per_s)),
        baseline: format!("normal {}", sn.show(per_s)),
        check: Check::Figure(sf.med / sn.med),
    });
    let (ln, lf) = (Stat::of(&lib_normal), Stat::of(&lib_full));
    rows.push(Row {
        target: "9b. cost of \"synchronous\": \"full\" in the library: sendMessage with a dataDir (returns once committed), fsync per commit vs without",
        measured: format!("full {}", lf.show(per_s)),
        baseline: format!("normal {}", ln.show(per_s)),
        check: Check::Figure(lf.med / ln.med),
    });
    notes.push(format!(
        "9: no target; what an fsync per commit costs on this machine's disk ({}). 9b counts \
         {LIB_MSGS} createTextMessage + sendMessage calls from one thread, each returning after \
         its store commit, against the normal server.",
        disk_of(&o.tmp)
    ));
}

/// One library round: `LIB_MSGS` sends with a fresh `dataDir`; the calls' rate.
fn lib_round(url: &str, dir: &Path, synchronous: &str, create: &CStr) -> f64 {
    let cfg = format!(
        r#"{{"sdkAppID":{APP},"userID":"{SENDER}","secretKey":"{KEY}","serverUrl":"{url}","dataDir":"{}","synchronous":"{synchronous}","maxQueueLength":{},"logLevel":"off"}}"#,
        dir.display(),
        LIB_MSGS + 100
    );
    let c = Client::new(&cfg);
    let done = Box::new(Done::default());
    let mut created = Created::default();
    let t = Instant::now();
    for i in 0..LIB_MSGS {
        create_and_send(
            &c,
            &mut created,
            create,
            &format!("r{}", i % RECEIVERS),
            &done,
        );
    }
    let rate = LIB_MSGS as f64 / t.elapsed().as_secs_f64();
    if !done.wait(LIB_MSGS, Duration::from_secs(120)) {
        die(format!(
            "9b ({synchronous}): the sends did not complete within 120 s"
        ));
    }
    if done.failed.load(Ordering::Acquire) > 0 {
        die(format!(
            "9b ({synchronous}): a send failed: {}",
            done.first_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
                .unwrap_or_default()
        ));
    }
    drop(c);
    rate
}

/// The filesystem under `dir` as `df` names it (device and type), for the note.
fn disk_of(dir: &Path) -> String {
    Command::new("df")
        .args(["--output=source,fstype"])
        .arg(dir)
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .nth(1)
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(", "))
        })
        .unwrap_or_else(|| "unknown".into())
}
