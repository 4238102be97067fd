#!/usr/bin/env bash
# test-bootstrap.sh: servents that start with no --peer find the network
# through host caches running on loopback, and keep what they learned.
#  1. gnutd as a UDP host cache: A (an ultrapeer linked to B and C) answers
#     D's UDP ping (SCP) with IPP; D, given only --uhc A, links to them.
#  2. A GWebCache (gwc-server, counting requests): E, given only --gwc,
#     gets B and C from it and links to them; `gnut hosts --json` lists them.
#  3. E restarted dials its saved host cache without asking the cache again.
# Only 127.0.0.1 is contacted: every bootstrapping gnutd is given loopback
# caches (which replace the built-in lists); the others run --no-bootstrap.
. "$(dirname "$0")/lib.sh"

GWC_SERVER=${GWC_SERVER:-$builddir/tests/integration/gwc-server}

start_node B --ultrapeer
start_node C --ultrapeer
# A keeps a host cache (it learns B and C from their handshakes) so that it
# can answer as a cache; its own cache list is a dead loopback port.
BOOTSTRAP=1 start_node A --ultrapeer --uhc 127.0.0.1:1
link A B
link A C
wait_until 20 has_peers A 2 || fail "A has $(peers_of A) links, want 2"
hosts_of() {
	gnut_at "$1" hosts --json | grep -c '"host"'
}
has_hosts() {
	[ "$(hosts_of "$1")" -ge "$2" ]
}
wait_until 10 has_hosts A 2 || fail "A's host cache holds $(hosts_of A) hosts, want 2"
pass "A (the UDP host cache) is linked to B and C and caches them"

BOOTSTRAP=1 start_node D --ultrapeer --uhc "127.0.0.1:$PORT_A"
wait_until 30 has_peers D 3 || fail "D has $(peers_of D) links, want 3 (A, B, C)"
# the answer listed A itself and the fresh ultrapeers of its cache, B and C
grep -q "UDP host cache 127.0.0.1:$PORT_A gave 3 hosts" "$WORK/D/gnutd.log" ||
	fail "D's log does not show the cache's answer with 3 hosts"
gnut_at D hosts --json >"$WORK/d-hosts.json"
for p in "$PORT_A" "$PORT_B" "$PORT_C"; do
	grep -q "\"port\" *: *$p[,}]" "$WORK/d-hosts.json" || fail "D's cache lacks port $p"
done
pass "D found A, B and C through A as a UDP host cache and holds links with them"

"$GWC_SERVER" "$WORK/gwc.port" "$WORK/gwc.count" "127.0.0.1:$PORT_B" "127.0.0.1:$PORT_C" &
DAEMONS+=($!)
wait_until 5 test -s "$WORK/gwc.port" || fail "gwc-server did not start"
GWC_URL="http://127.0.0.1:$(cat "$WORK/gwc.port")/gwc.php"
BOOTSTRAP=1 start_node E --gwc "$GWC_URL"
wait_until 30 has_peers E 2 || fail "E has $(peers_of E) links, want 2 (B, C)"
[ "$(cat "$WORK/gwc.count")" = 1 ] || fail "the GWebCache served $(cat "$WORK/gwc.count") requests, want 1"
grep -q "GWebCache $GWC_URL gave 2 hosts" "$WORK/E/gnutd.log" ||
	fail "E's log does not show the GWebCache's answer with 2 hosts"
gnut_at E hosts --json >"$WORK/e-hosts.json"
for p in "$PORT_B" "$PORT_C"; do
	grep -q "\"port\" *: *$p[,}]" "$WORK/e-hosts.json" || fail "E's cache lacks port $p"
done
grep -q '"last_seen" *: *[0-9]' "$WORK/e-hosts.json" || fail "no last_seen in gnut hosts --json"
gnut_at E hosts | grep -q "127.0.0.1:$PORT_B" || fail "gnut hosts does not list B"
pass "E found B and C through the GWebCache (1 request) and holds links with them"

kill "$(cat "$WORK/E/pid")"
wait "$(cat "$WORK/E/pid")" 2>/dev/null
[ -s "$WORK/E/data/hosts.cache" ] || fail "E saved no host cache"
grep -q "C $GWC_URL" "$WORK/E/data/bootstrap.state" ||
	fail "E saved no state for its GWebCache: $(cat "$WORK/E/data/bootstrap.state")"
BOOTSTRAP=1 start_node E --gwc "$GWC_URL"
wait_until 30 has_peers E 2 || fail "restarted E has $(peers_of E) links, want 2"
sleep 2
[ "$(cat "$WORK/gwc.count")" = 1 ] ||
	fail "restarted E asked the GWebCache again ($(cat "$WORK/gwc.count") requests)"
pass "E restarted on its saved host cache without asking the GWebCache"
