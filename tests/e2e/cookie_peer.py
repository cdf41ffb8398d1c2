#!/usr/bin/env python3
"""cookie_peer.py: both ends of the SYN-cookie e2e test.

serve ADDR PORT SECONDS OUT [N]
    Accept connections for at most SECONDS (or until N were accepted and
    all of them closed); for each, record what the
    server-side socket negotiated (TCP_INFO: options, snd/rcv window scale;
    TCP_MAXSEG) as one JSON line in OUT, echo what arrives until EOF, close.
connect SRC DST PORT N HOLD
    N connections one after the other (3 s timeout each): connect, send one
    line, read the echo, record the client-side TCP_INFO, close (the client
    closes first). The last HOLD of them stay open until stdin closes (for
    state checks), then exchange one more line each and close. Prints one
    JSON line per connection, "ok=K failed=F", and after the hold
    "held_ok=K".
Lab use only: bounded in count and time.
"""
import json, selectors, socket, struct, sys, time

TCPI_OPT_TIMESTAMPS, TCPI_OPT_SACK, TCPI_OPT_WSCALE = 1, 2, 4


def info(s):
    """(options, snd_wscale, rcv_wscale, maxseg) of a connected socket"""
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    opts, ws = b[5], b[6]
    return opts, ws & 0xf, ws >> 4, s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)


def serve(addr, port, secs, out, n):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(128)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    f = open(out, "a", buffering=1)
    print("ready", flush=True)
    end = time.monotonic() + secs
    accepted = 0
    while time.monotonic() < end and not (n and accepted >= n and len(sel.get_map()) == 1):
        for key, _ in sel.select(0.5):
            s = key.fileobj
            if s is ls:
                try:
                    c, peer = ls.accept()
                except OSError:
                    continue
                accepted += 1
                o, sws, rws, mss = info(c)
                f.write(json.dumps({"peer": "%s:%d" % peer[:2], "opts": o, "snd_wscale": sws,
                                    "rcv_wscale": rws, "maxseg": mss}) + "\n")
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


def connect(src, dst, port, n, hold):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    ok = failed = 0
    held = []
    for i in range(n):
        s = socket.socket(fam)
        s.settimeout(3)
        try:
            s.bind((src, 0))
            t0 = time.monotonic()
            s.connect((dst, port))
            ms = (time.monotonic() - t0) * 1000
            msg = b"hello %d\n" % i
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                d = s.recv(100)
                if not d:
                    break
                got += d
            if got != msg:
                raise OSError("echo %r" % got)
            o, sws, rws, mss = info(s)
            print(json.dumps({"local": "%s:%d" % s.getsockname()[:2], "opts": o,
                              "snd_wscale": sws, "rcv_wscale": rws, "maxseg": mss,
                              "connect_ms": round(ms, 2)}), flush=True)
            ok += 1
        except OSError as e:
            print(json.dumps({"error": str(e)}), flush=True)
            failed += 1
            s.close()
            continue
        if i >= n - hold:
            held.append(s)
        else:
            s.close()
    print("ok=%d failed=%d" % (ok, failed), flush=True)
    if held:
        sys.stdin.read()  # until the test closes our stdin (or kills us)
        hok = 0
        for s in held:
            try:
                s.sendall(b"again\n")
                if s.recv(100) == b"again\n":
                    hok += 1
            except OSError:
                pass
            s.close()
        print("held_ok=%d" % hok, flush=True)
        time.sleep(0.2)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5],
              int(sys.argv[6]) if len(sys.argv) > 6 else 0)
    else:
        connect(sys.argv[2], sys.argv[3], int(sys.argv[4]), min(int(sys.argv[5]), 1000),
                int(sys.argv[6]))
