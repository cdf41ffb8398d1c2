#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Do tcpsentry's two states of every real connection equal the kernels'?

  agree.py SS_CLIENT SS_SERVER CONNS PORT CLIENT_ADDR...

SS_CLIENT, SS_SERVER: `ss -Htan` of the client and the server namespace;
CONNS: `tcpsentry conns -j`. Every connection to server port PORT whose
client address is one of CLIENT_ADDR (the lab's real clients: spoofed
sources have no kernel to ask) and that ss lists on either end or
tcpsentry lists: the client's kernel state must equal tcpsentry's
client_state and the server's kernel state its server_state (a tuple ss
no longer lists is CLOSED; a flow tcpsentry no longer lists is CLOSED).
Prints "N/M agree ..." and up to 8 disagreements; exit 0 iff all agree
and there was at least one connection.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from states import load_conns, load_ss  # noqa: E402


def host_port(ep):
    h, p = ep.rsplit(":", 1)
    return h.strip("[]"), p


def main(argv):
    if len(argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    ssc, sss = load_ss(argv[1]), load_ss(argv[2])
    flows, bad = load_conns(argv[3])
    port, clients = argv[4], set(argv[5:])

    def ours(client, server):
        return host_port(client)[0] in clients and host_port(server)[1] == port

    tuples = set()
    for (local, remote), st in ssc.items():
        if st != "LISTEN" and ours(local, remote):
            tuples.add((local, remote))
    for (local, remote), st in sss.items():
        if st != "LISTEN" and ours(remote, local):
            tuples.add((remote, local))
    for (c, s) in flows:
        if c and s and ours(c, s):
            tuples.add((c, s))
    bad_n, shown = 0, []
    for c, s in sorted(tuples):
        kc = ssc.get((c, s), "CLOSED")
        ks = sss.get((s, c), "CLOSED")
        hit = flows.get((c, s))
        tc, ts = (hit[0].get("client_state"), hit[0].get("server_state")) if hit else ("CLOSED", "CLOSED")
        if (kc, ks) != (tc, ts):
            bad_n += 1
            if len(shown) < 8:
                shown.append(f"{c} -> {s}: kernel client {kc} server {ks}; "
                             f"tcpsentry client {tc} server {ts}"
                             + (f" ({hit[1]})" if hit else " (not listed)"))
    n = len(tuples)
    print(f"{n - bad_n}/{n} connections agree (kernel client and server vs tcpsentry)"
          + (f", {len(bad)} bad JSON lines" if bad else ""))
    for line in shown:
        print("    " + line)
    return 0 if n and not bad_n and not bad else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
