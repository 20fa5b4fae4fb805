#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""unit-run.py - run a systemd service unit's commands the way systemd does,
for machines where systemd is not PID 1 (containers, CI).

    unit-run.py UNIT_FILE INSTANCE NOTIFY_LOG [JOURNAL_FILE]

Does what systemd would for a Type=notify service: the environment from
Environment= and EnvironmentFile= (the file overriding), specifiers %i %I %n
%%, $VAR / ${VAR} / $$ on the command lines, ExecStartPre= then ExecStart=
as the main process with NOTIFY_SOCKET set to a socket of its own, and on
SIGTERM (systemctl stop) ExecStop= with $MAINPID, then SIGTERM to the main
process only (KillMode=mixed), SIGKILL after TimeoutStopSec=.

Every datagram the main process sends is appended to NOTIFY_LOG, one
"KEY=value" per line.  Lines of its own, starting with "unit-run:", say
"start-timeout" when TimeoutStartSec= passed without READY=1, and
"exit STATUS" at the end.  Exits with the main process's status.

With JOURNAL_FILE, the main process's standard output and error go to that
file and $JOURNAL_STREAM names it ("DEVICE:INODE"), as systemd sets it for
a stream connected to journald: the daemon then writes "<N>" priority
prefixes (sd-daemon(3)) that the test can check.
"""
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time


def parse_unit(path):
    """The [Service] settings as {key: [values in order]}."""
    section, out = None, {}
    with open(path) as f:
        lines = f.read().replace("\\\n", " ").splitlines()
    for line in lines:
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service" and "=" in line:
            key, val = line.split("=", 1)
            out.setdefault(key.strip(), []).append(val.strip())
    return out


def specifiers(s, unit, instance):
    table = {"i": instance, "I": instance, "n": unit, "%": "%"}
    return re.sub(r"%(.)", lambda m: table.get(m.group(1), m.group(0)), s)


def seconds(val, default):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|sec|min|ms)?", val or "")
    if not m:
        return default
    n = float(m.group(1))
    return {"min": n * 60, "ms": n / 1000}.get(m.group(2), n)


def load_env(settings, unit, instance):
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    for val in settings.get("Environment", []):
        for word in shlex.split(specifiers(val, unit, instance)):
            k, _, v = word.partition("=")
            env[k] = v
    for val in settings.get("EnvironmentFile", []):
        path = specifiers(val, unit, instance)
        optional = path.startswith("-")
        path = path.lstrip("-")
        try:
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if not line or line[0] in "#;" or "=" not in line:
                        continue
                    k, _, v = line.partition("=")
                    v = v.strip()
                    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                        v = v[1:-1]
                    env[k.strip()] = v
        except FileNotFoundError:
            if not optional:
                raise
    return env


def expand(cmdline, env, unit, instance):
    """argv of one Exec line, and whether a failure is ignored ('-')."""
    cmdline = specifiers(cmdline, unit, instance)
    ignore = False
    while cmdline and cmdline[0] in "-@:+!":
        ignore = ignore or cmdline[0] == "-"
        cmdline = cmdline[1:]
    argv = []
    for word in shlex.split(cmdline):
        whole = re.fullmatch(r"\$(\w+)", word)
        if whole:                      # $VAR alone: split on blanks
            argv.extend(env.get(whole.group(1), "").split())
            continue
        word = word.replace("$$", "\0")
        word = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), word)
        argv.append(word.replace("\0", "$"))
    return argv, ignore


def main():
    unit_file, instance, log_path = sys.argv[1:4]
    journal_path = sys.argv[4] if len(sys.argv) > 4 else None
    name = os.path.basename(unit_file)
    unit = name.replace("@.", "@%s." % instance) if "@." in name else name
    s = parse_unit(unit_file)
    env = load_env(s, unit, instance)
    log = open(log_path, "a", buffering=1)

    def note(text):
        log.write("unit-run: %s\n" % text)

    for line in s.get("ExecStartPre", []):
        argv, ignore = expand(line, env, unit, instance)
        if subprocess.call(argv, env=env) != 0 and not ignore:
            note("ExecStartPre failed: %s" % argv)
            return 1
    sockdir = tempfile.mkdtemp(prefix="unit-run.")
    sock_path = os.path.join(sockdir, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    main_env = dict(env, NOTIFY_SOCKET=sock_path)
    journal = None
    if journal_path is not None:
        journal = open(journal_path, "ab", buffering=0)
        st = os.fstat(journal.fileno())
        main_env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
    argv, _ = expand(s["ExecStart"][-1], env, unit, instance)
    main_proc = subprocess.Popen(argv, env=main_env, stdout=journal,
                                 stderr=journal)
    stop = {"asked": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(asked=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(asked=True))
    start_limit = time.monotonic() + seconds(
        (s.get("TimeoutStartSec") or [""])[-1], 90)
    ready = timed_out = False
    stop_cmds, stop_proc, stop_deadline = None, None, None
    stop_env = dict(env, MAINPID=str(main_proc.pid))
    while main_proc.poll() is None or stop_proc is not None:
        try:
            r, _, _ = select.select([sock], [], [], 0.1)
        except InterruptedError:
            r = []
        if r:
            data = sock.recv(4096).decode(errors="replace")
            for kv in data.splitlines():
                log.write(kv + "\n")
                ready = ready or kv == "READY=1"
        if not ready and not timed_out and time.monotonic() > start_limit:
            timed_out = True
            note("start-timeout")
        if stop["asked"] and stop_cmds is None:
            stop_cmds = list(s.get("ExecStop", []))
            stop_deadline = time.monotonic() + seconds(
                (s.get("TimeoutStopSec") or [""])[-1], 90)
        # ExecStop= runs while the main process is reaped (as systemd
        # does on SIGCHLD): a command waiting for $MAINPID to go must not
        # wait on a zombie
        if stop_proc is not None and stop_proc.poll() is not None:
            note("ExecStop exit %d" % stop_proc.returncode)
            stop_proc = None
        if stop_cmds and stop_proc is None:
            argv, _ = expand(stop_cmds.pop(0), env, unit, instance)
            stop_proc = subprocess.Popen(argv, env=stop_env)
        if stop_cmds == [] and stop_proc is None and main_proc.poll() is None:
            main_proc.send_signal(signal.SIGTERM)   # KillMode=mixed
            stop_cmds = False                       # sent once
        if stop_deadline is not None and time.monotonic() > stop_deadline:
            note("stop-timeout: SIGKILL")
            main_proc.kill()
            if stop_proc is not None:
                stop_proc.kill()
            stop_deadline = None
    while True:                        # what came just before the exit
        r, _, _ = select.select([sock], [], [], 0)
        if not r:
            break
        for kv in sock.recv(4096).decode(errors="replace").splitlines():
            log.write(kv + "\n")
    sock.close()
    os.unlink(sock_path)
    os.rmdir(sockdir)
    note("exit %d" % main_proc.returncode)
    return main_proc.returncode if main_proc.returncode >= 0 else 128 - main_proc.returncode


if __name__ == "__main__":
    sys.exit(main())
