#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The endpoints of test_flow_quality.sh, each reading its own kernel's
TCP_INFO: the oracle tcpsentry's flow quality is checked against.

  bulk-server ADDR PORT N BYTES       accept N connections
  bulk-client ADDR PORT N BYTES LPORT connect N, from ports LPORT, LPORT+1, ...
      Each connection sends BYTES and receives BYTES at once (both ways),
      then makes PINGS small exchanges (the server asks, the client answers),
      waits until all it sent is acknowledged, prints one JSON line of its
      TCP_INFO, and stays open until stdin closes.
  zw-server ADDR PORT BYTES           accept one, send BYTES, wait for stdin EOF
  zw-client ADDR PORT HOLD_MS BYTES   connect with a small receive buffer, read
      nothing for HOLD_MS once its buffer is full (its window closed),
      then read all; prints the time it held, measured here from when
      the buffer stopped filling, as {"held_ms": ...}
"""
import array
import fcntl
import json
import socket
import struct
import sys
import termios
import threading
import time

TCP_INFO_LEN = 232


def tcp_info(s):
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_LEN)
    u32 = lambda off: struct.unpack_from("I", b, off)[0]
    return {
        "unacked": u32(8 + 4 * 4),
        "rtt_us": u32(8 + 15 * 4),
        "rttvar_us": u32(8 + 16 * 4),
        "total_retrans": u32(8 + 23 * 4),
        "segs_out": u32(136),
        "min_rtt_us": u32(148),
        "data_segs_out": u32(156),
    }


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


PINGS = 200
THINK_MS = 20
SERVER = False


def recv_exact(s, n):
    got = 0
    while got < n:
        d = s.recv(n - got)
        if not d:
            raise SystemExit("peer closed")
        got += len(d)


def bulk(s, nbytes, out, lock):
    buf = b"q" * 65536
    got = [0]

    def reader():
        while got[0] < nbytes:
            d = s.recv(min(65536, nbytes - got[0]))  # not into the exchanges
            if not d:
                break
            got[0] += len(d)

    t = threading.Thread(target=reader)
    t.start()
    sent = 0
    while sent < nbytes:
        sent += s.send(buf[: min(len(buf), nbytes - sent)])
    t.join()
    # then small exchanges, the server asking, the client answering after
    # THINK_MS with its ACK riding on the answer (quick ACKs off): the
    # server's RTT samples, the kernel's and tcpsentry's alike, are then
    # THINK_MS and the path, well above this host's scheduling noise (a
    # veth's own RTT is microseconds, the noise up to milliseconds)
    msg = b"p" * 100
    for _ in range(PINGS):
        if SERVER:
            s.sendall(msg)
            recv_exact(s, len(msg))
        else:
            recv_exact(s, len(msg))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
            time.sleep(THINK_MS / 1000.0)
            s.sendall(msg)
    deadline = time.monotonic() + 20
    while tcp_info(s)["unacked"] and time.monotonic() < deadline:
        time.sleep(0.01)
    info = tcp_info(s)
    info.update(lport=s.getsockname()[1], rport=s.getpeername()[1], received=got[0], sent=sent)
    with lock:
        out.write(json.dumps(info) + "\n")
        out.flush()


def run_all(socks, nbytes):
    lock = threading.Lock()
    ts = [threading.Thread(target=bulk, args=(s, nbytes, sys.stdout, lock)) for s in socks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    sys.stdin.read()  # stay open until the test is done with tcpsentry
    for s in socks:
        s.close()


def main():
    cmd, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    global SERVER
    if cmd == "bulk-server":
        SERVER = True
        n, nbytes = int(sys.argv[4]), int(sys.argv[5])
        ls = socket.socket(family(addr), socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, port))
        ls.listen(n)
        socks = [ls.accept()[0] for _ in range(n)]
        run_all(socks, nbytes)
    elif cmd == "bulk-client":
        n, nbytes, lport = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
        socks = []
        for i in range(n):
            s = socket.socket(family(addr), socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", lport + i))
            s.connect((addr, port))
            socks.append(s)
        run_all(socks, nbytes)
    elif cmd == "zw-server":
        nbytes = int(sys.argv[4])
        ls = socket.socket(family(addr), socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, port))
        ls.listen(1)
        s = ls.accept()[0]
        s.sendall(b"z" * nbytes)
        print(json.dumps({"sent": nbytes}), flush=True)
        sys.stdin.read()
        s.close()
    elif cmd == "zw-client":
        hold = int(sys.argv[4]) / 1000.0
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        # a buffer the sender fills in a few segments, while quick ACKs
        # last: the zero window is advertised when it happens, not a
        # delayed-ACK timer (up to 200 ms) later
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        deadline = time.monotonic() + 10
        while True:
            try:
                s.connect((addr, port))
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
                s.close()
                s = socket.socket(family(addr), socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        # the hold starts when the buffer is full, not at connect: the
        # zero window goes out with the ACK of the last segment it takes,
        # and a loaded sender may take tens of ms to start sending, or
        # wait for its persist timer (200 ms or more) before it fills the
        # last small window. So the queue (FIONREAD) is watched through
        # the whole hold, and the hold is timed from when it last grew
        last, t0, deadline = -1, time.monotonic(), time.monotonic() + 10 + hold
        while time.monotonic() < deadline:
            b = array.array("i", [0])
            fcntl.ioctl(s.fileno(), termios.FIONREAD, b)
            now = time.monotonic()
            if b[0] != last:
                last, t0 = b[0], now
                # TCP_QUICKACK is spent by the ACKs it quickens: the ACK
                # that closes the window may wait for the delayed-ACK
                # timer (40 ms or more). Asked again with an ACK due, the
                # kernel sends it now, so the zero window is on the wire
                # when the hold starts
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            elif last > 0 and now - t0 >= hold:
                break
            time.sleep(0.001)
        # then a large buffer: the rest comes in one go, no second stall
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        t1 = time.monotonic()
        got = 0
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += len(d)
            if got >= int(sys.argv[5]):
                break
        print(json.dumps({"held_ms": round((t1 - t0) * 1000), "received": got}), flush=True)
        s.close()
    else:
        sys.exit("usage: see the top of " + sys.argv[0])


if __name__ == "__main__":
    main()
