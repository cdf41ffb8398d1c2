#!/usr/bin/env bash
# Attack 1 (issue 11): a SYN whose TCP options the kernel tolerates but
# tcpsentry's parser rejects must not bypass tcpsentry. Three such option
# layouts, each one the Linux stack accepts (tcp_parse_options skips or
# stops, the segment goes on):
#   mss3   02 03 05 01        MSS with length 3, then NOP
#   past   02 04 05 b4 fe 0a 00 00   MSS, then an unknown option whose length
#          (10) runs past the end of the option space
#   len1   02 04 05 b4 fd 01 00 00   MSS, then an option of length 1
# The victim's view, enforce mode:
# - syn.cookies=on for port 80: every such SYN is answered by XDP
#   (syncookies_sent grows by as many), none reaches the kernel's SYN queue
#   (no SYN-RECV request socket), also under a flood of 2000;
# - cookies off: such a SYN is tracked like a clean one (server SYN_RCVD as
#   ss shows the request socket, client ESTABLISHED once the SYN-ACK left,
#   not a mid-stream pickup); a flood of them
#   starts a syn_flood (status); SYN|FIN with such options is a bad_flags
#   anomaly, as with clean options.
# A clean-option control runs first at each step: it passes on main too.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

CLEAN="020405b4"
declare -A BAD=([mss3]="02030501" [past]="020405b4fe0a0000" [len1]="020405b4fd010000")

lab_setup
client_napi
ip -n "$SNS" route add 198.18.128.0/17 via "$C4" dev "$SIF"
in_ns "$SNS" sysctl -qw net.ipv4.tcp_syncookies=1
ts_attach "$SNS" "$SIF" || finish
enforce syn.cookies=on syn.cookie_ports=80
drv_start srv "$SNS" -4 -q 128 server "$S4" 80 || finish

# cookie_round LABEL OPTS N: N SYNs from fresh spoofed sources; checks that
# XDP answered all N with cookies and the kernel's SYN queue took none
cookie_round() {
	local label=$1 opts=$2 n=$3 sent0 sent1 q0 q1 ko0 ko1
	sent0=$(counter syncookies_sent) q0=$(syn_recv "$SNS" 80)
	ko0=$(nstat_get "$SNS" TcpExtSyncookiesSent)
	spray --src 198.18.128.0/17 --dst "$S4" --dport 80 --flags S --opts "$opts" \
		--count "$n" --rate 20000
	sleep 0.5
	sent1=$(counter syncookies_sent) q1=$(syn_recv "$SNS" 80)
	ko1=$(nstat_get "$SNS" TcpExtSyncookiesSent)
	if [ $((sent1 - sent0)) -ge "$n" ] && [ "$q1" -le "$q0" ] && [ "${ko1:-0}" = "${ko0:-0}" ]; then
		pass "$label: $n SYNs with options [$opts] all answered by XDP cookies (+$((sent1 - sent0))), SYN queue untouched ($q1 SYN-RECV)"
	else
		fail "$label: $n SYNs with options [$opts]: XDP cookies +$((sent1 - sent0)) (want $n), kernel SYN-RECV $q0 -> $q1, kernel's own cookies ${ko0:-0} -> ${ko1:-0} (want no change)"
		counters_of_interest | detail
	fi
}
counters_of_interest() {
	ts_run -n "$SNS" stats -j
	"$PY" -c 'import json,sys; c=json.loads(sys.stdin.readline())["counters"]
print(" ".join("%s=%s" % (k, v) for k, v in c.items() if v and (k.startswith("parse_error") or k.startswith("syncookies") or k == "syn")))' <<<"$TS_OUT"
}

if has_feature "$SNS" syn_cookie_handover; then
	cookie_round "cookies on, clean options (control)" "$CLEAN" 3
	for v in mss3 past len1; do
		cookie_round "cookies on, malformed '$v'" "${BAD[$v]}" 3
	done
	cookie_round "cookies on, flood of 2000 malformed 'mss3'" "${BAD[mss3]}" 2000
else
	skip_part "the cookie rounds" "Linux $(uname -r) lacks the bpf_sk_assign_tcp_reqsk kfunc (Linux 6.9+): SYN cookies are off"
fi

# ---- cookies off: tracking, the flood sketch, bad flags
drv_stop srv
# the request sockets of the flood above time out on their own; a new port
enforce syn.cookies=off
drv_start srv "$SNS" -4 -q 4096 server "$S4" 81 || finish

# one SYN from one spoofed source (port 50000 + i): tracked like a clean one?
i=0
for v in clean mss3 past len1; do
	opts=${BAD[$v]:-$CLEAN}
	i=$((i + 1))
	src=198.18.200.$i
	spray --src "$src" --dst "$S4" --sport $((50000 + i)) --dport 81 --flags S --opts "$opts"
	expect_spoofed "cookies off, one SYN with options '$v' [$opts]" "$src:$((50000 + i))" "$S4:81" \
		ESTABLISHED SYN_RCVD false
done

# SYN|FIN: bad_flags, clean options (control) and malformed
for v in clean mss3; do
	opts=${BAD[$v]:-$CLEAN}
	b0=$(anomaly bad_flags)
	spray --src 198.18.0.2 --dst "$S4" --dport 81 --flags SF --opts "$opts" --count 3
	sleep 0.3
	b1=$(anomaly bad_flags)
	[ $((b1 - b0)) -eq 3 ] && pass "SYN|FIN with options '$v': 3 bad_flags anomalies" ||
		fail "SYN|FIN with options '$v': bad_flags +$((b1 - b0)), want 3"
done

# a flood of malformed SYNs is a flood: syn_flood at port 81 (threshold 1000/s)
enforce syn_flood.rate=1000
spray --src 198.18.128.0/17 --dst "$S4" --dport 81 --flags S --opts "${BAD[mss3]}" \
	--count 6000 --rate 4000
ts_run -n "$SNS" status -j
if grep -q '"port":81' <<<"$TS_OUT"; then
	pass "6000 malformed SYNs at 4000/s (threshold 1000/s): status shows a syn_flood at port 81"
else
	fail "6000 malformed SYNs at 4000/s (threshold 1000/s): status shows no syn_flood at port 81"
	{ grep -o '"syn_floods":[^]]*]' <<<"$TS_OUT"; counters_of_interest; } | detail
fi
drv_stop srv
finish
