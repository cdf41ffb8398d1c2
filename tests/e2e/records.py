#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Oracles for the connection-record tests (stdlib, plus tshark, bpftool).

  records.py flows CAP OUT
      per connection in the capture CAP, from Wireshark's tshark (the
      kernels' packets as they crossed the server's veth): packets and IP
      bytes each way, payload bytes each way, first and last packet time,
      and tshark's own Community ID; OUT: JSON {"CLIENT SERVER": {...}}.
      The client is the sender of the first SYN (else of the first packet).
      A record is made on the segment that closes the connection (the ACK
      of the last FIN, or an RST); what crosses the wire after it (a
      retransmission the kernels reordered behind that ACK, and the RST a
      closed server answers it with) is listed apart as "late", not
      counted: check reports it, and fails on a late segment that is new.
  records.py age PIN_DIR TUPLES SECONDS
      move the last-seen time of the flows entries of the connections in
      TUPLES ("CLIENT SERVER" a line) SECONDS into the past, as if they had
      sat idle that long (the sweeper then expires them as it would have).
  records.py check RECORDS EXPECT FLOWS
      RECORDS: the JSON lines of `run --records` / `records -j`; EXPECT:
      "CATEGORY CLIENT SERVER BYTES_C2S BYTES_S2C" a line; FLOWS: from
      `flows`. Exactly one record per expected connection and none else,
      every field checked (see CATEGORIES). Prints a summary, up to 10
      mismatches; exit 0 iff all hold.
  records.py nfdump NFDUMP EXPECT FLOWS
      NFDUMP: `nfdump -q -o fmt:%ts,%te,%sa,%sp,%da,%dp,%pr,%pkt,%byt,%opkt,%obyt`
      (UTC); the same connections, 5-tuple, packets and bytes each way,
      start and end within 1 s of the capture's.
