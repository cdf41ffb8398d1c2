#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""JSON and ss(8) helpers for the e2e shell tests (stdlib only).

  states.py ts CONNS_FILE CLIENT SERVER
      line 1: "CLIENT_STATE SERVER_STATE PICKED_UP CONN_STATE" of the flow
              (ABSENT ... when tcpsentry does not list it; BADJSON on a
              line that does not parse)
      line 2: the raw JSON line (or "-")
  states.py field CONNS_FILE CLIENT SERVER FIELD
      the value of FIELD in that flow's JSON (ABSENT when missing)
  states.py ss SS_FILE LOCAL REMOTE
      the kernel state (our names) of that 4-tuple in `ss -Htan` output
  states.py bulk SS_CLIENT SS_SERVER CONNS TUPLES EXP_CLIENT EXP_SERVER
      TUPLES: "CLIENT SERVER" per line. Compares the kernel's state on both
      sides and tcpsentry's client_state/server_state with the expectation;
      prints a summary and up to 5 mismatches; exit 0 iff all match.
"""
import json
import sys

SS_NAMES = {
    "ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RCVD",
    "FIN-WAIT-1": "FIN_WAIT_1", "FIN-WAIT-2": "FIN_WAIT_2",
    "TIME-WAIT": "TIME_WAIT", "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK",
    "CLOSING": "CLOSING", "LISTEN": "LISTEN", "UNCONN": "CLOSED",
    "CLOSED": "CLOSED",
}


def load_conns(path):
    flows, bad = {}, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                o = json.loads(line)
            except ValueError:
                bad.append(line)
                continue
            if not isinstance(o, dict):
                bad.append(line)
                continue
            flows[(o.get("client"), o.get("server"))] = (o, line)
    return flows, bad


def load_ss(path):
    st = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            w = line.split()
            if len(w) >= 5:
                st[(w[3], w[4])] = SS_NAMES.get(w[0], w[0])
    return st


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "ts" and len(argv) == 5:
        flows, bad = load_conns(argv[2])
        if bad:
            print("BADJSON BADJSON - -")
            print(bad[0])
            return 0
        hit = flows.get((argv[3], argv[4]))
        if not hit:
            print("ABSENT ABSENT - -")
            print("-")
            return 0
        o, line = hit
        print(o.get("client_state", "MISSING"), o.get("server_state", "MISSING"),
              json.dumps(o.get("picked_up")), o.get("conn_state", "-"))
        print(line)
        return 0
    if cmd == "field" and len(argv) == 6:
        flows, _ = load_conns(argv[2])
        hit = flows.get((argv[3], argv[4]))
        if not hit or argv[5] not in hit[0]:
            print("ABSENT")
        else:
            v = hit[0][argv[5]]
            print(v if isinstance(v, str) else json.dumps(v))
        return 0
    if cmd == "ss" and len(argv) == 5:
        print(load_ss(argv[2]).get((argv[3], argv[4]), "CLOSED"))
        return 0
    if cmd == "bulk" and len(argv) == 8:
        ssc, sss = load_ss(argv[2]), load_ss(argv[3])
        flows, bad = load_conns(argv[4])
        exp_c, exp_s = argv[6], argv[7]
        tuples = []
        with open(argv[5], encoding="utf-8") as f:
            for line in f:
                w = line.split()
                if len(w) == 2:
                    tuples.append((w[0], w[1]))
        bad_n, shown = 0, []
        n_kc = n_ks = n_tc = n_ts = 0
        for c, s in tuples:
            kc = ssc.get((c, s), "CLOSED")
            ks = sss.get((s, c), "CLOSED")
            hit = flows.get((c, s))
            if hit:
                tc = hit[0].get("client_state")
                ts = hit[0].get("server_state")
            elif exp_c == "CLOSED" and exp_s == "CLOSED":
                tc = ts = "CLOSED"  # a forgotten closed flow is fine
            else:
                tc = ts = "ABSENT"
            n_kc += kc == exp_c
            n_ks += ks == exp_s
            n_tc += tc == exp_c
            n_ts += ts == exp_s
            if (kc, ks, tc, ts) != (exp_c, exp_s, exp_c, exp_s):
                bad_n += 1
                if len(shown) < 5:
                    shown.append(f"{c} -> {s}: ss client={kc} server={ks}; "
                                 f"tcpsentry client={tc} server={ts}; "
                                 f"json={hit[1] if hit else '-'}")
        n = len(tuples)
        print(f"{n - bad_n}/{n} match; ss client {n_kc}/{n} {exp_c}, "
              f"ss server {n_ks}/{n} {exp_s}, tcpsentry client {n_tc}/{n} {exp_c}, "
              f"tcpsentry server {n_ts}/{n} {exp_s}; tcpsentry lists {len(flows)} flows"
              + (f", {len(bad)} bad JSON lines" if bad else ""))
        for line in shown:
            print("    " + line)
        return 0 if bad_n == 0 and n > 0 and not bad else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
