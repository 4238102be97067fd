#!/usr/bin/env bash
# test-stats.sh: gnut stats, this session's counts and the totals of every
# run. A downloads a file from B; both count it (bytes, a transfer, the
# query, the hit, messages); B stops and starts again on its data folder,
# and its totals still hold the first run while its session starts from
# zero; a damaged stats.state is set aside with a warning and counting
# starts again, gnutd running on.
. "$(dirname "$0")/lib.sh"

# stats_of NAME PART FIELD: FIELD of the session or total part of stats
stats_of() {
	local json
	json=$(gnut_at "$1" stats --json) || return 1
	if [ "$2" = session ]; then
		json=${json%%\"total\"*}
	else
		json=${json#*\"total\"}
	fi
	printf '%s\n' "$json" | json_field "$3"
}

# stop_node NAME: a clean stop through gnut; waits until gnutd exited
stop_node() {
	local pid
	pid=$(cat "$WORK/$1/pid")
	gnut_at "$1" stop >/dev/null || fail "stop $1"
	wait_until 60 sh -c "! kill -0 $pid" || fail "$1 did not stop"
}

start_node A --ultrapeer
start_node B --ultrapeer
head -c 40000 /dev/urandom >"$WORK/B/share/counted.bin"
gnut_at B share add "$WORK/B/share" >/dev/null || fail "share add"
wait_until 30 has_shared B 1 || fail "B did not index its share"
link A B
wait_until 20 has_peers A 1 || fail "A did not link to B"
search_and_get A counted counted.bin

[ "$(stats_of A session downloads_completed)" -ge 1 ] || fail "A: no download counted"
[ "$(stats_of A session bytes_down)" -ge 40000 ] || fail "A: bytes_down"
[ "$(stats_of A session hits_received)" -ge 1 ] || fail "A: hits_received"
[ "$(stats_of A session queries_sent)" -ge 1 ] || fail "A: queries_sent"
[ "$(stats_of A session messages_received)" -ge 1 ] || fail "A: messages_received"
wait_until 20 test "$(stats_of B session uploads_completed)" -ge 1 || fail "B: no upload counted"
[ "$(stats_of B session bytes_up)" -ge 40000 ] || fail "B: bytes_up"
[ "$(stats_of B session queries_answered)" -ge 1 ] || fail "B: queries_answered"
[ "$(stats_of B total bytes_up)" = "$(stats_of B session bytes_up)" ] || fail "B: a first run's total"
gnut_at B stats >"$WORK/stats.txt" || fail "gnut stats"
grep -q '^uploads completed  *1  *1$' "$WORK/stats.txt" || fail "stats table: $(cat "$WORK/stats.txt")"
pass "a download counted on both sides"

up_before=$(stats_of B session bytes_up)
stop_node B
[ -f "$WORK/B/data/stats.state" ] || fail "no stats.state after the stop"
start_node B --ultrapeer
[ "$(stats_of B session bytes_up)" = 0 ] || fail "B: the new session did not start from zero"
[ "$(stats_of B total bytes_up)" -ge "$up_before" ] || fail "B: the total lost the first run"
[ "$(stats_of B total uploads_completed)" -ge 1 ] || fail "B: uploads_completed lost"
[ "$(stats_of B total queries_answered)" -ge 1 ] || fail "B: queries_answered lost"
pass "totals kept across a restart"

stop_node B
printf '[totals]\nbytes-up=garbage\n' >"$WORK/B/data/stats.state"
start_node B --ultrapeer
grep -q 'totals: .*stats.state.*counting from zero' "$WORK/B/gnutd.log" ||
	fail "no warning for a damaged stats.state: $(tail -5 "$WORK/B/gnutd.log")"
[ -f "$WORK/B/data/stats.state.bad" ] || fail "the damaged file was not set aside"
[ "$(stats_of B total bytes_up)" = 0 ] || fail "B: total not from zero"
stop_node B
[ "$(sed -n 's/^bytes-up=//p' "$WORK/B/data/stats.state")" = 0 ] || fail "no good file written"
pass "a damaged stats.state: a warning, counting from zero"
