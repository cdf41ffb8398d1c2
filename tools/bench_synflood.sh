#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make bench-synflood: a spoofed-source SYN flood against a listener with a
# backlog of 128, while 200 real connections are attempted, measured in one
# run for three set-ups side by side:
#   kernel     the server's kernel alone, net.ipv4.tcp_syncookies=1
#   synproxy   nftables synproxy (conntrack) in the server namespace
#   tcpsentry  tcpsentry, syn.cookies=on for port 80 (SYN-ACKs from XDP)
# Writes the table to BENCHMARKS.md (replacing the previous one) and prints
# it. Not part of `make test`.
#
# The lab (three network namespaces, made and removed here):
#   flood ns  --veth--  server ns  --veth--  client ns
#   198.18.0.2          198.18.0.1 | 198.18.2.1          198.18.2.2
# tools/synflood (XDP live frames) sends SYNs from 198.18.128.0/17 to
# 198.18.0.1:80 as fast as it goes, for BENCH_SECONDS (default 8) or
# BENCH_COUNT frames (default 40,000,000), whichever comes first. The flood
# veth drops what comes back in XDP (tools/xdp_drop.bpf.c). One second in,
# 200 clients (tools/bench_synflood.py) connect to 198.18.2.1:80 spread
# over 4 s, 3 s each: connect, echo a line, close. Everything is bounded,
# and an EXIT trap removes the lab.
#
# CPU: the whole machine's softirq time from /proc/stat over the flood
# (tick-sampled, every CPU). The SYN path is softirq work in all three
# set-ups (XDP, IP/TCP, netfilter, the SYN-ACK's way out and the flood
# veth's XDP drop of it); the generator's own syscall time is system time
# and is left out (reported beside it). Divided by the SYNs the server
# veth received: CPU seconds per million SYNs.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
TS=${TCPSENTRY:-$REPO/tcpsentry}
SYNFLOOD=$REPO/build/synflood
DROP_XDP=$REPO/build/xdp_drop.bpf.o
PASS_XDP=$REPO/build/empty.bpf.o
HELPER=$REPO/tools/bench_synflood.py
PY=$(command -v python3)
SECS=${BENCH_SECONDS:-8}
COUNT=${BENCH_COUNT:-40000000}
CONNS=200
OUT_MD=${BENCH_OUT:-$REPO/BENCHMARKS.md}

[ "$(id -u)" = 0 ] || { echo "bench-synflood: needs root" >&2; exit 1; }
for f in "$TS" "$SYNFLOOD" "$DROP_XDP" "$PASS_XDP"; do
	[ -e "$f" ] || { echo "bench-synflood: missing $f (make)" >&2; exit 1; }
done
command -v nft >/dev/null || { echo "bench-synflood: no nft (apt-get install nftables)" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
[ "$SECS" -ge 3 ] && [ "$SECS" -le 30 ] || { echo "BENCH_SECONDS: 3 to 30" >&2; exit 2; }

ID=$(printf '%x%02x' $$ $((RANDOM % 256)))
SNS=bsf-$ID-s FNS=bsf-$ID-f CNS=bsf-$ID-c
FV=bf$ID SF=bsf$ID CV=bc$ID SC=bsc$ID
TMP=$(mktemp -d "/tmp/bench_synflood.$ID.XXXXXX")
PIDS=()

in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }

lab_down() {
	local p ns
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	for p in "$SF" "$SC"; do
		[ -e /run/netns/$SNS ] && timeout 20 "$TS" -n "$SNS" detach "$p" >/dev/null 2>&1
	done
	for ns in "$FNS" "$SNS" "$CNS"; do
		[ -e "/run/netns/$ns" ] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
}
trap 'lab_down; rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

