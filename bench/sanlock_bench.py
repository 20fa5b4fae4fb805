#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""sanlock_bench.py - the sanlock side of bench/run, through python3-sanlock.

    sanlock_bench.py run OUTDIR FILE LOOPDEV RUNDIR1 PID1 RUNDIR2 PID2 RUNDIR3 PID3
    sanlock_bench.py scale OUTDIR LOOPDEV LOOPDEV4K SLHOSTS RUNDIR1 PID1 RUNDIR2 PID2 RUNDIR3 PID3
    sanlock_bench.py many OUTDIR DEVICE RUNDIR PID
    sanlock_bench.py agent          (internal: one client of one daemon)

`run` drives three sanlock daemons that bench/run started (one per
simulated host, each with its own SANLOCK_RUN_DIR; PIDn is daemon n's pid,
used only to SIGKILL daemon 3 for the takeover figure).  The python3-sanlock
library binds a process to the first run directory it talks to, so `run`
talks to each daemon through an `agent` child process that has that
daemon's SANLOCK_RUN_DIR: one JSON command a line on its stdin, one JSON
answer a line on its stdout.  `run` itself never imports sanlock.

Layout (sanlock's default 1 MiB align, 512 B sectors):
    FILE     lockspace "bfile" at 0; resources r1 (acquire/release, owner
             reads), r2 (handover), r3 (takeover) at 1, 2, 3 MiB
    LOOPDEV  lockspace "bloop" at 0; resource r1 at 1 MiB (I/O counts from
             /sys/block/<loop>/stat)

`scale` (issue 15) uses a lockspace "bscale" on LOOPDEV with resources
s0..s99 at 1..100 MiB (the device must hold 101 MiB): with 3 hosts joined,
bytes read per renewal (block layer), acquire + release of one resource,
one acquire call of 8 resources (sanlock's most per call and per process)
against one of 1, and 100 resources at once as 13 processes each making one
call of up to 8; then SLHOSTS (bench/sl-hosts) keeps host ids 4..2000 live
and the renewal and acquire + release figures are taken again with all
2,000 host ids live as host 1's daemon sees them (get_hosts); last,
SLHOSTS stops and the time until host 1 sees only 3 live is recorded (the
check that "live" followed the renewals).  Then, unless LOOPDEV4K is "-",
the renewal and acquire + release figures again on LOOPDEV4K, a device
with 4 KiB sectors (lockspace "b4k": an 8 MiB area; one resource at 8 MiB).

`many` (issue 15 point 4, for bench/concurrent.sh) uses one daemon (host 1)
and a lockspace "bscale" on DEVICE with resources s0..s99 at 1..100 MiB, as
`scale` does: one acquire call of 1 resource N_MULTI times (then its
release), and 100 resources at once as 13 processes each making one call
of up to 8, N_AT_ONCE times; writes sanlock-many-one.txt and
sanlock-many-all.txt (microseconds), then leaves the lockspace.

Writes into OUTDIR: sanlock-<figure>.txt, one sample a line (microseconds,
or milliseconds for join and takeover), and sanlock-io.txt, "key value"
lines of I/O per operation.  Must run under /usr/bin/python3: that is the
interpreter python3-sanlock is built for.
"""
import json
import os
import signal
import subprocess
import sys
import time

IO_TIMEOUT = 1           # s, as for leasefs
MIB = 1 << 20
N_ACQREL = 200           # acquire + release cycles
N_OWNERS = 500           # read_resource_owners calls
N_HANDOVER = 100         # release on one host, acquire on the other
N_IOCYCLES = 60          # acquire + release cycles counted at the block layer
IDLE_S = 10.0            # s of idle renewals counted at the block layer
N_REJOIN = 2             # extra join samples (host 3 leaves and joins again)
TAKE_RETRY_S = 0.5       # the taker retries this often (sanlock cannot wait)
TAKE_LIMIT_S = 240.0     # give up on the takeover after this long


# ---- agent: one client process per daemon ----

def agent_op(sanlock, fd, cmd, multi):
    op = cmd["op"]
    disks = [(cmd["path"], cmd.get("off", 0))] if "path" in cmd else None
    ls = cmd.get("ls", "").encode()
    res = cmd.get("res", "").encode()
    geo = dict(align=cmd.get("align", MIB), sector=cmd.get("sector", 512))
    if op == "write_lockspace":
        sanlock.write_lockspace(ls, cmd["path"], offset=0, iotimeout=IO_TIMEOUT, **geo)
        return {}
    if op == "write_resource":
        sanlock.write_resource(ls, res, disks, **geo)
        return {}
    if op == "add_lockspace":
        t = time.monotonic_ns()
        sanlock.add_lockspace(ls, cmd["host_id"], cmd["path"], offset=0,
                              iotimeout=IO_TIMEOUT)
        return {"ms": (time.monotonic_ns() - t) / 1e6}
    if op == "rem_lockspace":
        sanlock.rem_lockspace(ls, cmd["host_id"], cmd["path"], offset=0)
        return {}
    if op == "acqrel":
        out = []
        for _ in range(cmd["n"]):
            t = time.monotonic_ns()
            sanlock.acquire(ls, res, disks, slkfd=fd)
            sanlock.release(ls, res, disks, slkfd=fd)
            out.append((time.monotonic_ns() - t) / 1e3)
        return {"us": out}
    if op == "owners":
        out = []
        for _ in range(cmd["n"]):
            t = time.monotonic_ns()
            sanlock.read_resource_owners(ls, res, disks)
            out.append((time.monotonic_ns() - t) / 1e3)
        return {"us": out}
    if op == "acquire":
        sanlock.acquire(ls, res, disks, slkfd=fd)
        return {"t_end": time.monotonic_ns()}
    if op == "release":
        t = time.monotonic_ns()
        sanlock.release(ls, res, disks, slkfd=fd)
        return {"t_start": t}
    if op == "take":
        return agent_take(sanlock, fd, ls, res, disks)
    if op == "multi":
        return agent_multi(multi, fd, ls, cmd["path"], cmd["offs"], cmd["n"])
    if op == "multi_at":
        return agent_multi_at(multi, fd, ls, cmd["path"], cmd["offs"], cmd["go_ns"])
    if op == "multi_release":
        return {"rv": multi.release(fd, multi.held)}
    if op == "hosts_time":
        out = []
        for _ in range(cmd["n"]):
            t = time.monotonic_ns()
            sanlock.get_hosts(ls)
            out.append((time.monotonic_ns() - t) / 1e3)
        return {"us": out}
    if op == "hosts_live":
        live = [h for h in sanlock.get_hosts(ls)
                if h["flags"] == sanlock.HOST_LIVE]
        return {"live": len(live)}
    raise ValueError("unknown op " + op)


class Multi:
    """sanlock_acquire/sanlock_release of several resources in one call,
    through the C client library: python3-sanlock's acquire takes one
    resource a call, the C API up to SANLK_MAX_RESOURCES (8)."""

    NAME_LEN = 48
    PATH_LEN = 1024

    def __init__(self):
        import ctypes
        self.ct = ctypes

        class Disk(ctypes.Structure):
            _fields_ = [("path", ctypes.c_char * self.PATH_LEN),
                        ("offset", ctypes.c_uint64),
                        ("pad1", ctypes.c_uint32), ("pad2", ctypes.c_uint32)]

        class Res(ctypes.Structure):  # struct sanlk_resource, one disk
            _fields_ = [("lockspace_name", ctypes.c_char * self.NAME_LEN),
                        ("name", ctypes.c_char * self.NAME_LEN),
                        ("lver", ctypes.c_uint64), ("data64", ctypes.c_uint64),
                        ("data32", ctypes.c_uint32), ("unused", ctypes.c_uint32),
                        ("flags", ctypes.c_uint32), ("num_disks", ctypes.c_uint32),
                        ("disks", Disk * 1)]
        self.Res = Res
        lib = ctypes.CDLL("libsanlock_client.so.1", use_errno=True)
        pp = ctypes.POINTER(ctypes.POINTER(Res))
        lib.sanlock_acquire.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_uint32,
                                        ctypes.c_int, pp, ctypes.c_void_p]
        lib.sanlock_release.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_uint32,
                                        ctypes.c_int, pp]
        self.lib = lib
        self.held = None

    def args(self, ls, path, offs):
        """An array of pointers to one sanlk_resource per offset (the
        resource's name is s<offset in MiB - 1>, as `scale` writes them)."""
        ct = self.ct
        res = []
        for off in offs:
            r = self.Res()
            r.lockspace_name = ls
            r.name = ("s%d" % (off // MIB - 1)).encode()
            r.num_disks = 1
            r.disks[0].path = path.encode()
            r.disks[0].offset = off
            res.append(r)
        arr = (ct.POINTER(self.Res) * len(res))(*[ct.pointer(r) for r in res])
        return (res, arr)

    def acquire(self, fd, a):
        rv = self.lib.sanlock_acquire(fd, -1, 0, len(a[0]), a[1], None)
        if rv < 0:
            raise OSError(-rv, "sanlock_acquire of %d: %s" % (len(a[0]), os.strerror(-rv)))
        return rv

    def release(self, fd, a):
        rv = self.lib.sanlock_release(fd, -1, 0, len(a[0]), a[1])
        if rv < 0:
            raise OSError(-rv, "sanlock_release of %d: %s" % (len(a[0]), os.strerror(-rv)))
        return rv


def agent_multi(multi, fd, ls, path, offs, n):
    """n rounds of one acquire call of all offs, then one release call;
    the time of each acquire call and of each release call (us)."""
    a = multi.args(ls, path, offs)
    acq, rel = [], []
    for _ in range(n):
        t = time.monotonic_ns()
        multi.acquire(fd, a)
        t1 = time.monotonic_ns()
        multi.release(fd, a)
        t2 = time.monotonic_ns()
        acq.append((t1 - t) / 1e3)
        rel.append((t2 - t1) / 1e3)
    return {"acq_us": acq, "rel_us": rel}


def agent_multi_at(multi, fd, ls, path, offs, go_ns):
    """At go_ns (CLOCK_MONOTONIC, shared by every process on the machine),
    one acquire call of all offs; held until multi_release."""
    a = multi.args(ls, path, offs)
    while True:
        left = go_ns - time.monotonic_ns()
        if left <= 0:
            break
        time.sleep(min(left / 1e9, 0.001) if left < 2e6 else left / 1e9 - 0.001)
    multi.acquire(fd, a)
    multi.held = a
    return {"t_end": time.monotonic_ns()}


def agent_take(sanlock, fd, ls, res, disks):
    """Retry acquiring until it works: sanlock offers no way to wait."""
    tries = 0
    limit = time.monotonic() + TAKE_LIMIT_S
    while True:
        tries += 1
        try:
            sanlock.acquire(ls, res, disks, slkfd=fd)
            return {"t_end": time.monotonic_ns(), "tries": tries}
        except sanlock.SanlockException:
            if time.monotonic() > limit:
                raise
            time.sleep(TAKE_RETRY_S)


def agent_main():
    import sanlock
    fd = sanlock.register()
    multi = Multi()
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "exit":
            break
        try:
            reply = agent_op(sanlock, fd, cmd, multi)
            reply["ok"] = True
        except Exception as e:  # reported to the coordinator, which stops
            reply = {"ok": False, "err": "%s: %s" % (cmd["op"], e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


# ---- coordinator ----

class Agent:
    def __init__(self, host_id, run_dir, pid):
        env = dict(os.environ, SANLOCK_RUN_DIR=run_dir)
        self.host_id = host_id
        self.daemon_pid = pid
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "agent"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def send(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def recv(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("agent %d died" % self.host_id)
        reply = json.loads(line)
        if not reply["ok"]:
            raise RuntimeError("host %d: %s" % (self.host_id, reply["err"]))
        return reply

    def call(self, **cmd):
        self.send(**cmd)
        return self.recv()

    def close(self):
        try:
            self.send(op="exit")
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def write_samples(outdir, name, samples):
    with open(os.path.join(outdir, "sanlock-%s.txt" % name), "w") as f:
        for s in samples:
            f.write("%.1f\n" % s)


def block_stat(loop):
    """Reads, read bytes, writes, write bytes, flushes of a block device."""
    with open("/sys/block/%s/stat" % os.path.basename(loop)) as f:
        v = [int(x) for x in f.read().split()]
    return [v[0], v[2] * 512, v[4], v[6] * 512, v[15] if len(v) > 15 else 0]


def join_all(agents, ls, path):
    """All hosts join at once (each join waits 2 io_timeouts); ms each."""
    for a in agents:
        a.send(op="add_lockspace", ls=ls, host_id=a.host_id, path=path)
    return [a.recv()["ms"] for a in agents]


def setup(agents, f, loop):
    a1 = agents[0]
    a1.call(op="write_lockspace", ls="bfile", path=f)
    a1.call(op="write_lockspace", ls="bloop", path=loop)
    for i, res in enumerate(["r1", "r2", "r3"]):
        a1.call(op="write_resource", ls="bfile", res=res, path=f,
                off=(i + 1) * MIB)
    a1.call(op="write_resource", ls="bloop", res="r1", path=loop, off=MIB)
    joins = join_all(agents, "bfile", f)
    join_all(agents, "bloop", loop)
    return joins


def rejoin(a3, f, joins):
    for _ in range(N_REJOIN):
        a3.call(op="rem_lockspace", ls="bfile", host_id=3, path=f)
        joins.append(a3.call(op="add_lockspace", ls="bfile", host_id=3,
                             path=f)["ms"])
    return joins


def handover(agents, f):
    """r2 goes back and forth between hosts 1 and 2: release, then acquire."""
    out = []
    r2 = dict(ls="bfile", res="r2", path=f, off=2 * MIB)
    agents[0].call(op="acquire", **r2)
    for i in range(N_HANDOVER + 2):
        s, d = agents[i % 2], agents[(i + 1) % 2]
        t0 = s.call(op="release", **r2)["t_start"]
        t1 = d.call(op="acquire", **r2)["t_end"]
        if i >= 2:
            out.append((t1 - t0) / 1e3)
    agents[N_HANDOVER % 2].call(op="release", **r2)
    return out


def io_counts(agents, loop, outdir):
    """Renewal and acquire + release I/O of sanlock at the block layer."""
    r1 = dict(ls="bloop", res="r1", path=loop, off=MIB)
    agents[0].call(op="acqrel", n=3, **r1)  # warm up
    s0, t0 = block_stat(loop), time.monotonic()
    time.sleep(IDLE_S)
    s1, t1 = block_stat(loop), time.monotonic()
    idle = [b - a for a, b in zip(s0, s1)]
    idle_s = t1 - t0
    rate = [x / idle_s for x in idle]
    s0, t0 = block_stat(loop), time.monotonic()
    agents[0].call(op="acqrel", n=N_IOCYCLES, **r1)
    s1, t1 = block_stat(loop), time.monotonic()
    cyc = [(b - a - r * (t1 - t0)) / N_IOCYCLES
           for a, b, r in zip(s0, s1, rate)]
    renewals = max(idle[2], 1)  # one 512 B write per renewal of one host
    keys = ["reads", "bytes_read", "writes", "bytes_written", "flushes"]
    with open(os.path.join(outdir, "sanlock-io.txt"), "w") as f:
        for k, v in zip(keys, cyc):
            f.write("acqrel_%s %.2f\n" % (k, max(v, 0.0)))
        for k, v in zip(keys, idle):
            f.write("renew_%s %.2f\n" % (k, v / renewals))
        f.write("renewals_per_host_per_s %.3f\n" % (renewals / 3 / idle_s))


def takeover(agents, f):
    """Host 3 holds r3; its daemon is SIGKILLed; host 2 retries until it
    gets r3.  ms from the kill to host 2's acquire returning."""
    r3 = dict(ls="bfile", res="r3", path=f, off=3 * MIB)
    agents[2].call(op="acquire", **r3)
    time.sleep(1)
    t0 = time.monotonic_ns()
    os.kill(agents[2].daemon_pid, signal.SIGKILL)
    got = agents[1].call(op="take", **r3)
    agents[1].call(op="release", **r3)
    return (got["t_end"] - t0) / 1e6, got["tries"]


def leave_all(agents, name, path):
    for a in agents:
        a.send(op="rem_lockspace", ls=name, host_id=a.host_id, path=path)
    for a in agents:
        try:
            a.recv()
        except RuntimeError as e:
            print("sanlock_bench: %s" % e, file=sys.stderr)


def step(what):
    print("  sanlock: %s" % what, file=sys.stderr, flush=True)


def run(outdir, f, loop, hosts):
    agents = [Agent(i + 1, rd, pid) for i, (rd, pid) in enumerate(hosts)]
    try:
        step("joining 3 hosts to two lockspaces (file and loop device)")
        joins = setup(agents, f, loop)
        r1 = dict(ls="bfile", res="r1", path=f, off=MIB)
        step("acquire + release x %d" % N_ACQREL)
        agents[0].call(op="acqrel", n=5, **r1)
        write_samples(outdir, "acqrel",
                      agents[0].call(op="acqrel", n=N_ACQREL, **r1)["us"])
        step("read_resource_owners x %d (held by host 2)" % N_OWNERS)
        agents[1].call(op="acquire", **r1)
        write_samples(outdir, "owner",
                      agents[0].call(op="owners", n=N_OWNERS, **r1)["us"])
        agents[1].call(op="release", **r1)
        step("handover (release + acquire) x %d" % N_HANDOVER)
        write_samples(outdir, "handover", handover(agents, f))
        step("I/O at the block layer: %.0f s idle, %d cycles" %
             (IDLE_S, N_IOCYCLES))
        io_counts(agents, loop, outdir)
        leave_all(agents, "bloop", loop)
        step("join again x %d" % N_REJOIN)
        write_samples(outdir, "join", rejoin(agents[2], f, joins))
        step("takeover after SIGKILL of the owner's daemon (about 70 s)")
        ms, tries = takeover(agents, f)
        write_samples(outdir, "takeover", [ms])
        step("took over after %.1f s, %d tries" % (ms / 1e3, tries))
        leave_all(agents[:2], "bfile", f)
    finally:
        for a in agents:
            a.close()


# ---- scale (issue 15): 2,000 live host ids, 8 resources a call ----

N_SCALE_RES = 100        # resources s0..s99 at 1..100 MiB
N_MULTI = 50             # rounds of one call of 8 (and of 1)
N_AT_ONCE = 10           # rounds of 100 resources at once
SL_HOSTS_MS = 1000       # sl-hosts renews host ids 4..2000 this often
N_HOSTS = 50             # get_hosts calls with 2,000 live
LIVE_WAIT_S = 120.0      # host 1 must see them all live by then


def blk_window(loop, secs, rounds_file=None, per_round=0, ss=512):
    """Block-layer counters over secs of idle renewals: (bytes read,
    renewals, reads, seconds).  Renewals are the one-sector (ss bytes) writes of the
    3 daemons: bytes written, less sl-hosts' rounds * per_round bytes if it
    runs."""
    def rounds():
        if not rounds_file:
            return 0
        with open(rounds_file) as f:
            return int(f.read().strip() or 0)

    def at_round():
        """Just after sl-hosts finished a round (its count moved): its
        writes so far are all in the counters, the next is a second away,
        so counters and count agree."""
        r = rounds()
        if rounds_file:
            limit = time.monotonic() + 10 * SL_HOSTS_MS / 1000.0
            while rounds() == r and time.monotonic() < limit:
                time.sleep(0.002)
        return rounds(), block_stat(loop)
    r0, s0 = at_round()
    t0 = time.monotonic()
    time.sleep(secs)
    r1, s1 = at_round()
    written = (s1[3] - s0[3]) - (r1 - r0) * per_round
    return (s1[1] - s0[1], max(written / float(ss), 1.0), s1[0] - s0[0],
            time.monotonic() - t0)


def acqrel_io(a1, loop, r0, renew_bps, vals, tag):
    """N_ACQREL acquire + release cycles of r0 on host 1: their samples,
    and vals[tag_acqrel_kib], the bytes read per cycle at the block layer
    less the renewals' reads (renew_bps, bytes a second, from the idle
    window before)."""
    s0, t0 = block_stat(loop), time.monotonic()
    us = a1.call(op="acqrel", n=N_ACQREL, **r0)["us"]
    s1, t1 = block_stat(loop), time.monotonic()
    rd = (s1[1] - s0[1]) - renew_bps * (t1 - t0)
    vals[tag + "_acqrel_kib"] = max(rd, 0.0) / N_ACQREL / 1024
    return us


def at_once(agents, loop, offs, n):
    """n rounds: len(agents) processes each acquire their share of offs
    (at most 8, one call) at the same instant; ms from the go to the last
    acquire returning, then all release."""
    shares = [offs[i::len(agents)] for i in range(len(agents))]
    out = []
    for _ in range(n):
        go = time.monotonic_ns() + 300 * 1000 * 1000
        for a, sh in zip(agents, shares):
            a.send(op="multi_at", ls="bscale", path=loop, offs=sh, go_ns=go)
        ends = [a.recv()["t_end"] for a in agents]
        out.append((max(ends) - go) / 1e3)
        for a in agents:
            a.call(op="multi_release", ls="bscale")
    return out


def wait_live(a1, ls, want_at_least):
    """Polls host 1's get_hosts until want_at_least ids are live, at most
    LIVE_WAIT_S: (live, seconds)."""
    t0 = time.monotonic()
    live = 0
    while time.monotonic() - t0 < LIVE_WAIT_S:
        live = a1.call(op="hosts_live", ls=ls)["live"]
        if live >= want_at_least:
            break
        time.sleep(1)
    return live, time.monotonic() - t0


def scale4k(agents, outdir, loop, sl_hosts, vals):
    """4 KiB sectors (an 8 MiB lockspace area, 8 MiB resources): renewal
    bytes and acquire + release with 3 joined, then with 2,000 live."""
    a1 = agents[0]
    geo = dict(align=8 * MIB, sector=4096)
    step("scale 4k: lockspace b4k and one resource on %s (4 KiB sectors)" % loop)
    a1.call(op="write_lockspace", ls="b4k", path=loop, **geo)
    a1.call(op="write_resource", ls="b4k", res="s0", path=loop, off=8 * MIB, **geo)
    writer = None
    join_all(agents, "b4k", loop)
    try:
        r0 = dict(ls="b4k", res="s0", path=loop, off=8 * MIB)
        a1.call(op="acqrel", n=5, **r0)
        br, ren, _, el = blk_window(loop, IDLE_S, ss=4096)
        vals["k3_renew_kib"] = br / ren / 1024
        step("scale 4k: 3 joined: %.0f KiB a renewal; acquire + release x %d"
             % (vals["k3_renew_kib"], N_ACQREL))
        write_samples(outdir, "k3-acqrel", acqrel_io(a1, loop, r0, br / el, vals, "k3"))
        rounds_file = os.path.join(outdir, "sl-hosts-4k.rounds")
        writer = subprocess.Popen([sl_hosts, loop, "4", "1997", str(SL_HOSTS_MS), rounds_file,
                                   "4096"], stdout=subprocess.PIPE, text=True)
        if not writer.stdout.readline().startswith("live"):
            raise RuntimeError("sl-hosts (4 KiB) failed")
        live, secs = wait_live(a1, "b4k", 2000)
        vals["k2000_live"] = live
        step("scale 4k: %d host ids live after %.0f s" % (live, secs))
        if live < 2000:
            raise RuntimeError("only %d host ids live (4 KiB)" % live)
        br, ren, _, el = blk_window(loop, IDLE_S, rounds_file, 1997 * 4096, ss=4096)
        vals["k2000_renew_kib"] = br / ren / 1024
        write_samples(outdir, "k2000-acqrel",
                      acqrel_io(a1, loop, r0, br / el, vals, "k2000"))
        vals["k2000_live_end"] = a1.call(op="hosts_live", ls="b4k")["live"]
    finally:
        if writer:
            writer.terminate()
            writer.wait()
        leave_all(agents, "b4k", loop)


def scale(outdir, loop, loop4k, sl_hosts, hosts):
    agents = [Agent(i + 1, rd, pid) for i, (rd, pid) in enumerate(hosts)]
    extra = []
    writer = None
    left = False
    vals = {}
    try:
        a1 = agents[0]
        step("scale: lockspace bscale and %d resources on %s" % (N_SCALE_RES, loop))
        a1.call(op="write_lockspace", ls="bscale", path=loop)
        for i in range(N_SCALE_RES):
            a1.call(op="write_resource", ls="bscale", res="s%d" % i, path=loop,
                    off=(i + 1) * MIB)
        join_all(agents, "bscale", loop)
        offs = [(i + 1) * MIB for i in range(N_SCALE_RES)]
        r0 = dict(ls="bscale", res="s0", path=loop, off=MIB)
        a1.call(op="acqrel", n=5, **r0)
        step("scale: 3 hosts joined: renewals for %.0f s" % IDLE_S)
        br, ren, nr, el = blk_window(loop, IDLE_S)
        vals["s3_renew_kib"] = br / ren / 1024
        vals["s3_renew_reads"] = nr / ren
        vals["s3_renewals"] = ren
        vals["s3_live"] = a1.call(op="hosts_live", ls="bscale")["live"]
        step("scale: 3 hosts: acquire + release x %d" % N_ACQREL)
        write_samples(outdir, "s3-acqrel",
                      acqrel_io(a1, loop, r0, br / el, vals, "s3"))
        step("scale: one call of 1 and of 8 resources x %d" % N_MULTI)
        a1.call(op="multi", ls="bscale", path=loop, offs=offs[:8], n=3)
        m1 = a1.call(op="multi", ls="bscale", path=loop, offs=offs[:1], n=N_MULTI)
        m8 = a1.call(op="multi", ls="bscale", path=loop, offs=offs[:8], n=N_MULTI)
        write_samples(outdir, "s3-acq1", m1["acq_us"])
        write_samples(outdir, "s3-acq8", m8["acq_us"])
        write_samples(outdir, "s3-rel8", m8["rel_us"])
        nproc = (N_SCALE_RES + 7) // 8
        step("scale: %d resources at once: %d processes, one call each, x %d"
             % (N_SCALE_RES, nproc, N_AT_ONCE))
        extra = [Agent(1, hosts[0][0], hosts[0][1]) for _ in range(nproc)]
        write_samples(outdir, "s3-acq100", at_once(extra, loop, offs, N_AT_ONCE))
        for a in extra:
            a.close()
        extra = []
        step("scale: sl-hosts keeps host ids 4..2000 live")
        rounds_file = os.path.join(outdir, "sl-hosts.rounds")
        writer = subprocess.Popen([sl_hosts, loop, "4", "1997", str(SL_HOSTS_MS), rounds_file],
                                  stdout=subprocess.PIPE, text=True)
        if not writer.stdout.readline().startswith("live"):
            raise RuntimeError("sl-hosts failed")
        live, vals["s2000_live_after_s"] = wait_live(a1, "bscale", 2000)
        vals["s2000_live"] = live
        step("scale: %d host ids live after %.0f s" % (live, vals["s2000_live_after_s"]))
        if live < 2000:
            raise RuntimeError("only %d host ids live" % live)
        br, ren, nr, el = blk_window(loop, IDLE_S, rounds_file, 1997 * 512)
        vals["s2000_renew_kib"] = br / ren / 1024
        vals["s2000_renew_reads"] = nr / ren
        vals["s2000_renewals"] = ren
        step("scale: 2,000 live: acquire + release x %d" % N_ACQREL)
        write_samples(outdir, "s2000-acqrel",
                      acqrel_io(a1, loop, r0, br / el, vals, "s2000"))
        m8 = a1.call(op="multi", ls="bscale", path=loop, offs=offs[:8], n=N_MULTI)
        write_samples(outdir, "s2000-acq8", m8["acq_us"])
        # sanlock's counterpart of `cat .hosts`: the daemon's host table
        write_samples(outdir, "s2000-hosts",
                      a1.call(op="hosts_time", ls="bscale", n=N_HOSTS)["us"])
        vals["s2000_live_end"] = a1.call(op="hosts_live", ls="bscale")["live"]
        # the other side of "live": once sl-hosts stops renewing, host 1
        # must stop calling ids 4..2000 live (else the figure meant nothing)
        writer.terminate()
        writer.wait()
        writer = None
        t0 = time.monotonic()
        while time.monotonic() - t0 < LIVE_WAIT_S:
            live = a1.call(op="hosts_live", ls="bscale")["live"]
            if live <= 3:
                break
            time.sleep(0.5)
        vals["s2000_unrenewed_live"] = live
        vals["s2000_not_live_after_s"] = time.monotonic() - t0
        step("scale: sl-hosts stopped: %d live after %.1f s" % (live, vals["s2000_not_live_after_s"]))
        leave_all(agents, "bscale", loop)
        left = True
        if loop4k != "-":
            scale4k(agents, outdir, loop4k, sl_hosts, vals)
    finally:
        with open(os.path.join(outdir, "sanlock-scale.txt"), "w") as f:
            for k, v in sorted(vals.items()):
                f.write("%s %.3f\n" % (k, v))
        if writer:
            writer.terminate()
            writer.wait()
        for a in extra:
            a.close()
        try:
            if not left:
                leave_all(agents, "bscale", loop)
        finally:
            for a in agents:
                a.close()


def many(outdir, dev, host):
    """The sanlock side of bench/concurrent.sh (see the module's doc)."""
    a1 = Agent(1, host[0], host[1])
    extra = []
    joined = False
    try:
        a1.call(op="write_lockspace", ls="bscale", path=dev)
        for i in range(N_SCALE_RES):
            a1.call(op="write_resource", ls="bscale", res="s%d" % i, path=dev,
                    off=(i + 1) * MIB)
        join_all([a1], "bscale", dev)
        joined = True
        offs = [(i + 1) * MIB for i in range(N_SCALE_RES)]
        a1.call(op="multi", ls="bscale", path=dev, offs=offs[:1], n=3)
        m1 = a1.call(op="multi", ls="bscale", path=dev, offs=offs[:1], n=N_MULTI)
        write_samples(outdir, "many-one", m1["acq_us"])
        nproc = (N_SCALE_RES + 7) // 8
        extra = [Agent(1, host[0], host[1]) for _ in range(nproc)]
        write_samples(outdir, "many-all", at_once(extra, dev, offs, N_AT_ONCE))
    finally:
        for a in extra:
            a.close()
        try:
            if joined:
                leave_all([a1], "bscale", dev)
        finally:
            a1.close()


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "many":
        try:
            many(sys.argv[2], sys.argv[3], (sys.argv[4], int(sys.argv[5])))
        except (RuntimeError, OSError) as e:
            print("sanlock_bench: %s" % e, file=sys.stderr)
            return 1
        return 0
    if len(sys.argv) == 2 and sys.argv[1] == "agent":
        agent_main()
        return 0
    if len(sys.argv) == 12 and sys.argv[1] == "scale":
        a = sys.argv[6:]
        hosts = [(a[0], int(a[1])), (a[2], int(a[3])), (a[4], int(a[5]))]
        try:
            scale(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], hosts)
        except (RuntimeError, OSError) as e:
            print("sanlock_bench: %s" % e, file=sys.stderr)
            return 1
        return 0
    if len(sys.argv) != 11 or sys.argv[1] != "run":
        print(__doc__, file=sys.stderr)
        return 2
    a = sys.argv[5:]
    hosts = [(a[0], int(a[1])), (a[2], int(a[3])), (a[4], int(a[5]))]
    try:
        run(sys.argv[2], sys.argv[3], sys.argv[4], hosts)
    except RuntimeError as e:
        print("sanlock_bench: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
