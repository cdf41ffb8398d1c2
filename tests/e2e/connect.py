#!/usr/bin/env python3
"""connect.py SRC DST PORT N [TIMEOUT_S] [SPREAD_S]: N connections from SRC to
DST:PORT, opened non-blocking all at once (or spread evenly over SPREAD_S
seconds). Each gets TIMEOUT_S (default 0.9) from its own start to complete
its handshake; completed ones send one line and close. Prints
"ok=K failed=F" and one "p50_ms=... p99_ms=..." line. Exit 0 always: the
caller judges the counts. Lab use: bounded in count and time."""
import errno, selectors, socket, sys, time

src, dst, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 0.9
spread = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
n = min(n, 5000)
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
sel = selectors.DefaultSelector()
start = time.monotonic()
pending, done_ms, failed = {}, [], 0


def poll(wait):
    """handle completions for up to `wait` seconds; expire the overdue"""
    global failed
    for key, _ in sel.select(max(wait, 0)):
        s = key.fileobj
        t0 = pending.pop(s)
        sel.unregister(s)
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and \
                time.monotonic() - t0 <= timeout:
            done_ms.append((time.monotonic() - t0) * 1000)
            try:
                s.send(b"hello\n")
            except OSError:
                pass
        else:
            failed += 1
        s.close()
    for s, t0 in list(pending.items()):
        if time.monotonic() - t0 > timeout:
            pending.pop(s)
            sel.unregister(s)
            s.close()
            failed += 1


for i in range(n):
    while spread and time.monotonic() < start + spread * i / n:
        poll(start + spread * i / n - time.monotonic())
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.setblocking(False)
    r = s.connect_ex((dst, port))
    if r not in (0, errno.EINPROGRESS):
        failed += 1
        s.close()
        continue
    pending[s] = time.monotonic()
    sel.register(s, selectors.EVENT_WRITE)
deadline = time.monotonic() + timeout + 0.1
while pending and time.monotonic() < deadline:
    poll(0.05)
failed += len(pending)
for s in pending:
    s.close()
done_ms.sort()
pct = lambda q: done_ms[min(len(done_ms) - 1, int(q * len(done_ms)))] if done_ms else -1
print("ok=%d failed=%d" % (len(done_ms), failed))
print("p50_ms=%.1f p99_ms=%.1f" % (pct(0.5), pct(0.99)))
