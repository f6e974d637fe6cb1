//! Child processes for the crash tests: the test binary runs itself again (`current_exe()`
//! with `--exact <helper test>`), and the helper test, seeing [`CHILD_ENV`], plays a role —
//! a v2im-server that runs until it is killed, or whatever the test file defines — instead of
//! returning at once. A real process, so a test can SIGKILL, SIGSTOP and SIGCONT it.

use super::TestServer;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set in a child: its role.
pub const CHILD_ENV: &str = "V2IM_TEST_CHILD";
/// Lines a child prints for its parent start with this (the test harness prints other lines).
pub const LINE_PREFIX: &str = "V2IM_CHILD:";
/// Longest wait for a child to report it is ready.
const READY_WAIT: Duration = Duration::from_secs(20);

/// This process's role if it is a child.
pub fn role() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// Ends this child when its parent dies (its stdin pipe closes), so a test killed by a CI
/// timeout leaves no server or client running. Call first in every role.
pub fn exit_with_parent() {
    std::thread::spawn(|| {
        use std::io::Read;
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
}

/// Prints a line for the parent and flushes it at once (the parent may kill us right after).
pub fn tell_parent(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{LINE_PREFIX}{line}");
    let _ = out.flush();
}

/// A running child; killed (SIGKILL) on drop.
pub struct ChildProc {
    pub child: Child,
    /// The child's `tell_parent` lines, without the prefix.
    pub lines: crossbeam_channel::Receiver<String>,
}

impl ChildProc {
    /// Runs the helper test `helper` of this binary as a child with `role` and `env`.
    pub fn spawn(helper: &str, role: &str, env: &[(&str, String)]) -> ChildProc {
        let exe = std::env::current_exe().expect("test binary path");
        let mut cmd = Command::new(exe);
        cmd.args(["--exact", helper, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, role)
            // Kept open by the parent (in `child`): EOF tells the child its parent is gone.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn the child test process");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, lines) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                // The harness may print "test child_process ... " before it on the same line.
                if let Some(at) = line.find(LINE_PREFIX) {
                    if tx.send(line[at + LINE_PREFIX.len()..].to_string()).is_err() {
                        break;
                    }
                }
            }
        });
        ChildProc { child, lines }
    }

    /// The next line, or None after `wait` (or when the child ended).
    pub fn next_line(&self, wait: Duration) -> Option<String> {
        self.lines.recv_timeout(wait).ok()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, then reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a signal by name (`STOP`, `CONT`) with kill(1).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([format!("-{sig}"), self.pid().to_string()])
            .status()
            .expect("run kill(1)")
            .success();
        assert!(ok, "kill -{sig} {}", self.pid());
    }
}

impl Drop for ChildProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A v2im-server in a child process: its database and port stay the same across restarts.
pub struct ServerProc {
    helper: String,
    db: PathBuf,
    port: u16,
    proc: Option<ChildProc>,
    /// REST read-back as the admin (its `url` is the child's).
    pub view: TestServer,
}

impl ServerProc {
    /// Starts a server on a free port with a database in a new temporary directory.
    pub fn start(helper: &str) -> ServerProc {
        let view = TestServer::remote();
        let db = view.db_path();
        let mut s = ServerProc {
            helper: helper.to_string(),
            db,
            port: 0,
            proc: None,
            view,
        };
        s.launch();
        s
    }

    fn launch(&mut self) {
        let env = [
            ("V2IM_TEST_DB", self.db.display().to_string()),
            ("V2IM_TEST_LISTEN", format!("127.0.0.1:{}", self.port)),
        ];
        let p = ChildProc::spawn(&self.helper, "server", &env);
        let started = Instant::now();
        let url = loop {
            match p.next_line(READY_WAIT) {
                Some(l) => {
                    if let Some(u) = l.strip_prefix("url=") {
                        break u.to_string();
                    }
                }
                None => panic!("server child did not start within {READY_WAIT:?}"),
            }
            assert!(started.elapsed() < READY_WAIT, "server child start");
        };
        let port: u16 = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        assert!(
            self.port == 0 || self.port == port,
            "restarted on another port"
        );
        self.port = port;
        self.view.url = url;
        self.proc = Some(p);
    }

    pub fn url(&self) -> &str {
        &self.view.url
    }

    pub fn db(&self) -> &Path {
        &self.db
    }

    /// SIGKILL: no shutdown, no flush, connections reset.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill();
        }
    }

    /// Starts it again on the same port and database.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// SIGSTOP: it accepts connections (the kernel's backlog) but answers nothing.
    pub fn stall(&self) {
        let p = self.proc.as_ref().expect("running");
        p.signal("STOP");
        // kill(2) returns before the process stops: SIGSTOP wakes one of its threads, and only
        // when that thread runs does it stop the others, which meanwhile go on (on a loaded
        // machine long enough to serve a request). Stalled means every thread is stopped.
        let deadline = Instant::now() + READY_WAIT;
        while !all_threads_stopped(p.pid()) {
            assert!(
                Instant::now() < deadline,
                "the server did not stop within {READY_WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// SIGCONT after [`ServerProc::stall`].
    pub fn resume(&self) {
        self.proc.as_ref().expect("running").signal("CONT");
    }
}

/// Whether every thread of process `pid` is stopped (state `T` in /proc/PID/task/*/stat).
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().all(|t| {
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        // "tid (comm) S ...": the state follows the last ')' (comm may hold spaces or parens).
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "T")
    })
}

/// The "server" role: serves `V2IM_TEST_DB` on `V2IM_TEST_LISTEN` until killed. Returns (doing
/// nothing) in a process that is not a server child.
pub fn serve_if_server_child() {
    if role().as_deref() != Some("server") {
        return;
    }
    exit_with_parent();
    let db = std::env::var("V2IM_TEST_DB").expect("V2IM_TEST_DB");
    let listen = std::env::var("V2IM_TEST_LISTEN").expect("V2IM_TEST_LISTEN");
    let mut cfg = v2im_server::ServerConfig::for_test(PathBuf::from(db));
    cfg.listen = listen.parse().expect("listen address");
    let server = v2im_server::start(cfg).expect("start v2im-server");
    tell_parent(&format!("url={}", server.url));
    loop {
        std::thread::park();
    }
}
