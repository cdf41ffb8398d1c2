#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Real connections for test_false_positives.sh, bounded in count and time.

  fp_traffic.py server ADDR PORT SECONDS
  fp_traffic.py client SADDR PORT CLOSED_PORT N THREADS SRC1,SRC2,...

A connection sends one mode byte and 100 bytes, then, by mode (round robin):
  c  the client closes first (the server echoes, waits for EOF, closes)
  s  the server closes first (sends 100 bytes, closes; the client reads EOF)
  a  the client aborts (SO_LINGER {1, 0}: RST) after the echo
  A  the server aborts after sending 100 bytes
  r  refused: a SYN to CLOSED_PORT (the server's RST)
The client prints "mode outcome" counts and exits 1 on unexpected outcomes.
"""
import collections, socket, struct, sys, threading, time

LINGER0 = struct.pack("ii", 1, 0)


def recv_all(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b


def serve_one(c):
    c.settimeout(10)
    try:
        req = recv_all(c, 101)
        mode = req[:1]
        if mode == b"c" or mode == b"a":
            c.sendall(req[1:])
            while c.recv(4096):
                pass
            c.close()
        elif mode == b"s":
            c.sendall(req[1:])
            c.close()
        elif mode == b"A":
            c.sendall(req[1:])
            time.sleep(0.05)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
            c.close()
        else:
            c.close()
    except OSError:
        c.close()


def server(addr, port, secs):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1024)
    s.settimeout(0.5)
    print("ready", flush=True)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


def one(saddr, port, closed, src, mode):
    if mode == "r":
        c = socket.socket()
        c.bind((src, 0))
        c.settimeout(10)
        try:
            c.connect((saddr, closed))
            return "connected?"
        except ConnectionRefusedError:
            return "refused"
        finally:
            c.close()
    c = socket.create_connection((saddr, port), 10, (src, 0))
    c.settimeout(10)
    try:
        c.sendall(mode.encode() + b"x" * 100)
        got = recv_all(c, 100)
        if len(got) != 100:
            return "short"
        if mode == "c":
            c.close()
            return "ok"
        if mode == "a":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
            c.close()
            return "ok"
        try:
            rest = c.recv(10)  # s: EOF; A: RST (or EOF)
        except ConnectionResetError:
            rest = b""
        c.close()
        return "ok" if rest == b"" else "data"
    except OSError as e:
        c.close()
        return "error " + type(e).__name__


def client(saddr, port, closed, n, threads, srcs):
    modes = "csaAr"
    res = collections.Counter()
    lock = threading.Lock()
    todo = list(range(n))

    def work():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            m = modes[i % len(modes)]
            try:
                r = one(saddr, port, closed, srcs[i % len(srcs)], m)
            except OSError as e:
                r = "error " + type(e).__name__
            with lock:
                res[(m, r)] += 1

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(" ".join("%s:%s=%d" % (m, r.replace(" ", "_"), k) for (m, r), k in sorted(res.items())))
    good = sum(k for (m, r), k in res.items() if r in ("ok", "refused"))
    return 0 if good == n else 1


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "server":
        server(a[2], int(a[3]), float(a[4]))
    else:
        sys.exit(client(a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]), a[7].split(",")))
