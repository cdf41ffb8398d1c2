#!/usr/bin/env bash
# A listener's half-open request (issue 11, SECURITY.md): what the server's
# kernel holds between its SYN-ACK and the final ACK is a request sock,
# judged by tcp_check_req, not a socket under RFC 5961. Each case makes a
# request for a spoofed client (SP4, which no namespace owns: the server's
# SYN-ACKs reach the client veth through a static neighbour entry and die
# there, unanswered), sends one crafted segment, and checks the server's
# kernel (ss: SYN-RECV or nothing) against tcpsentry's server_state:
# - a SYN in the request's window ends it (the kernel resets its sender);
# - an ACK of something else gets the listener's RST, and the request
#   stays (that RST, seen at egress, is not the request's end);
# - an RST on rcv_nxt ends it, one outside the window does not.
# (An RST inside the window off rcv_nxt: Linux 6.18 challenges it, as
# tcpsentry does; 6.1 and 6.12 end the request: SECURITY.md.)
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"
SP4=198.18.0.77 SP=80

lab_setup
ts_attach "$SNS" "$SIF" || finish
enforce
listen_bg "$SNS" "$S4" "$SP" 60 || finish
ip -n "$SNS" neigh replace "$SP4" lladdr "$(mac_of "$CNS" "$CIF")" dev "$SIF" nud permanent ||
	{ fail "cannot add a neighbour entry for $SP4"; finish; }

# expect_request LABEL CPORT STATE: the server's kernel and tcpsentry's
# server_state of SP4:CPORT -> S4:SP, retried for SETTLE_S
expect_request() {
	local label=$1 c="$SP4:$2" s="$S4:$SP" want=$3 ks ts deadline
	deadline=$(($(now_ms) + SETTLE_S * 1000))
	while :; do
		ks=$(ss_state "$SNS" "$s" "$c")
		read -r _ ts _ <<<"$(ts_state "$SNS" "$c" "$s")"
		[ "$ks" = "$want" ] && [ "$ts" = "$want" ] && {
			pass "$label: server $want (ss and tcpsentry agree)"
			return 0
		}
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.1
	done
	fail "$label: server $want expected; ss $ks, tcpsentry $ts"
	cat "$LAB_TMP/conn.line" | detail
	return 1
}

# request CPORT ISN: a spoofed SYN, and the request it makes
request() {
	spray --src "$SP4" --sport "$1" --dst "$S4" --dport "$SP" --flags S --seq "$2" ||
		{ fail "segspray (SYN): $(tail -n 2 "$LAB_TMP/spray.out")"; return 1; }
	expect_request "SYN from $SP4:$1" "$1" SYN_RCVD
}

# one SEGSPRAY-ARGS...: one crafted segment from SP4:CPORT
one() {
	local cport=$1; shift
	spray --src "$SP4" --sport "$cport" --dst "$S4" --dport "$SP" "$@" ||
		{ fail "segspray ($*): $(tail -n 2 "$LAB_TMP/spray.out")"; return 1; }
}

if request 41001 1000000; then
	one 41001 --flags R --seq 1000001
	expect_request "an RST on rcv_nxt" 41001 CLOSED
fi
if request 41003 3000000; then
	one 41003 --flags S --seq $((3000001 + 100))
	expect_request "a SYN 100 bytes into the request's window" 41003 CLOSED
fi
if request 41004 4000000; then
	rst0=$(nstat_get "$SNS" TcpOutRsts)
	one 41004 --flags A --seq 4000001 --ack 777
	expect_request "an ACK of something else, the listener's RST" 41004 SYN_RCVD
	rst1=$(nstat_get "$SNS" TcpOutRsts)
	[ "$rst1" -gt "$rst0" ] && pass "the listener answered the ACK with an RST (TcpOutRsts $rst0 -> $rst1)" ||
		fail "no RST from the listener (TcpOutRsts $rst0 -> $rst1)"
fi
if request 41005 5000000; then
	one 41005 --flags R --seq $((5000001 + 70000))
	expect_request "an RST past the request's window" 41005 SYN_RCVD
fi
finish
