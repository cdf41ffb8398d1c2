#!/usr/bin/env bash
# IPFIX export to a real collector: nfdump's nfcapd, in the server's
# namespace, collects what `run --ipfix` sends; `nfdump -r` must list every
# connection of the run once, with its 5-tuple, packets and bytes each way
# (the capture's, to the packet and byte) and its start and end (within
# 1 s), over UDP and over TCP. The payload the test moved is checked too,
# against the records and against ss before the close. Over UDP, a
# collector restarted after run began still decodes everything: the
# templates come again. With no collector at all, every record is counted
# as not exported (tcpsentry_records_unexported_total) and warned about.
# nfcapd (nfdump 1.7) listens on UDP only: for the TCP run, a relay in the
# test reads the IPFIX messages off the TCP stream (by their length field)
# and hands each to nfcapd as one datagram; the collector decodes them.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/daemon_lib.sh"
for t in nfcapd nfdump tshark tcpdump; do
	command -v $t >/dev/null || skip "needs $t (make deps)"
done
RPY="$E2E_DIR/records.py"
lab_setup

# (background processes are started with nsenter itself, not in_ns: $! is
# then the process, which a signal must reach)

# nfcapd_start NAME PORT: a collector on 127.0.0.1:PORT (UDP) in the server
# namespace, flows into $LAB_TMP/nf.NAME
nfcapd_start() {
	mkdir -p "$LAB_TMP/nf.$1"
	nsenter --net="/run/netns/$SNS" nfcapd -w "$LAB_TMP/nf.$1" -b 127.0.0.1 -p "$2" -t 3600 \
		>"$LAB_TMP/nfcapd.$1.log" 2>&1 &
	NF_PID=$!
	DAEMON_PIDS+=("$NF_PID")
	for _ in $(seq 50); do grep -q "Startup" "$LAB_TMP/nfcapd.$1.log" && return 0; sleep 0.1; done
	fail "nfcapd $1 did not start"; detail <"$LAB_TMP/nfcapd.$1.log"
	return 1
}

# nfcapd_flows NAME: stop it (it writes its file), then what nfdump reads
nfcapd_flows() {
	kill -TERM "$NF_PID"; wait "$NF_PID" 2>/dev/null
	TZ=UTC nfdump -R "$LAB_TMP/nf.$1" -q -N \
		-o "fmt:%ts,%te,%sa,%sp,%da,%dp,%pr,%pkt,%byt,%opkt,%obyt" >"$LAB_TMP/nfdump.$1" 2>&1
}

# phase NAME URL PORT_BASE: connections under `run --ipfix URL` (a capture
# of the server's veth beside it), then nfdump's view of them checked
phase() {
	local name=$1 url=$2 base=$3 f
	: >"$LAB_TMP/expect.$name"
	nsenter --net="/run/netns/$SNS" tcpdump -i "$SIF" -U -n -s 128 -w "$LAB_TMP/cap.$name" tcp 2>"$LAB_TMP/tcpdump.$name" &
	CAP_PID=$!
	DAEMON_PIDS+=("$CAP_PID")
	for _ in $(seq 50); do grep -q listening "$LAB_TMP/tcpdump.$name" && break; sleep 0.1; done
	run_start --ipfix "$url" --ipfix-templates 1 --records "$LAB_TMP/records.$name" || return 1
	pass "$name: run --ipfix $url"
	[ "$name" = udp ] && restart_collector
	# 20 IPv4 connections, 300 bytes up and 5000 down; 10 IPv6, 700 and 1200
	for f in "4 $C4 $S4 20 300 5000" "6 $C6 $S6 10 700 1200"; do
		# shellcheck disable=SC2086
		set -- $f
		drv_start "s$1" "$SNS" "-$1" -n "$4" server "$3" 8080 &&
			drv_start "c$1" "$CNS" "-$1" -n "$4" -l "$2" -p "$((base + $1 * 100))" client "$3" 8080 &&
			step "c$1" connect && step "s$1" accept && step "c$1" "send $5" &&
			step "s$1" "recv $5" && step "s$1" "send $6" && step "c$1" "recv $6" || return 1
		for ((i = 0; i < $4; i++)); do
			echo "client_close $(ep "$2" $((base + $1 * 100 + i))) $(ep "$3" 8080) $5 $6"
		done >>"$LAB_TMP/expect.$name"
		ss_bytes "$1" "$5" "$6"
		step "c$1" close && step "s$1" close
		drv_stop "c$1"; drv_stop "s$1"
	done
	sleep 1.5 # the last records: read within a poll, sent at once
	run_stop TERM
	kill -TERM "$CAP_PID"; wait "$CAP_PID" 2>/dev/null
	"$PY" "$RPY" flows "$LAB_TMP/cap.$name" "$LAB_TMP/flows.$name" ||
		{ fail "$name: tshark cannot read the capture"; return 1; }
	if out=$("$PY" "$RPY" check "$LAB_TMP/records.$name" "$LAB_TMP/expect.$name" \
		"$LAB_TMP/flows.$name"); then
		pass "$name: records: $(head -n 1 <<<"$out")"
	else
		fail "$name: records: $(head -n 1 <<<"$out")"; tail -n +2 <<<"$out" | detail
	fi
}

