//! `deploy/`: the systemd unit and the Dockerfile say only what the binary understands, and the
//! settings they give start a server. (No container engine runs here: the Dockerfile is read,
//! not built.)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn deploy(file: &str) -> (PathBuf, String) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(file);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (p, text)
}

/// `v2im-server --help`: every environment variable the binary reads is named there.
fn help() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_v2im-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Every `V2IM_SERVER_*` name in `text` is one the binary reads (an unknown one would be ignored
/// without a word).
fn assert_known_variables(what: &str, text: &str, help: &str) {
    let mut seen = 0;
    for (i, _) in text.match_indices("V2IM_SERVER_") {
        let name: String = text[i..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        assert!(
            help.contains(&format!("[env: {name}=")) || help.contains(&format!("[env: {name}]")),
            "{what} sets {name}, which v2im-server does not read"
        );
        seen += 1;
    }
    assert!(seen >= 2, "{what} sets no V2IM_SERVER_ variable");
}

/// Starts the binary with `env` (the listen port replaced by 0 and the database put in `dir`),
/// checks `/healthz`, stops it with SIGTERM and waits for exit status 0.
fn serve_with(env: &[(String, String)], dir: &Path) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_v2im-server"));
    for (k, v) in env {
        let v = match k.as_str() {
            "V2IM_SERVER_LISTEN" => {
                let host = v.rsplit_once(':').expect("host:port").0;
                format!("{host}:0")
            }
            "V2IM_SERVER_DB" => {
                let name = Path::new(v).file_name().expect("a file name");
                dir.join(name).display().to_string()
            }
            _ => v.clone(),
        };
        cmd.env(k, v);
    }
    let mut child = cmd
        .env("V2IM_SERVER_SDKAPPID", "1400000000")
        .env("V2IM_SERVER_SECRET_KEY", "deploy-test-key")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = crate::common::listening_url(&mut child).replace("0.0.0.0", "127.0.0.1");
    let health = ureq::get(&format!("{url}/healthz")).call().unwrap();
    assert_eq!(health.into_string().unwrap(), "ok\n");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert!(dir.read_dir().unwrap().count() > 0, "no database written");
}

#[test]
fn the_systemd_unit_is_valid_and_its_settings_start_the_server() {
    let (_, unit) = deploy("v2im-server.service");
    assert_known_variables("the unit", &unit, &help());
    let mut env = Vec::new();
    let mut exec = None;
    for line in unit.lines().map(str::trim) {
        if let Some(kv) = line.strip_prefix("Environment=") {
            let (k, v) = kv.split_once('=').expect("Environment=KEY=VALUE");
            env.push((k.to_string(), v.to_string()));
        } else if let Some(cmd) = line.strip_prefix("ExecStart=") {
            exec = Some(cmd.to_string());
        }
    }
    assert_eq!(exec.as_deref(), Some("/usr/local/bin/v2im-server"));
    let dir = tempfile::tempdir().unwrap();

    // systemd's own check, with ExecStart pointing at the binary just built.
    let verify = Command::new("systemd-analyze").arg("--version").output();
    if verify.is_ok_and(|o| o.status.success()) {
        let copy = dir.path().join("v2im-server.service");
        std::fs::write(
            &copy,
            unit.replace(
                "ExecStart=/usr/local/bin/v2im-server",
                &format!("ExecStart={}", env!("CARGO_BIN_EXE_v2im-server")),
            ),
        )
        .unwrap();
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .arg(&copy)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && said.trim().is_empty(),
            "systemd-analyze verify: {said}"
        );
    } else {
        eprintln!("systemd-analyze is not installed: the unit's syntax is not checked by systemd");
    }
    let data = dir.path().join("state");
    std::fs::create_dir(&data).unwrap();
    serve_with(&env, &data);
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && cur.is_empty()) {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(part) => {
                cur.push_str(part);
                cur.push(' ');
            }
            None => {
                cur.push_str(t);
                let (op, args) = cur.split_once(' ').unwrap_or((&cur, ""));
                out.push((op.to_ascii_uppercase(), args.trim().to_string()));
                cur.clear();
            }
        }
    }
    out
}

#[test]
fn the_dockerfile_copies_what_its_build_stage_builds_and_its_settings_start_the_server() {
    let (_, text) = deploy("Dockerfile");
    assert_known_variables("the Dockerfile", &text, &help());
    let ins = instructions(&text);
    let arg = |op: &str| -> Vec<String> {
        ins.iter()
            .filter(|(o, _)| o == op)
            .map(|(_, a)| a.clone())
            .collect()
    };
    let from = arg("FROM");
    assert_eq!(from.len(), 2, "a build stage and a runtime stage: {from:?}");
    let stage = from[0]
        .split_once(" AS ")
        .expect("the build stage is named")
        .1
        .trim();
    let workdir = arg("WORKDIR")[0].clone();
    let run = arg("RUN");
    assert!(
        run.iter()
            .any(|r| r.contains("cargo build --release --locked -p v2im-server")),
        "{run:?}"
    );
    let copy = arg("COPY");
    let from_build = copy
        .iter()
        .find_map(|c| c.strip_prefix(&format!("--from={stage} ")))
        .expect("a COPY from the build stage");
    let (src, dst) = from_build.split_once(' ').unwrap();
    assert_eq!(src, format!("{workdir}/target/release/v2im-server"));
    let entry: Vec<String> = serde_json::from_str(&arg("ENTRYPOINT")[0]).unwrap();
    assert_eq!(entry, [dst.to_string()]);
    let volume = arg("VOLUME")[0].clone();
    let mut env = Vec::new();
    for e in arg("ENV") {
        for kv in e.split_whitespace() {
            let (k, v) = kv.split_once('=').expect("ENV KEY=VALUE");
            env.push((k.to_string(), v.to_string()));
        }
    }
    let db = env
        .iter()
        .find(|(k, _)| k == "V2IM_SERVER_DB")
        .expect("the database path is set");
    assert!(
        db.1.starts_with(&format!("{volume}/")),
        "the database is in the volume"
    );
    // The build context leaves out what a build makes (gigabytes of target/).
    let ignore =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.dockerignore"))
            .unwrap();
    assert!(ignore.lines().any(|l| l.trim() == "target/"), "{ignore}");
    let dir = tempfile::tempdir().unwrap();
    serve_with(&env, dir.path());
}
