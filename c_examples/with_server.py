#!/usr/bin/env python3
"""Run one C example against a fresh v2im-server.

    with_server.py --server target/debug/v2im-server [--timeout 90] -- ./example [args...]

1. Starts `v2im-server --listen 127.0.0.1:0 --db <tmp>/s.db --sdkappid 1400000000
   --secret-key <random key> --auto-import` and reads its first stdout line,
   `listening on http://HOST:PORT`.
2. Provisions what the examples need through the server's REST v4 API, exactly as a third-party
   back end would talk to Tencent Cloud IM: it signs its own UserSig (tls-sig-api-v2) for the app
   admin `administrator`, imports the accounts alice, bob, carol and dave, and creates the Public
   group `demo-group` owned by alice with bob, carol and dave as members.
3. Runs the example with V2IM_SERVER_URL, V2IM_SDKAPPID, V2IM_SECRET_KEY, V2IM_ADMIN and
   V2IM_GROUP_ID in its environment, killing it after --timeout seconds.
4. Stops the server (SIGTERM, then SIGKILL), deletes the temporary directory and exits with the
   example's status (124 on timeout, 128+N when killed by signal N, 2 for a runner error).

Python 3 standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

SDKAPPID = 1400000000
ADMIN = "administrator"
USERS = ["alice", "bob", "carol", "dave"]
GROUP_ID = "demo-group"


def log(msg):
    print("[with_server] " + msg, file=sys.stderr, flush=True)


class RunnerError(Exception):
    pass


# --- UserSig (tls-sig-api-v2) -------------------------------------------------------------------
def gen_usersig(sdkappid, key, identifier, expire=86400, now=None):
    """Tencent's tls-sig-api-v2: HMAC-SHA256 over the TLS.* lines, a JSON document, zlib,
    base64 with + -> *, / -> -, = -> _ (what the PyPI generator produces)."""
    t = int(time.time()) if now is None else now
    content = (
        "TLS.identifier:%s\nTLS.sdkappid:%d\nTLS.time:%d\nTLS.expire:%d\n"
        % (identifier, sdkappid, t, expire)
    )
    sig = base64.b64encode(
        hmac.new(key.encode("utf-8"), content.encode("utf-8"), hashlib.sha256).digest()
    ).decode("ascii")
    doc = {
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": t,
        "TLS.sig": sig,
    }
    packed = zlib.compress(json.dumps(doc).encode("utf-8"))
    b64 = base64.b64encode(packed).decode("ascii")
    return b64.replace("+", "*").replace("/", "-").replace("=", "_")


# --- REST v4 ------------------------------------------------------------------------------------
class Rest:
    def __init__(self, base_url, sdkappid, key, admin):
        self.base = base_url.rstrip("/")
        self.sdkappid = sdkappid
        self.admin = admin
        self.sig = gen_usersig(sdkappid, key, admin)

    def call(self, path, body):
        query = urllib.parse.urlencode(
            {
                "sdkappid": self.sdkappid,
                "identifier": self.admin,
                "usersig": self.sig,
                "random": random.randint(0, 4294967295),
                "contenttype": "json",
            }
        )
        url = "%s/v4/%s?%s" % (self.base, path, query)
        data = json.dumps(body).encode("utf-8")
        req = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise RunnerError("%s: HTTP %d %s" % (path, e.code, e.read()[:300]))
        except (urllib.error.URLError, OSError) as e:
            raise RunnerError("%s: %s" % (path, e))
        try:
            answer = json.loads(raw)
        except ValueError:
            raise RunnerError("%s: answer is not JSON: %r" % (path, raw[:300]))
        if answer.get("ActionStatus") != "OK" or answer.get("ErrorCode", 0) != 0:
            raise RunnerError(
                "%s failed: ErrorCode %s, ErrorInfo %r"
                % (path, answer.get("ErrorCode"), answer.get("ErrorInfo"))
            )
        return answer


def provision(rest):
    for user in USERS:
        rest.call("im_open_login_svc/account_import", {"UserID": user})
    answer = rest.call(
        "group_open_http_svc/create_group",
        {
            "Owner_Account": USERS[0],
            "Type": "Public",
            "GroupId": GROUP_ID,
            "Name": "v2im demo group",
            "MemberList": [{"Member_Account": u} for u in USERS[1:]],
        },
    )
    if answer.get("GroupId") != GROUP_ID:
        raise RunnerError("create_group answered GroupId %r" % answer.get("GroupId"))


# --- The server ---------------------------------------------------------------------------------
class Server:
    def __init__(self, exe, tmpdir, key):
        self.log_path = os.path.join(tmpdir, "server.log")
        self.log_file = open(self.log_path, "wb")
        cmd = [
            exe,
            "--listen", "127.0.0.1:0",
            "--db", os.path.join(tmpdir, "s.db"),
            "--sdkappid", str(SDKAPPID),
            "--secret-key", key,
            "--auto-import",
        ]
        try:
            self.proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=self.log_file, stdin=subprocess.DEVNULL
            )
        except OSError as e:
            raise RunnerError("cannot start %s: %s" % (exe, e))
        self.first_line = None
        self._got_line = threading.Event()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    def _read_stdout(self):
        # The first line is the address; everything after it is drained into the log so the
        # server never blocks on a full pipe.
        for raw in iter(self.proc.stdout.readline, b""):
            if self.first_line is None:
                self.first_line = raw.decode("utf-8", "replace").strip()
                self._got_line.set()
            else:
                self.log_file.write(raw)
                self.log_file.flush()
        self._got_line.set()

    def url(self, timeout=30.0):
        if not self._got_line.wait(timeout):
            raise RunnerError("v2im-server printed nothing within %.0f s" % timeout)
        m = re.match(r"^listening on (https?://\S+?)/?$", self.first_line or "")
        if not m:
            raise RunnerError(
                "unexpected first line from v2im-server: %r (exit status %s)"
                % (self.first_line, self.proc.poll())
            )
        return m.group(1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log("v2im-server ignored SIGTERM for 10 s; killing it")
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        self.log_file.close()
        return self.proc.returncode

    def tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


def run_example(cmd, env, timeout):
    try:
        proc = subprocess.Popen(cmd, env=env)
    except OSError as e:
        raise RunnerError("cannot start %s: %s" % (cmd[0], e))
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log("%s still running after %s s: killing it" % (os.path.basename(cmd[0]), timeout))
        proc.kill()
        proc.wait()
        return 124
    return 128 - rc if rc < 0 else rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True, help="path of the v2im-server binary")
    ap.add_argument("--timeout", type=float, default=90.0, help="seconds the example may run")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("example", nargs=argparse.REMAINDER, help="-- program [args...]")
    args = ap.parse_args()
    cmd = args.example[1:] if args.example[:1] == ["--"] else args.example
    if not cmd:
        ap.error("no example given")

    key = secrets.token_hex(32)
    tmpdir = tempfile.mkdtemp(prefix="v2im-example-")
    server = None
    status = 2
    try:
        server = Server(args.server, tmpdir, key)
        url = server.url()
        provision(Rest(url, SDKAPPID, key, ADMIN))
        log(
            "v2im-server at %s; accounts %s and group %s provisioned"
            % (url, ", ".join(USERS), GROUP_ID)
        )
        env = dict(os.environ)
        env.update(
            {
                "V2IM_SERVER_URL": url,
                "V2IM_SDKAPPID": str(SDKAPPID),
                "V2IM_SECRET_KEY": key,
                "V2IM_ADMIN": ADMIN,
                "V2IM_GROUP_ID": GROUP_ID,
            }
        )
        status = run_example(cmd, env, args.timeout)
        if server.proc.poll() is not None:
            log("v2im-server exited early with status %s" % server.proc.returncode)
            if status == 0:
                status = 2
    except RunnerError as e:
        log("error: %s" % e)
        status = 2
    finally:
        if server is not None:
            server.stop()
            if status != 0:
                tail = server.tail()
                if tail:
                    log("last lines of the server log:\n" + tail)
        if args.keep:
            log("kept %s" % tmpdir)
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)
    if status != 0:
        log("%s exited with status %d" % (os.path.basename(cmd[0]), status))
    return status


if __name__ == "__main__":
    sys.exit(main())