"""
import datetime
import ipaddress
import json
import struct
import subprocess
import sys
import time

# what each kind of connection the tests make must end as:
# (client_state, server_state, conn_state, end, cause, picked_up)
CATEGORIES = {
    "client_close": ("TIME_WAIT", "CLOSED", "SF", "client_fin", "closed", False),
    "server_close": ("CLOSED", "TIME_WAIT", "SF", "server_fin", "closed", False),
    "abort": ("CLOSED", "CLOSED", "RSTO", "client_rst", "closed", False),
    "refused": ("CLOSED", "CLOSED", "REJ", "server_rst", "closed", False),
    "expired": ("FIN_WAIT_2", "CLOSE_WAIT", "S2", "client_fin", "expired", False),
    "pickup": ("TIME_WAIT", "CLOSED", "OTH", "client_fin", "closed", True),
    "detach": ("ESTABLISHED", "ESTABLISHED", "S1", "detach", "detach", False),
}


def ep(addr, port):
    return "[%s]:%s" % (addr, port) if ":" in addr else "%s:%s" % (addr, port)


def cmd_flows(cap, out):
    fields = ["frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
              "tcp.srcport", "tcp.dstport", "ip.len", "ipv6.plen", "tcp.len",
              "tcp.flags", "tcp.seq", "tcp.ack", "communityid"]
    argv = ["tshark", "-r", cap, "-n", "--enable-protocol", "communityid", "-Y", "tcp",
            "-T", "fields", "-E", "separator=|"]
    for f in fields:
        argv += ["-e", f]
    res = subprocess.run(argv, capture_output=True, text=True, check=True)
    flows = {}
    for line in res.stdout.splitlines():
        v = line.split("|")
        if len(v) != len(fields):
            continue
        t, s4, d4, s6, d6, sp, dp, l4, pl6, tl, fl, seq, ack, cid = v
        src, dst = ep(s4 or s6, sp), ep(d4 or d6, dp)
        iplen = int(l4) if l4 else int(pl6) + 40
        key = frozenset((src, dst))
        f = flows.get(key)
        flags = int(fl, 16)
        if f is None:
            syn_only = (flags & 0x12) == 0x02
            client = src if syn_only or (flags & 0x12) != 0x12 else dst
            f = flows[key] = {"client": client, "server": dst if client == src else src,
                              "first": float(t), "cid": cid,
                              "c2s": [0, 0, 0, 0], "s2c": [0, 0, 0, 0], "late": [],
                              # per direction: highest end sent, highest
                              # payload end, FIN end, FIN acked
                              "_end": {}, "_hi": {}, "_fin": {}, "_acked": {},
                              "_closed": False}
        side = "c2s" if src == f["client"] else "s2c"
        other = "s2c" if side == "c2s" else "c2s"
        seq, n = int(seq or 0), int(tl or 0)
        end = seq + n + (1 if flags & 0x03 else 0)
        if f["_closed"]:
            # after the closing segment: a retransmission or an RST answer
            # is not the record's; anything new would be
            new = not flags & 0x04 and end > f["_end"].get(side, -1)
            f["late"].append({"dir": side, "flags": flags, "len": n, "ip_len": iplen,
                              "new": bool(new)})
            continue
        d = f[side]
        d[0] += 1
        d[1] += iplen
        d[2] += n
        # payload new to the stream (a retransmission's is counted in
        # d[2], as on the wire, but the application sent it once)
        hi = f["_hi"].get(side)
        d[3] += n if hi is None else max(0, min(n, seq + n - hi))
        f["_hi"][side] = seq + n if hi is None else max(hi, seq + n)
        f["last"] = float(t)
        f["_end"][side] = max(f["_end"].get(side, -1), end)
        if flags & 0x01:
            f["_fin"][side] = end
        if flags & 0x10 and other in f["_fin"] and int(ack or 0) >= f["_fin"][other]:
            f["_acked"][other] = True
        if flags & 0x04 or (f["_acked"].get("c2s") and f["_acked"].get("s2c")):
            f["_closed"] = True
    for f in flows.values():
        for k in ("_end", "_hi", "_fin", "_acked", "_closed"):
            del f[k]
    with open(out, "w", encoding="utf-8") as o:
        json.dump({f["client"] + " " + f["server"]: f for f in flows.values()}, o)


def cmd_age(pin_dir, tuples, seconds):
    """Rewrite last_seen_ns (offset 40 of struct ts_flow) of the entries."""
    want = set()
    with open(tuples, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                want.add(frozenset(line.split()[:2]))
    res = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pin_dir + "/flows"],
                         capture_output=True, text=True, check=True)
    past = time.monotonic_ns() - int(seconds) * 1000000000
    batch, n = [], 0
    for e in json.loads(res.stdout):
        k = bytes(int(x, 16) for x in e["key"])
        v = bytearray(int(x, 16) for x in e["value"])
        eps = []
        for i in (0, 1):
            a = k[16 * i:16 * i + 16]
            port = struct.unpack("!H", k[32 + 2 * i:34 + 2 * i])[0]
            if a[:12] == b"\0" * 10 + b"\xff\xff":
                eps.append(ep(".".join(str(b) for b in a[12:]), port))
            else:
                eps.append(ep(str(ipaddress.IPv6Address(a)), port))
        if frozenset(eps) not in want:
            continue
        v[40:48] = struct.pack("<Q", past)
        batch.append("map update pinned %s/flows key hex %s value hex %s" % (
            pin_dir, " ".join("%02x" % b for b in k), " ".join("%02x" % b for b in v)))
        n += 1
    path = tuples + ".bpftool"
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(batch) + "\n")
    if batch:
        subprocess.run(["bpftool", "batch", "file", path], capture_output=True, check=True)
    print(n)


def load_expect(path):
    exp = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            v = line.split()
            if len(v) >= 5:
                exp[v[1] + " " + v[2]] = (v[0], int(v[3]), int(v[4]))
    return exp


def cmd_check(records, expect, flows_path):
    exp = load_expect(expect)
    with open(flows_path, encoding="utf-8") as f:
        flows = json.load(f)
    bad, seen, n, extra = [], {}, 0, 0
    with open(records, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            n += 1
            try:
                r = json.loads(line)
            except ValueError:
                bad.append("not JSON: " + line[:120])
                continue
            key = "%s %s" % (r.get("client"), r.get("server"))
            if key not in exp:
                extra += 1
                bad.append("a record of no connection the test made: " + line[:160])
                continue
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                bad.append("a second record of " + key)
                continue
            bad += check_one(r, exp[key], flows.get(key), key)
    late = [(k, p) for k, fl in flows.items() if k in exp for p in fl.get("late", [])]
    for k, p in late:
        if p["new"]:
            bad.append("%s %s: a new segment after the close (flags 0x%02x, %d bytes): "
                       "the record cannot hold it" % (exp[k][0], k, p["flags"], p["len"]))
    missing = [k for k in exp if k not in seen]
    for k in missing[:5]:
        bad.append("no record of %s %s" % (exp[k][0], k))
    print("%d records for %d connections (%d missing, %d extra), %d field mismatches%s" % (
        n, len(exp), len(missing), extra, len(bad) - min(len(missing), 5) - extra,
        "; %d segments of %d connections (e.g. %s) crossed after the close, not counted"
        % (len(late), len({k for k, _ in late}), late[0][0]) if late else ""))
    for b in bad[:10]:
        print(b)
    return 0 if not bad and n == len(exp) else 1


def check_one(r, e, fl, key):
    cat, bc2s, bs2c = e
    cs, ss, zeek, end, cause, picked = CATEGORIES[cat]
    out = []

    def want(field, val):
        if r.get(field) != val:
            out.append("%s %s: %s is %r, want %r" % (cat, key, field, r.get(field), val))

    want("type", "conn")
    want("family", "ipv6" if "[" in key else "ipv4")
    want("client_state", cs)
    want("server_state", ss)
    want("conn_state", zeek)
    want("end", end)
    want("cause", cause)
    want("picked_up", picked)
    if fl is None:
        want("bytes_c2s", bc2s)
        want("bytes_s2c", bs2c)
        out.append("%s %s: not in the capture" % (cat, key))
        return out
    # the capture is what crossed the wire while tcpsentry watched: packets
    # and IP bytes each way, payload, Wireshark's Community ID, the times
    want("packets_c2s", fl["c2s"][0])
    want("packets_s2c", fl["s2c"][0])
    want("ip_bytes_c2s", fl["c2s"][1])
    want("ip_bytes_s2c", fl["s2c"][1])
    want("community_id", fl["cid"])
    # payload as on the wire (a retransmitted byte again), and the
    # capture's stream (each byte once) is what the test's sockets moved
    want("bytes_c2s", fl["c2s"][2])
    want("bytes_s2c", fl["s2c"][2])
    if fl["c2s"][3] != bc2s or fl["s2c"][3] != bs2c:
        out.append("%s %s: the capture's stream %d/%d bytes, the test moved %d/%d" % (
            cat, key, fl["c2s"][3], fl["s2c"][3], bc2s, bs2c))
    if cause != "expired" and cause != "detach":
        # the record is made on the last packet
        for f, t in (("ts", fl["first"]), ("ts_end", fl["last"])):
            if not isinstance(r.get(f), (int, float)) or abs(r[f] - t) > 1.0:
                out.append("%s %s: %s %r, the capture's %.6f" % (cat, key, f, r.get(f), t))
        d = r.get("duration_ms")
        if not isinstance(d, (int, float)) or abs(d / 1000 - (fl["last"] - fl["first"])) > 0.1:
            out.append("%s %s: duration_ms %r, the capture's %.3f s" % (
                cat, key, d, fl["last"] - fl["first"]))
    hist = r.get("history", "")
    if not hist or (not picked and hist[0] != "S"):
        out.append("%s %s: history %r" % (cat, key, hist))
    return out


def cmd_nfdump(path, expect, flows_path):
    exp = load_expect(expect)
    with open(flows_path, encoding="utf-8") as f:
        flows = json.load(f)
    bad, seen, n = [], set(), 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            v = [x.strip() for x in line.split(",")]
            if len(v) != 11 or not v[0][:1].isdigit():
                continue
            n += 1
            ts, te, sa, sp, da, dp, pr, pkt, byt, opkt, obyt = v
            key = ep(sa, sp) + " " + ep(da, dp)
            if key not in exp:
                bad.append("a flow of no connection the test made: " + line.strip())
                continue
            if key in seen:
                bad.append("a second flow for " + key)
            seen.add(key)
            fl = flows.get(key)
            if pr not in ("TCP", "6") or fl is None:
                bad.append("%s: protocol %s, in the capture: %s" % (key, pr, fl is not None))
                continue
            got = (int(pkt), int(byt), int(opkt), int(obyt))
            want = (fl["c2s"][0], fl["c2s"][1], fl["s2c"][0], fl["s2c"][1])
            if got != want:
                bad.append("%s: packets/bytes c2s, s2c %s, the capture's %s" % (key, got, want))
            for name, s, t in (("start", ts, fl["first"]), ("end", te, fl["last"])):
                d = datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(
                    tzinfo=datetime.timezone.utc).timestamp()
                if abs(d - t) > 1.0:
                    bad.append("%s: %s %s, the capture's %.3f" % (key, name, s, t))
    late = [(k, p) for k, fl in flows.items() if k in exp for p in fl.get("late", [])]
    for k, p in late:
        if p["new"]:
            bad.append("%s %s: a new segment after the close (flags 0x%02x, %d bytes): "
                       "the record cannot hold it" % (exp[k][0], k, p["flags"], p["len"]))
    missing = [k for k in exp if k not in seen]
    for k in missing[:5]:
        bad.append("no flow for " + k)
    print("%d flows for %d connections (%d missing), %d mismatches" % (
        n, len(exp), len(missing), len(bad)))
    if late:
        print("  %d segments of %d connections crossed after their close (retransmissions, "
              "RST answers; not the records'): e.g. %s" % (
                  len(late), len({k for k, _ in late}), late[0][0]))
    for b in bad[:10]:
        print(b)
    return 0 if not bad and n == len(exp) else 1


def main(argv):
    if len(argv) >= 4 and argv[1] == "flows":
        cmd_flows(argv[2], argv[3])
        return 0
    if len(argv) >= 5 and argv[1] == "age":
        cmd_age(argv[2], argv[3], argv[4])
        return 0
    if len(argv) >= 5 and argv[1] == "check":
        return cmd_check(argv[2], argv[3], argv[4])
    if len(argv) >= 5 and argv[1] == "nfdump":
        return cmd_nfdump(argv[2], argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
