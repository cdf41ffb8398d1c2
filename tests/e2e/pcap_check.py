#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The pcap test's two halves: forge segments, and read tcpsentry's pcap back.

  pcap_check.py send IFACE DST_MAC SPEC...
      Forge TCP segments with AF_PACKET out of IFACE to DST_MAC, one per
      SPEC "SRC,SPORT,DST,DPORT,FLAGS[,COUNT,GAP_MS]" (FLAGS: letters of
      FSRPAU or "none"; COUNT segments from SPORT, SPORT+1, ... GAP_MS
      apart). Prints one line per segment sent: "src sport dst dport flags".
  pcap_check.py walk FILE
      The file as libpcap lays it out, walked by hand: "ok N" when it is a
      pcap header and N whole records ending exactly at the end of the file,
      else "bad <why>" (exit 1). The trailing bytes of a record cut short
      are reported as "cut K" after N.
  pcap_check.py check [--all] SENT FILE...
      `tcpdump -r -nn` of each FILE: it reads the file without error, and
      every packet read back is one the sender sent (addresses, ports,
      flags); --all: every line of SENT is read back, exactly once. Prints
      "OK ..." or "BAD ..." (exit 1).
"""
import ipaddress
import socket
import struct
import subprocess
import sys
import time

FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20}
# tcpdump's letters for the same bits ('.' is the ACK)
TCPDUMP_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, ".": 0x10, "U": 0x20,
                "E": 0x40, "W": 0x80}


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def flags_of(letters):
    return 0 if letters == "none" else sum(FLAG_BITS[c] for c in letters)


def frame(smac, dmac, src, sport, dst, dport, flags):
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 65535, 0, 0)
    if a.version == 4:
        ps = a.packed + b.packed + struct.pack("!BBH", 0, 6, len(tcp))
    else:
        ps = a.packed + b.packed + struct.pack("!IxxxB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack("!H", csum(ps + tcp)) + tcp[18:]
    if a.version == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                         a.packed, b.packed)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        et = b"\x08\x00"
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, a.packed, b.packed)
        et = b"\x86\xdd"
    return dmac + smac + et + ip + tcp


def send(ifc, dmac, specs):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifc, 0))
    smac, dmac = s.getsockname()[4], bytes.fromhex(dmac.replace(":", ""))
    for spec in specs:
        f = spec.split(",")
        src, sport, dst, dport, fl = f[0], int(f[1]), f[2], int(f[3]), f[4]
        n = int(f[5]) if len(f) > 5 else 1
        gap = int(f[6]) / 1000 if len(f) > 6 else 0
        for i in range(n):
            s.send(frame(smac, dmac, src, sport + i, dst, dport, flags_of(fl)))
            print(src, sport + i, dst, dport, flags_of(fl), flush=True)
            if gap:
                time.sleep(gap)


def walk(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        return "bad no pcap header (%d bytes)" % len(data)
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        return "bad magic %#x" % magic
    snap, link = struct.unpack("<II", data[16:24])
    if link != 1:
        return "bad link type %d (not Ethernet)" % link
    off, n = 24, 0
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack("<IIII", data[off:off + 16])
        if caplen > snap or caplen > wirelen:
            return "bad record %d: caplen %d, wire %d, snap %d" % (n, caplen, wirelen, snap)
        if off + 16 + caplen > len(data):
            break
        off += 16 + caplen
        n += 1
    return "ok %d" % n + ("" if off == len(data) else " cut %d" % (len(data) - off))


# "1700000000.123456 IP 198.18.0.2.30001 > 198.18.0.99.80: Flags [S.], ..."
def tcpdump_read(path):
    r = subprocess.run(["tcpdump", "-r", path, "-nn", "-tt"], capture_output=True,
                       text=True, timeout=30)
    pkts = []
    for line in r.stdout.splitlines():
        w = line.split()
        if len(w) < 7 or w[1] not in ("IP", "IP6") or w[5] != "Flags":
            pkts.append(("?", line))
            continue
        src, sport = w[2].rsplit(".", 1)
        dst, dport = w[4].rstrip(":").rsplit(".", 1)
        letters = w[6].strip("[],")
        fl = 0 if letters == "none" else sum(TCPDUMP_BITS[c] for c in letters)
        pkts.append((str(ipaddress.ip_address(src)), int(sport), str(ipaddress.ip_address(dst)),
                     int(dport), fl))
    return r.returncode, r.stderr.strip(), pkts


def check(sent_path, files, want_all):
    sent = set()
    for line in open(sent_path):
        w = line.split()
        sent.add((str(ipaddress.ip_address(w[0])), int(w[1]),
                  str(ipaddress.ip_address(w[2])), int(w[3]), int(w[4])))
    pkts, bad = [], []
    for path in files:
        rc, err, got = tcpdump_read(path)
        if rc or "truncated" in err:
            bad.append("%s: tcpdump -r exit %d: %s" % (path, rc, err))
        pkts += got
    stray = [p for p in pkts if p not in sent]
    if stray:
        bad.append("%d packets the sender did not send, e.g. %s" % (len(stray), stray[:3]))
    if want_all:
        missing = sent - set(pkts)
        if missing:
            bad.append("%d sent segments not read back, e.g. %s" % (len(missing), sorted(missing)[:3]))
        if len(pkts) != len(set(pkts)):
            bad.append("%d packets, %d distinct" % (len(pkts), len(set(pkts))))
    if bad:
        print("BAD " + "; ".join(bad))
        return 1
    print("OK %d packets read back by tcpdump -r, each one sent (%d sent)" % (len(pkts), len(sent)))
    return 0


def main():
    cmd = sys.argv[1]
    if cmd == "send":
        send(sys.argv[2], sys.argv[3], sys.argv[4:])
        return 0
    if cmd == "walk":
        out = walk(sys.argv[2])
        print(out)
        return 0 if out.startswith("ok") else 1
    if cmd == "check":
        a = sys.argv[2:]
        want_all = a[0] == "--all"
        if want_all:
            a = a[1:]
        return check(a[0], a[1:], want_all)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
