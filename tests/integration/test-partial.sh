#!/usr/bin/env bash
# test-partial.sh: partial file sharing with real gnutd processes on
# loopback. A shares an 8 MiB file, its uploads slowed down (--upload-limit)
# so that B's download of it lasts. While B is mid-way:
#  1. a direct request to B for a range it has is 206 with the source's
#     bytes, one for a range it lacks 416, both with X-Available-Ranges;
#  2. C, linked to B only (B to A), searches: it gets B's hit (a partial
#     result) and A's (relayed by B), and downloads the file from both;
#     B uploads some of it, and C's file and B's file are right.
. "$(dirname "$0")/lib.sh"

MIB=1048576
SIZE=$((8 * MIB))

done_at_least() {
	[ "$(dl_field "$1" done)" -ge "$2" ]
}

# http_to PORT METHOD TARGET RANGE OUT: one request (bash's /dev/tcp), the
# whole answer (head and body) into OUT; in a subshell, so that a refused
# connection (SIGPIPE) fails the request, not the test.
http_to() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=%s\r\nConnection: close\r\n\r\n' \
			"$2" "$3" "$4" >&3 || exit 1
		timeout 20 cat <&3 >"$5"
	)
}

# head_end FILE: the length of FILE's reply head (up to the empty line).
head_end() {
	grep -abo $'\r$' "$1" | awk -F: 'prev + 2 == $1 { print $1 + 2; exit } { prev = $1 }'
}

# offers_chunks PORT URN N: B's X-Available-Ranges holds at least N MiB.
offers_chunks() {
	http_to "$1" HEAD "/uri-res/N2R?$2" 0-0 "$WORK/probe" || return 1
	local ranges
	ranges=$(sed -n 's/^X-Available-Ranges: bytes \(.*\)\r$/\1/p' "$WORK/probe")
	[ -n "$ranges" ] || return 1
	local n
	n=$(echo "$ranges" | tr ',' '\n' | awk -F- '{ n += $2 - $1 + 1 } END { print n + 0 }')
	[ "$n" -ge $(($3 * MIB)) ]
}

mkdir -p "$WORK/files"
head -c $SIZE /dev/urandom >"$WORK/files/slowpart.bin"
start_node A --ultrapeer --upload-limit 256k --upload-slots-per-ip 4 --share "$WORK/files"
# B is polled over HTTP from 127.0.0.1 many times: no reconnect throttle
start_node B --ultrapeer --reconnect-limit 0
start_node C --ultrapeer
link B A
wait_until 20 has_peers B 1 || fail "B has no link"
wait_until 30 has_shared A 1 || fail "A did not index"
gnut_at B search --timeout 3 --json slowpart >"$WORK/hits-b.json" || fail "B: search failed"
urn=$(json_field urn <"$WORK/hits-b.json" | head -1)
hit=$(json_field id <"$WORK/hits-b.json" | head -1)
[ -n "$urn" ] && [ -n "$hit" ] || fail "B found no hit: $(cat "$WORK/hits-b.json")"
mkdir -p "$WORK/got-b" "$WORK/got-c"
gnut_at B get --to "$WORK/got-b" "$hit" >/dev/null || fail "B: get failed"
wait_until 90 offers_chunks "$PORT_B" "$urn" 2 || fail "B offers no 2 chunks: $(cat "$WORK/probe")"
state=$(dl_field B state)
[ "$state" != complete ] || fail "B finished before the test could look at it"
pass "B, mid-way ($(dl_field B done) bytes, $state), offers $(sed -n 's/^X-Available-Ranges: //p' "$WORK/probe")"

# ---- 1. direct requests to B ----
http_to "$PORT_B" GET "/uri-res/N2R?$urn" "$MIB-$((MIB + 65535))" "$WORK/have" || fail "no answer"
head -1 "$WORK/have" | grep -q '^HTTP/1.1 206' || fail "want 206: $(head -12 "$WORK/have")"
grep -q '^X-Available-Ranges: bytes 0-' "$WORK/have" || fail "206 without X-Available-Ranges"
grep -q "^Content-Range: bytes $MIB-$((MIB + 65535))/$SIZE" "$WORK/have" ||
	fail "wrong Content-Range: $(head -12 "$WORK/have")"
skip=$(head_end "$WORK/have")
tail -c +$((skip + 1)) "$WORK/have" >"$WORK/have.body"
tail -c +$((MIB + 1)) "$WORK/files/slowpart.bin" | head -c 65536 >"$WORK/want.body"
cmp "$WORK/have.body" "$WORK/want.body" || fail "B served the wrong bytes"
pass "a range B has: 206, the source's bytes, X-Available-Ranges"
http_to "$PORT_B" GET "/uri-res/N2R?$urn" "$((SIZE - 1000))-$((SIZE - 1))" "$WORK/lack" ||
	fail "no answer"
head -1 "$WORK/lack" | grep -q '^HTTP/1.1 416' || fail "want 416: $(head -12 "$WORK/lack")"
grep -q '^X-Available-Ranges: bytes 0-' "$WORK/lack" || fail "416 without X-Available-Ranges"
pass "a range B lacks: 416 with X-Available-Ranges"

# ---- 2. C finds B's partial file and downloads from it ----
link C B
wait_until 20 has_peers C 1 || fail "C has no link"
gnut_at C search --timeout 4 --json slowpart >"$WORK/hits-c.json" || fail "C: search failed"
grep -q "\"port\" *: *$PORT_B" "$WORK/hits-c.json" || fail "C: no hit from B: $(cat "$WORK/hits-c.json")"
grep -q "\"port\" *: *$PORT_A" "$WORK/hits-c.json" || fail "C: no hit from A: $(cat "$WORK/hits-c.json")"
[ "$(dl_field B state)" != complete ] || fail "B finished before C searched"
pass "C's search: a partial hit from B and a hit from A"
b_hit=$(grep "\"port\" *: *$PORT_B" "$WORK/hits-c.json" | json_field id | head -1)
up_before=$(status_field B bytes_up)
gnut_at C get --to "$WORK/got-c" "$b_hit" >/dev/null || fail "C: get failed"
wait_until 180 state_is C complete || fail "C did not complete: $(gnut_at C downloads)"
cmp "$WORK/files/slowpart.bin" "$WORK/got-c/slowpart.bin" || fail "C's file differs"
up_after=$(status_field B bytes_up)
[ "$up_after" -gt "$up_before" ] || fail "B uploaded nothing to C"
pass "C completed, right, with $((up_after - up_before)) bytes from B"
wait_until 180 state_is B complete || fail "B did not complete: $(gnut_at B downloads)"
cmp "$WORK/files/slowpart.bin" "$WORK/got-b/slowpart.bin" || fail "B's file differs"
http_to "$PORT_B" HEAD "/uri-res/N2R?$urn" 0-0 "$WORK/after" || fail "no answer"
head -1 "$WORK/after" | grep -q '^HTTP/1.1 404' || fail "B still offers a finished download"
pass "B completed, right, and no longer offers the partial file"