lab_up() {
	local ns
	for ns in "$FNS" "$SNS" "$CNS"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	ip -n "$FNS" link add "$FV" type veth peer name "$SF" netns "$SNS" || return 1
	ip -n "$CNS" link add "$CV" type veth peer name "$SC" netns "$SNS" || return 1
	ip -n "$FNS" addr add 198.18.0.2/24 dev "$FV"
	ip -n "$SNS" addr add 198.18.0.1/24 dev "$SF"
	ip -n "$CNS" addr add 198.18.2.2/24 dev "$CV"
	ip -n "$SNS" addr add 198.18.2.1/24 dev "$SC"
	for ns in "$FNS $FV" "$SNS $SF" "$SNS $SC" "$CNS $CV"; do
		# shellcheck disable=SC2086
		set -- $ns
		ip -n "$1" link set "$2" up
	done
	# the SYN-ACKs to the spoofed sources go back to the flood side ...
	ip -n "$SNS" route add 198.18.128.0/17 via 198.18.0.2 dev "$SF"
	# ... which drops them in XDP; XDP programs on the far ends also give
	# those veths the NAPI that XDP_TX frames need
	ip -n "$FNS" link set dev "$FV" xdpdrv obj "$DROP_XDP" sec xdp || return 1
	ip -n "$CNS" link set dev "$CV" xdpdrv obj "$PASS_XDP" sec xdp || return 1
	# the server veths take the generator's XDP frames with NAPI (GRO)
	in_ns "$SNS" ethtool -K "$SF" gro on >/dev/null 2>&1
	in_ns "$SNS" ethtool -K "$SC" gro on >/dev/null 2>&1
	in_ns "$SNS" sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1
	local i
	for i in $(seq 50); do
		ip -n "$SNS" link show "$SF" | grep -q LOWER_UP &&
			ip -n "$SNS" link show "$SC" | grep -q LOWER_UP && return 0
		sleep 0.1
	done
	return 1
}

rx_packets() {
	ip -n "$1" -s -j link show dev "$2" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

# nftables synproxy, as the nft wiki gives it, in the server namespace only
nft_synproxy() {
	in_ns "$SNS" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 || return 1
	in_ns "$SNS" nft -f - <<'NFT'
table inet bench_synproxy {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		tcp dport 80 tcp flags syn notrack
	}
	chain in {
		type filter hook input priority filter; policy accept;
		tcp dport 80 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
		ct state invalid drop
	}
}
NFT
}

# run_case NAME: one set-up in a fresh lab; a result line in $TMP/NAME.json
run_case() {
	local name=$1 rx0 rx1 spid cpid mac
	lab_up || { echo "bench-synflood: lab set-up failed" >&2; exit 1; }
	case $name in
	kernel) ;;
	synproxy) nft_synproxy || { echo "bench-synflood: nft synproxy rules failed" >&2; exit 1; } ;;
	tcpsentry)
		"$TS" -n "$SNS" attach "$SF" >/dev/null && "$TS" -n "$SNS" attach "$SC" >/dev/null &&
			"$TS" -n "$SNS" policy set syn.cookies=on syn.cookie_ports=80 >/dev/null ||
			{ echo "bench-synflood: tcpsentry set-up failed" >&2; exit 1; } ;;
	esac
	in_ns "$SNS" timeout $((SECS + 15)) "$PY" "$HELPER" serve 0.0.0.0 80 $((SECS + 10)) \
		>"$TMP/$name.serve" 2>&1 &
	spid=$!
	PIDS+=("$spid")
	local i
	for i in $(seq 50); do grep -q ready "$TMP/$name.serve" && break; sleep 0.1; done
	rx0=$(rx_packets "$SNS" "$SF")
	(sleep 1; in_ns "$CNS" timeout 15 "$PY" "$HELPER" clients 198.18.2.2 198.18.2.1 80 "$CONNS" 4 \
		>"$TMP/$name.clients" 2>&1) &
	cpid=$!
	PIDS+=("$cpid")
	# the flood veth drops everything in XDP, ARP replies too: name the MAC
	mac=$(ip -n "$SNS" -j link show dev "$SF" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
	"$PY" "$HELPER" measure "$TMP/$name.cpu" -- nsenter --net="/run/netns/$FNS" \
		timeout $((SECS + 10)) "$SYNFLOOD" -i "$FV" --dst 198.18.0.1 --dport 80 \
		--count "$COUNT" --seconds "$SECS" --dst-mac "$mac"
	wait "$cpid"
	grep -q '"rc": 0' "$TMP/$name.cpu" ||
		{ echo "bench-synflood: the flood failed: $(cat "$TMP/$name.cpu")" >&2; exit 1; }
	sleep 0.3
	rx1=$(rx_packets "$SNS" "$SF")
	if [ "$name" = tcpsentry ]; then
		"$TS" -n "$SNS" stats -j >"$TMP/$name.stats" 2>&1
	fi
	in_ns "$SNS" nstat -az 2>/dev/null >"$TMP/$name.nstat"
	"$PY" - "$name" "$TMP" "$((rx1 - rx0))" <<'PY' >"$TMP/$name.json"
import json, re, sys
name, tmp, rx = sys.argv[1], sys.argv[2], int(sys.argv[3])
cpu = json.load(open("%s/%s.cpu" % (tmp, name)))
m = re.search(r"sent (\d+) frames in ([\d.]+) s: (\d+) frames/s", cpu["output"])
cl = {}
for l in open("%s/%s.clients" % (tmp, name)):
    if l.startswith("{"):
        cl = json.loads(l)
r = {"setup": name, "sent": int(m.group(1)) if m else 0, "secs": float(m.group(2)) if m else 0,
     "rate": int(m.group(3)) if m else 0, "rx": rx, "clients": cl, "cpu": cpu}
r["cpu_s"] = cpu["softirq_s"]
r["cpu_s_per_m"] = r["cpu_s"] / rx * 1e6 if rx else -1
print(json.dumps(r))
PY
	cat "$TMP/$name.json" >&2
	lab_down
}

