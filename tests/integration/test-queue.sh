#!/usr/bin/env bash
# test-queue.sh: the upload queue (PARQ) between real gnutd. S has one
# upload slot and a slow --upload-limit. D1 downloads from it; D2, asking
# meanwhile, is queued: its source shows "queued" at position 1, it comes
# back only when Retry-After says (S answers it few 503s), and completes
# after D1. With --upload-queue-per-ip 1, a second request from D2's
# address for another file gets no place (a plain 503), while a request
# from another address (127.0.0.2, by curl) still gets one.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || { echo "curl missing: skipped"; exit 77; }
mkdir -p "$WORK/files"
head -c 3145728 /dev/urandom >"$WORK/files/queued.bin"
head -c 65536 /dev/urandom >"$WORK/files/other.bin"
start_node S --ultrapeer --upload-slots 1 --upload-limit 150k --upload-queue-per-ip 1 \
	--reconnect-limit 0 \
	--share "$WORK/files"
start_node D1
start_node D2
link D1 S
link D2 S
wait_until 20 has_peers S 2 || fail "S has $(peers_of S) links, want 2"
wait_until 30 has_shared S 2 || fail "S did not index"

# search_file NODE: NODE searches queued.bin (both search before either gets, so
# that D2's get follows D1's at once).
search_file() {
	gnut_at "$1" search --timeout 3 --json queued.bin >"$WORK/hits-$1.json" ||
		fail "$1: search failed"
	grep -q '"name" *: *"queued.bin"' "$WORK/hits-$1.json" || fail "$1: no hit for queued.bin"
}

# start_get NODE: NODE starts downloading its hit.
start_get() {
	local hit
	hit=$(json_field id <"$WORK/hits-$1.json" | head -1)
	mkdir -p "$WORK/got-$1"
	gnut_at "$1" get --to "$WORK/got-$1" "$hit" >/dev/null || fail "$1: get failed"
}

# source_queued NODE: NODE's source of its first download is queued at 1.
source_queued() {
	local id
	id=$(dl_field "$1" id)
	gnut_at "$1" sources --json "$id" >"$WORK/src-$1.json" || return 1
	grep -q '"state" *: *"queued"' "$WORK/src-$1.json" &&
		grep -q '"queue_position" *: *1[,}]' "$WORK/src-$1.json"
}

busy_answers() {
	grep -c '" 503 ' "$WORK/S/gnutd.log"
}

search_file D1
search_file D2
start_get D1
wait_until 30 state_is D1 downloading || fail "D1 is $(dl_field D1 state), not downloading"
start_get D2
wait_until 30 source_queued D2 || fail "D2's source is not queued: $(cat "$WORK/src-D2.json")"
wait_until 10 field_is S uploads_queued 1 || fail "S has $(status_field S uploads_queued) queued"
gnut_at D2 sources "$(dl_field D2 id)"
pass "D2 queued at position 1 behind D1"

wait_until 120 state_is D1 complete || fail "D1 is $(dl_field D1 state), not complete"
state_is D2 complete && fail "D2 completed before D1"
queued_503=$(busy_answers)
wait_until 120 state_is D2 complete || fail "D2 is $(dl_field D2 state), not complete"
cmp "$WORK/files/queued.bin" "$WORK/got-D1/queued.bin" || fail "D1's file differs"
cmp "$WORK/files/queued.bin" "$WORK/got-D2/queued.bin" || fail "D2's file differs"
# D2 waited 30 s (Retry-After at position 1) between polls: a few 503s.
[ "$queued_503" -ge 1 ] && [ "$queued_503" -le 3 ] ||
	fail "S answered $queued_503 times 503 while D1 downloaded, want 1 to 3"
[ "$(busy_answers)" -le 3 ] || fail "S answered $(busy_answers) times 503 in all"
pass "D2 polled $queued_503 times while queued and completed after D1"

# The queue's share of one address. A slow whole-file GET from 127.0.0.1
# holds the slot; 127.0.0.1 then queues for that file, and has its share:
# its request for another file gets no place. 127.0.0.2 still gets one,
# and ahead of 127.0.0.1, which has an upload under way.
served() {
	grep -c '" 200 ' "$WORK/S/gnutd.log"
}
served_more() {
	[ "$(served)" -gt "$1" ]
}
urn=$(json_field urn <"$WORK/hits-D1.json" | head -1)
base="http://127.0.0.1:$PORT_S/uri-res/N2R?$urn"
before=$(served)
curl -s -o /dev/null --limit-rate 20k "$base" &
holder=$!
wait_until 20 served_more "$before" || fail "the slow GET was not served"
curl -s -o /dev/null -D "$WORK/probe" -H 'X-Queue: 1.1' "$base"
grep -qi '^X-Queued: position=1; length=1;' "$WORK/probe" ||
	fail "no place for 127.0.0.1: $(cat "$WORK/probe")"
other_urn=$(gnut_at S shares --json | grep other.bin | json_field urn)
other="http://127.0.0.1:$PORT_S/uri-res/N2R?$other_urn"
curl -s -o /dev/null -D "$WORK/same" -H 'X-Queue: 1.1' "$other"
grep -q '^HTTP/1.1 503' "$WORK/same" || fail "want 503: $(cat "$WORK/same")"
grep -qi '^X-Queued' "$WORK/same" && fail "127.0.0.1 got a second place: $(cat "$WORK/same")"
curl -s -o /dev/null -D "$WORK/elsewhere" --interface 127.0.0.2 -H 'X-Queue: 1.1' "$other"
grep -qi '^X-Queued: position=1; length=2;' "$WORK/elsewhere" ||
	fail "127.0.0.2 did not get the first place: $(cat "$WORK/elsewhere")"
grep -qi '^Retry-After: 30' "$WORK/elsewhere" || fail "want Retry-After: 30 at position 1"
field_is S uploads_queued 2 || fail "S has $(status_field S uploads_queued) queued, want 2"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
pass "one address holds its share of the queue, another still gets a place, ahead"
