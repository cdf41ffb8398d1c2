#!/usr/bin/env bash
# Issue 11, smaller defect: the --textfile writer opened its temporary file
# (DIR/.tcpsentry.prom.tmp) without O_EXCL|O_NOFOLLOW, and made the .prom
# with the daemon's umask, which the shipped unit sets to 0077 (so
# node_exporter, another user, cannot read it). `run --textfile DIR` under
# umask 0077, with DIR/.tcpsentry.prom.tmp planted as a symlink to another
# file: that file is left as it was, and DIR/tcpsentry.prom is written and
# readable by others.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/daemon_lib.sh"
. "$E2E_DIR/attacks/atk_lib.sh"

lab_setup
D="$LAB_TMP/textfile"
mkdir -p "$D"
chmod 0755 "$D"
echo precious >"$LAB_TMP/victim"
ln -s "$LAB_TMP/victim" "$D/.tcpsentry.prom.tmp"
( umask 0077; exec "$TCPSENTRY" -n "$SNS" run "$SIF" --no-metrics --textfile "$D" --sweep-interval 1 \
	>"$LAB_TMP/run.out" 2>"$LAB_TMP/run.err" ) &
RUN_PID=$!
DAEMON_PIDS+=("$RUN_PID")
LAB_ATTACHED+=("$SNS $SIF")
for _ in $(seq 50); do [ -s "$D/tcpsentry.prom" ] && break; sleep 0.1; done
sleep 1.5
[ "$(cat "$LAB_TMP/victim")" = precious ] &&
	pass "the file the planted symlink points to is untouched" ||
	fail "the writer followed the planted symlink: the other file now starts with '$(head -c 60 "$LAB_TMP/victim" | head -n 1)'"
if [ -s "$D/tcpsentry.prom" ] && [ ! -L "$D/tcpsentry.prom" ]; then
	mode=$(stat -c %a "$D/tcpsentry.prom")
	[ $((8#$mode & 8#004)) -ne 0 ] && pass "tcpsentry.prom written, mode $mode (readable by node_exporter)" ||
		fail "tcpsentry.prom written with mode $mode under umask 0077: node_exporter (another user) cannot read it"
else
	fail "no tcpsentry.prom written in $D"
	detail <"$LAB_TMP/run.err"
fi
run_stop INT
finish
