#!/usr/bin/env python3
"""bench/daemon/dbench.py — the measurements of Part D (bench/part_d.sh):
wasm-bpfd against separate wasm-bpf processes. One experiment per call,
one line of key=value pairs on stdout:

  start SOCK WASM_BPF MODULE   `wasm-bpf run -d MODULE`: ms until the
                               command returned and until the plugin
                               held a BPF link; then the plugin is stopped
  proc WASM_BPF MODULE         `wasm-bpf MODULE`: ms until its first stdout
                               line (the examples print it once attached)
                               and its RSS (VmRSS) 0.5 s later, in KiB
  mem SOCK DPID WASM_BPF MODULE N
                               the daemon's VmRSS idle and with N plugins
                               of MODULE attached (KiB); then stops them
  events SOCK WASM_BPF BPFBENCH N K
                               N consumers of bench.bpf.o's ring buffer
                               (bpfbench ringbuf K), first as plugins of
                               the daemon, then as N processes: each set
                               is paused (the API's pause; SIGSTOP), K
                               records are written to every ring, and the
                               set is let go: records/s until all N*K are
                               delivered (daemon: its counters, asked every
                               5 ms; processes: their "done" lines)

The daemon is asked over its Unix socket with http.client.
"""
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

MAGIC_RB = 0x6BEC0001  # bench/bpf/bench.h


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


class Api:
    def __init__(self, sock):
        self.conn = UnixConnection(sock)

    def call(self, method, path, body=None):
        data = json.dumps(body) if body is not None else None
        hdrs = {"Content-Type": "application/json"} if data else {}
        self.conn.request(method, path, body=data, headers=hdrs)
        r = self.conn.getresponse()
        text = r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {text[:200]!r}")
        return json.loads(text) if text else None


def now():
    return time.monotonic()


def vmrss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_until(pred, limit=30.0, step=0.001):
    end = now() + limit
    while now() < end:
        if pred():
            return True
        time.sleep(step)
    raise RuntimeError("timed out")


def run_d(wasm_bpf, sock, module, *args):
    env = dict(os.environ, WASM_BPFD_SOCKET=sock)
    out = subprocess.run([wasm_bpf, "run", "-d", module, *args], env=env,
                         capture_output=True, text=True, timeout=60)
    if out.returncode:
        raise RuntimeError(f"run -d: {out.stderr.strip()}")
    return out.stdout.strip()


def attached(api, pid):
    return api.call("GET", f"/v1/plugins/{pid}")["bpf"]["links"] >= 1


def start(sock, wasm_bpf, module):
    api = Api(sock)
    t0 = now()
    pid = run_d(wasm_bpf, sock, module)
    t1 = now()
    wait_until(lambda: attached(api, pid))
    t2 = now()
    api.call("DELETE", f"/v1/plugins/{pid}")
    print(f"run_d_ms={(t1 - t0) * 1e3:.3f} attached_ms={(t2 - t0) * 1e3:.3f}")


def proc(wasm_bpf, module):
    t0 = now()
    p = subprocess.Popen([wasm_bpf, module], stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.stdout.readline()
    t1 = now()
    time.sleep(0.5)
    rss = vmrss_kb(p.pid)
    p.send_signal(signal.SIGINT)
    p.wait(30)
    print(f"first_line_ms={(t1 - t0) * 1e3:.3f} rss_kb={rss}")


def mem(sock, dpid, wasm_bpf, module, n):
    api = Api(sock)
    idle = vmrss_kb(dpid)
    ids = [run_d(wasm_bpf, sock, module) for _ in range(n)]
    for i in ids:
        wait_until(lambda: attached(api, i))
    time.sleep(1)
    full = vmrss_kb(dpid)
    for i in ids:
        api.call("DELETE", f"/v1/plugins/{i}")
    print(f"idle_kb={idle} with_n_kb={full} per_plugin_kb={(full - idle) / n:.1f}")


def produce(k):
    for _ in range(k):
        try:
            os.getpgid(MAGIC_RB)
        except OSError:
            pass


def events_daemon(api, sock, wasm_bpf, bpfbench, n, k):
    ids = [run_d(wasm_bpf, sock, bpfbench, "ringbuf", str(k)) for _ in range(n)]
    for i in ids:
        wait_until(lambda: attached(api, i))
    for i in ids:
        api.call("POST", f"/v1/plugins/{i}/pause")
    wait_until(lambda: all(p["state"] == "paused"
                           for p in api.call("GET", "/v1/plugins")
                           if p["id"] in ids))
    produce(k)
    t0 = now()
    for i in ids:
        api.call("POST", f"/v1/plugins/{i}/resume")

    def delivered():
        got = {p["id"]: p["events"] for p in api.call("GET", "/v1/plugins")}
        return sum(min(got.get(i, 0), k) for i in ids)

    wait_until(lambda: delivered() >= n * k, limit=120, step=0.005)
    dt = now() - t0
    for i in ids:
        api.call("DELETE", f"/v1/plugins/{i}")
    return n * k / dt


def events_procs(wasm_bpf, bpfbench, n, k):
    ps = [subprocess.Popen([wasm_bpf, bpfbench, "ringbuf", str(k)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL) for _ in range(n)]
    for p in ps:
        if p.stdout.readline().strip() != b"attached":
            raise RuntimeError("a process did not attach")
    for p in ps:
        p.send_signal(signal.SIGSTOP)
    produce(k)
    t0 = now()
    for p in ps:
        p.send_signal(signal.SIGCONT)
    left, recv = {p.stdout.fileno(): p for p in ps}, 0
    end = t0 + 120
    while left and now() < end:
        ready, _, _ = select.select(list(left), [], [], 1)
        for fd in ready:
            line = left.pop(fd).stdout.readline().decode()
            recv += int(line.split("recv=")[1].split()[0]) if "recv=" in line else 0
    dt = now() - t0
    for p in ps:
        p.stdin.close()
        p.wait(30)
    if left or recv < n * k:
        raise RuntimeError(f"processes delivered {recv} of {n * k}")
    return n * k / dt


def events(sock, wasm_bpf, bpfbench, n, k):
    api = Api(sock)
    d = events_daemon(api, sock, wasm_bpf, bpfbench, n, k)
    p = events_procs(wasm_bpf, bpfbench, n, k)
    print(f"daemon_eps={d:.0f} procs_eps={p:.0f}")


def main(argv):
    try:
        cmd = argv[1]
        if cmd == "start":
            start(argv[2], argv[3], argv[4])
        elif cmd == "proc":
            proc(argv[2], argv[3])
        elif cmd == "mem":
            mem(argv[2], int(argv[3]), argv[4], argv[5], int(argv[6]))
        elif cmd == "events":
            events(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
        else:
            raise IndexError
    except IndexError:
        print(__doc__, file=sys.stderr)
        return 2
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print(f"dbench: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