CASES=${BENCH_CASES:-kernel synproxy tcpsentry} # a subset: no table, only the results
for c in $CASES; do
	echo "bench-synflood: $c ..." >&2
	run_case "$c"
done
[ "$CASES" = "kernel synproxy tcpsentry" ] || exit 0

"$PY" - "$TMP" "$OUT_MD" "$SECS" "$CONNS" <<'PY'
import json, os, platform, sys, time
tmp, out, secs, conns = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rows = [json.load(open("%s/%s.json" % (tmp, n))) for n in ("kernel", "synproxy", "tcpsentry")]
label = {"kernel": "kernel alone, tcp_syncookies=1", "synproxy": "nftables synproxy",
         "tcpsentry": "tcpsentry, syn.cookies=on"}
lines = [
    "# Benchmarks",
    "",
    "## SYN flood: `make bench-synflood`",
    "",
    "Regenerated by `make bench-synflood` (`tools/bench_synflood.sh`); do not edit by hand.",
    "Run %s on Linux %s, %d CPUs." % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                     platform.release(), os.cpu_count()),
    "",
    "A spoofed-source SYN flood (`tools/synflood`, XDP live frames, as fast as it goes, "
    "%s s) against one listener with a backlog of 128, while %d real connections "
    "(connect, echo a line, close; 3 s each, spread over 4 s) come from another "
    "namespace. CPU: `/proc/stat` softirq time over the flood, all CPUs (the SYN path "
    "is softirq work in all three set-ups; the generator's own system time is left "
    "out), per million SYNs the server veth received." % (secs, conns),
    "",
    "| set-up | flood (frames/s sent) | SYNs received | real connections ok | connect p50 / p99 (ms) "
    "| softirq CPU (s) | CPU s per 1M SYNs |",
    "|---|---:|---:|---:|---:|---:|---:|",
]
for r in rows:
    c = r["clients"]
    lines.append("| %s | %d | %d | %d/%d (%.1f%%) | %s / %s | %.2f | %.3f |" % (
        label[r["setup"]], r["rate"], r["rx"], c.get("ok", 0), conns,
        100.0 * c.get("ok", 0) / conns, c.get("p50_ms", -1), c.get("p99_ms", -1),
        r["cpu_s"], r["cpu_s_per_m"]))
t = rows[2]["cpu_s_per_m"]
lines.append("")
if t > 0:
    lines.append("CPU per million SYNs, tcpsentry vs the kernel alone: %.1fx less; vs "
                 "nftables synproxy: %.1fx less." % (rows[0]["cpu_s_per_m"] / t,
                                                    rows[1]["cpu_s_per_m"] / t))
lines.append("")
lines.append("Generator system time (left out above): " + ", ".join(
    "%s %.2f s" % (r["setup"], r["cpu"]["flood_system_s"]) for r in rows) + ".")
lines.append("")
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
PY