# ss_bytes FAMILY UP DOWN: before the close, the client's kernel agrees the
# payload went both ways (bytes_acked, bytes_received of every connection)
ss_bytes() {
	local bad
	bad=$(in_ns "$CNS" ss -Htin "( dport = :8080 )" | awk -v up="$2" -v down="$3" '
		/bytes_acked:/ { a = r = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^bytes_acked:/) { a = $i; sub(/.*:/, "", a) }
				if ($i ~ /^bytes_received:/) { r = $i; sub(/.*:/, "", r) }
			}
			n++; if (a != up + 1 || r != down) b++ }
		END { print n + 0, b + 0 }')
	# bytes_acked counts the SYN's sequence number too
	[ "${bad#* }" = 0 ] && [ "${bad% *}" -gt 0 ] &&
		pass "ss: ${bad% *} IPv$1 connections moved $2 up and $3 down" ||
		fail "ss: IPv$1 connections, bytes_acked/received not $2/$3: $bad (count, wrong)"
}

# the collector goes away and another comes on the same port: it knows no
# template until they are sent again
restart_collector() {
	kill -TERM "$NF_PID"; wait "$NF_PID" 2>/dev/null
	nfcapd_start udp2 9995 && sleep 2.5
}

check_nfdump() {   # NAME FLOWS
	if out=$("$PY" "$RPY" nfdump "$LAB_TMP/nfdump.$1" "$LAB_TMP/expect.$2" "$LAB_TMP/flows.$2"); then
		pass "$2: nfdump -r: $(head -n 1 <<<"$out")"
	else
		fail "$2: nfdump -r: $(head -n 1 <<<"$out")"
		{ tail -n +2 <<<"$out"; tail -n 3 "$LAB_TMP/nfcapd.$1.log"; } | detail
	fi
}

nfcapd_start udp 9995 || finish
phase udp udp://127.0.0.1:9995 41000 || finish
nfcapd_flows udp2
check_nfdump udp2 udp

nfcapd_start tcp 9996 || finish
nsenter --net="/run/netns/$SNS" "$PY" - 4739 9996 <<'PY' >"$LAB_TMP/relay.log" 2>&1 &
import socket, struct, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(4); print("ready", flush=True)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    c, _ = l.accept()
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        buf += d
        while len(buf) >= 4 and len(buf) >= struct.unpack("!HH", buf[:4])[1]:
            n = struct.unpack("!HH", buf[:4])[1]
            u.sendto(buf[:n], ("127.0.0.1", int(sys.argv[2])))
            buf = buf[n:]
    c.close()
PY
DAEMON_PIDS+=("$!")
for _ in $(seq 50); do grep -q ready "$LAB_TMP/relay.log" && break; sleep 0.1; done
phase tcp tcp://127.0.0.1:4739 43000 || finish
nfcapd_flows tcp
check_nfdump tcp tcp

# no collector at all: every record is counted as not exported (the
# metric, a warning on stderr), none is silently gone
# (the run before detached on its way out: this one attaches anew)
run_start --ipfix tcp://127.0.0.1:4740 || finish
r0=$(stats_field "$SNS" 's["counters"]["records"]')
listen_bg "$SNS" "$S4" 8082 60 || finish
connect_n "$CNS" "$C4" "$S4" 8082 10 "$(Sf 0.9)"
for _ in $(seq "$(S 50)"); do
	n=$(($(stats_field "$SNS" 's["counters"]["records"]') - r0))
	[ "$n" -ge "$CONN_OK" ] && break
	sleep 0.2
done
info "collector down: $CONN_OK connections, $n records"
wait_sample "collector down: every record counted" \
	'tcpsentry_records_unexported_total{output="ipfix"}' == "$n" "$(S 10)"
run_stop TERM
grep -q "records not exported" "$LAB_TMP/run.err" &&
	pass "collector down: run warned: $(grep -m1 "records not exported" "$LAB_TMP/run.err")" ||
	fail "collector down: no warning on stderr"
finish
