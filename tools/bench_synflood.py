#!/usr/bin/env python3
"""bench_synflood.py: the measuring parts of tools/bench_synflood.sh.

serve ADDR PORT SECONDS
    An echo server with a listen backlog of 128 (the bench's listener):
    accepts, echoes until EOF, closes; for at most SECONDS.
clients SRC DST PORT N SPREAD
    N real connections started evenly over SPREAD seconds, each in its own
    thread with a 3 s budget: connect, send a line, read the echo, close.
    Prints one JSON object: ok, failed, p50_ms, p99_ms (connect times).
measure OUT -- CMD...
    Runs CMD (the flood), and writes to OUT one JSON object: the whole
    machine's /proc/stat softirq and system time over the run (seconds,
    every CPU), CMD's own system time (its children's rusage), and CMD's
    output. Softirq time is tick-sampled (CONFIG_TICK_CPU_ACCOUNTING): a
    tick in softirq context counts there, wherever the softirq runs
    (ksoftirqd, or inline after a local_bh_enable in a syscall).
Lab use only: bounded in count and time.
"""
import json, os, resource, socket, subprocess, sys, threading, time


def serve(addr, port, secs):
    import selectors
    ls = socket.socket(socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(128)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    print("ready", flush=True)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for key, _ in sel.select(0.2):
            s = key.fileobj
            if s is ls:
                for _ in range(64):
                    try:
                        c, _ = ls.accept()
                    except OSError:
                        break
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ)
                continue
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if d:
                try:
                    s.send(d)
                except OSError:
                    pass
            else:
                sel.unregister(s)
                s.close()


def clients(src, dst, port, n, spread):
    times, lock = [], threading.Lock()
    failed = [0]

    def one(i):
        t0 = time.monotonic()
        s = socket.socket(socket.AF_INET)
        try:
            s.settimeout(3.0)
            s.bind((src, 0))
            s.connect((dst, port))
            ms = (time.monotonic() - t0) * 1000
            msg = b"echo %d\n" % i
            s.settimeout(max(0.05, 3.0 - (time.monotonic() - t0)))
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                d = s.recv(100)
                if not d:
                    break
                got += d
            if got != msg:
                raise OSError("short echo")
            with lock:
                times.append(ms)
        except OSError:
            with lock:
                failed[0] += 1
        finally:
            s.close()

    th = []
    start = time.monotonic()
    for i in range(n):
        while time.monotonic() < start + spread * i / n:
            time.sleep(0.001)
        t = threading.Thread(target=one, args=(i,))
        t.start()
        th.append(t)
    for t in th:
        t.join(5)
    times.sort()
    pct = lambda q: round(times[min(len(times) - 1, int(q * len(times)))], 2) if times else -1
    print(json.dumps({"ok": len(times), "failed": n - len(times), "p50_ms": pct(0.5),
                      "p99_ms": pct(0.99)}))


def cpu_stat():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    return v[2], v[6]


def measure(out, cmd):
    hz = os.sysconf("SC_CLK_TCK")
    sys0, si0 = cpu_stat()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    t1 = time.monotonic()
    sys1, si1 = cpu_stat()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        json.dump({"rc": p.returncode, "output": p.stdout.strip(), "wall_s": round(t1 - t0, 3),
                   "system_s": (sys1 - sys0) / hz, "softirq_s": (si1 - si0) / hz,
                   "flood_system_s": round(r1.ru_stime - r0.ru_stime, 3)}, f)


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "serve":
        serve(a[2], int(a[3]), float(a[4]))
    elif a[1] == "clients":
        clients(a[2], a[3], int(a[4]), min(int(a[5]), 1000), float(a[6]))
    elif a[1] == "measure" and a[3] == "--":
        measure(a[2], a[4:])
    else:
        sys.exit("usage: see the docstring")
