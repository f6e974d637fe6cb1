#!/usr/bin/env python3
"""Follows README.md's quick start as written, in a temporary home (ctest readme_quickstart).

The README's shell blocks and commands run as a newcomer would type them, in one "terminal"
whose exports carry from block to block; `hello.c` and `hello.cpp` are written from the README's
code blocks and built with the README's own command lines. What it checks:

  install   `cmake --install <build> --prefix "$HOME/.local/v2im"`, PATH, pkg-config, a server
  C, C++    each program sends alice's text to bob and prints the README's result line
  Python    the wheel built from the installed library, in a fresh venv, sends as alice
  receive   bob's client (the README's receiving block) prints "alice hello" when hello runs
  groups    `v2im-server account import` and `group create` make alice and bob's accounts and
            group; alice's message to it is read back by bob's client; `v2im-server usersig`
            prints a sig

What is changed, and only that: the `cmake --workflow --preset release` line is left out (this
test runs inside the workflow that built the tree, release or test); `build-release` becomes
the build directory under test; `/tmp/` paths move into the test's own directory, and port
8080 becomes a free port, so that runs never collide. Standard library only; every wait is
bounded; the server and bob's client are stopped at the end, also on failure.
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEP_TIMEOUT = 300


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def quick_start(readme):
    """The Quick start section: its fenced blocks as (language, text), and its prose."""
    try:
        text = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    except IndexError:
        fail("README.md has no Quick start section")
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", text, flags=re.M | re.S)
    return blocks, text


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Terminal:
    """A shell whose exports and variables carry over from one block to the next."""

    def __init__(self, work, rewrite, env):
        self.work, self.rewrite, self.env = work, rewrite, env
        self.state = os.path.join(work, "terminal.state")
        open(self.state, "w").close()
        self.count = 0

    def script(self, block, then):
        # The block, then what it left set, so that the next block starts from there.
        return ("source %s\n%s\n%s\n{ export -p; declare -p CONFIG G 2>/dev/null || true; } > %s.next\n"
                % (shlex.quote(self.state), self.rewrite(block), then, shlex.quote(self.state)))

    def run(self, block, cwd, what, then=""):
        """Runs `block` as written (rewritten as the module says), then the test's own `then`."""
        self.count += 1
        path = os.path.join(self.work, "step%d.sh" % self.count)
        with open(path, "w") as f:
            f.write(self.script(block, then))
        out_path = path + ".out"
        print("--- %s (%s)\n%s" % (what, path, self.rewrite(block)), flush=True)
        # Output goes to a file, not a pipe: the server the first block starts keeps its
        # stdout, and a pipe would stay open until it exits.
        with open(out_path, "w") as out:
            try:
                p = subprocess.run(["bash", "-e", path], cwd=cwd, env=self.env, stdout=out,
                                   stderr=subprocess.STDOUT, timeout=STEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                fail("%s did not finish within %d s" % (what, STEP_TIMEOUT))
        output = open(out_path).read()
        print(output, flush=True)
        if p.returncode != 0:
            fail("%s: exit status %d" % (what, p.returncode))
        os.replace(self.state + ".next", self.state)
        return output

    def start(self, block, cwd, what):
        """Runs a block that does not end (bob's receiver) in the background."""
        path = os.path.join(self.work, "background.sh")
        with open(path, "w") as f:
            f.write("source %s\n%s\n" % (shlex.quote(self.state), self.rewrite(block)))
        print("--- %s, in the background (%s)\n%s" % (what, path, self.rewrite(block)),
              flush=True)
        out = open(path + ".out", "w")
        p = subprocess.Popen(["bash", "-e", path], cwd=cwd, env=self.env, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
        return p, path + ".out"


def wait_for(what, check, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    fail("%s: not within %d s" % (what, timeout))


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode()
    except OSError:
        return None


def stop_group(p):
    if p is not None and p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(p.pid, signal.SIGKILL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", required=True, help="the configured and built tree to install")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    blocks, prose = quick_start(open(os.path.join(REPO, "README.md"), encoding="utf-8").read())
    kinds = [lang for lang, _ in blocks]
    if kinds != ["sh", "c", "cpp", "sh", "sh", "sh"]:
        fail("the Quick start's blocks are %s; this test knows sh, c, cpp, sh (Python), "
             "sh (receiving), sh (groups)" % kinds)
    setup, hello_c, hello_cpp, python_send, bob, groups = (text for _, text in blocks)
    cc = re.search(r"`(cc hello\.c [^`]*)`", prose)
    cxx = re.search(r"`(c\+\+ [^`]*hello\.cpp[^`]*)`", prose)
    if not cc or not cxx:
        fail("the Quick start gives no `cc hello.c ...` or `c++ ... hello.cpp ...` command")
    if "cmake --workflow --preset release" not in setup:
        fail("the Quick start no longer builds with the release workflow; update this test")

    work = tempfile.mkdtemp(prefix="v2im-quickstart.")
    home = os.path.join(work, "home")
    os.makedirs(home)
    port = free_port()
    build_dir = os.path.abspath(args.build_dir)

    def rewrite(text):
        text = "\n".join(l for l in text.split("\n")
                         if not l.startswith("cmake --workflow --preset release"))
        text = text.replace("/tmp/", work + "/tmp/").replace("127.0.0.1:8080",
                                                              "127.0.0.1:%d" % port)
        return re.sub(r"(?<![\w/-])build-release\b", shlex.quote(build_dir), text)

    os.makedirs(os.path.join(work, "tmp"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("V2IM_", "PYTHON", "VIRTUAL_ENV", "PKG_CONFIG", "LD_"))}
    # Bob's prints reach the test as they would a terminal (a file would buffer them).
    env.update(HOME=home, PYTHONUNBUFFERED="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_INPUT="1")
    term = Terminal(work, rewrite, env)
    server_pid = None
    receiver = None
    try:
        # Install, PATH, the server, CONFIG. The server keeps running in the background.
        term.run(setup, REPO, "install and start",
                 then="echo $! > %s" % shlex.quote(os.path.join(work, "server.pid")))
        server_pid = int(open(os.path.join(work, "server.pid")).read())
        base = "http://127.0.0.1:%d" % port
        wait_for("the server answers /healthz", lambda: http_get(base + "/healthz") == "ok\n")
        prefix = os.path.join(home, ".local", "v2im")
        for f in ("bin/v2im-server", "lib/libv2im.so", "include/v2im.h", "include/v2im.hpp",
                  "lib/pkgconfig/v2im.pc"):
            if not os.path.exists(os.path.join(prefix, f)):
                fail("the install has no %s" % f)

        # C and C++, each in its own directory, built with the README's command line.
        programs = {}
        for lang, source, command in (("C", hello_c, cc.group(1)),
                                      ("C++", hello_cpp, cxx.group(1))):
            d = os.path.join(work, lang.lower().replace("+", "x"))
            os.makedirs(d)
            name = "hello.c" if lang == "C" else "hello.cpp"
            with open(os.path.join(d, name), "w") as f:
                f.write(source)
            out = term.run(command, d, lang).strip().splitlines()
            programs[lang] = d
            last = out[-1] if out else ""
            if lang == "C":
                m = re.fullmatch(r'0 (\{"code":0,"desc":"","data":\{.*\}\})', last)
                if not m or '"status":2' not in last or '"userID":"bob"' not in last:
                    fail("hello.c printed %r, not `0 {\"code\":0,\"desc\":\"\",\"data\":"
                         "{...the sent V2TimMessage...}}`" % last)
            elif not re.fullmatch(r"0 \d+_\d+_\d+", last):
                fail("hello.cpp printed %r, not `0 <msgID>`" % last)

        # Python from the wheel, in a fresh venv.
        out = term.run(python_send, REPO, "Python").strip().splitlines()
        if not out or not re.fullmatch(r"\d+_\d+_\d+ SEND_SUCC", out[-1]):
            fail("the Python block printed %r, not `<msgID> SEND_SUCC`" % out[-1:])
        venv_python = os.path.join(work, "tmp", "venv", "bin", "python3")
        probe = subprocess.run(
            [venv_python, "-c", "import v2im, v2im._lib as l; print(l.find_library())"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
            timeout=60)
        if probe.returncode != 0 or "site-packages/v2im/" not in probe.stdout:
            fail("the venv's v2im does not load the library its wheel carries: %r"
                 % probe.stdout)

        # Receiving: bob waits in the first "terminal"; alice runs the C hello in the second.
        receiver, received = term.start(bob, REPO, "bob receives")
        wait_for("bob's live channel is open (v2im_live_channels 1 in /metrics)",
                 lambda: re.search(r"^v2im_live_channels 1$", http_get(base + "/metrics") or "",
                                   flags=re.M))
        term.run('./hello "$CONFIG"', programs["C"], "alice sends while bob receives")
        wait_for("bob prints `alice hello`",
                 lambda: "alice hello\n" in open(received).read())

        # Groups: the admin commands import the accounts and make the group; alice sends to it;
        # bob reads it.
        out = term.run(groups, REPO, "groups").strip().splitlines()
        if "imported alice bob" not in out:
            fail("`v2im-server account import alice bob` did not print `imported alice bob`")
        if not out or not re.fullmatch(r"\d+_\d+_\d+ SEND_SUCC", out[-1]):
            fail("the Groups block printed %r, not `<msgID> SEND_SUCC`" % out[-1:])
        wait_for("bob prints `alice hello team`",
                 lambda: "alice hello team\n" in open(received).read())
        sig = term.run("v2im-server usersig --user bob", REPO, "usersig").strip()
        if not re.fullmatch(r"[A-Za-z0-9*_-]{40,}", sig.splitlines()[-1] if sig else ""):
            fail("`v2im-server usersig --user bob` printed %r" % sig)
        print("PASS: the README's quick start works as written (C, C++, Python wheel, "
              "receiving, groups)")
    finally:
        stop_group(receiver)
        if server_pid is not None:
            try:
                os.kill(server_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if args.keep:
            print("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
