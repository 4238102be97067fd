#!/usr/bin/env bash
# test-dquery.sh: dynamic querying of our own queries and leaf guidance.
# The ultrapeer U dials six ultrapeers N1..N6, each sharing 55 files named
# "popular" (a hit carries 50 at most); N6 also links to F, far away, the
# only one sharing "rarefile". The leaf L is U's. Each Ni's queries_received
# (gnut status) says whether U's query reached it.
#   - popular: U's probe (3 links, or 5 whose QRP tables match) brings the
#     150 hits U wants: the query stops there, not every Ni gets it;
#   - rare: no hit for a while, so U widens link by link until all six got
#     it and F's hit comes back;
#   - leaf guidance: L's rare search stops after 2 s; when U asks L how many
#     hits it kept (BEAR/11) L answers stop (BEAR/12 0xFFFF), and U sends
#     the query to no link after its probe;
#   - once L is reachable over UDP its popular query asks for hits out of
#     band: they reach L directly and U routes none back, so U only knows
#     from L's status (150 kept: stop) that the probe was enough.
. "$(dirname "$0")/lib.sh"

NS="N1 N2 N3 N4 N5 N6"
for n in $NS; do
	mkdir -p "$WORK/share-$n"
	for k in $(seq 1 55); do
		echo "$n $k" >"$WORK/share-$n/popular-$n-$k.txt"
	done
	start_node "$n" --ultrapeer --share "$WORK/share-$n"
done
mkdir -p "$WORK/share-F"
echo "the only replica" >"$WORK/share-F/rarefile.txt"
start_node F --ultrapeer --share "$WORK/share-F"
start_node U --ultrapeer
start_node L --leaf --peer "127.0.0.1:$PORT_U"
for n in $NS; do
	link U "$n"
done
link N6 F
wait_until 30 has_peers U 7 || fail "U has $(peers_of U) links, want 7"
wait_until 20 has_peers N6 2 || fail "N6 has $(peers_of N6) links, want 2"
for n in $NS; do
	wait_until 60 has_shared "$n" 55 || fail "$n did not index its 55 files"
done
wait_until 30 has_shared F 1 || fail "F did not index"
sleep 1 # let the query routing tables go out
pass "U with six ultrapeer neighbours and a leaf"

queries_of() {
	status_field "$1" queries_received
}

# reached: how many of N1..N6 received queries since the last `mark`.
mark() {
	for n in $NS; do
		eval "BASE_$n=$(queries_of "$n")"
	done
}
reached() {
	local count=0 base
	for n in $NS; do
		eval "base=\$BASE_$n"
		[ "$(queries_of "$n")" -gt "$base" ] && count=$((count + 1))
	done
	echo "$count"
}
reached_all() {
	[ "$(reached)" -eq 6 ]
}

# search_popular NODE SECONDS: NODE searches "popular" for SECONDS; sets
# HITS, PROBED (neighbours reached after 3 s: the probe) and GOT (at the
# end).
search_popular() {
	mark
	gnut_at "$1" search --timeout "$2" --json popular >"$WORK/popular-$1.json" &
	local pid=$!
	sleep 3
	PROBED=$(reached)
	wait "$pid" || fail "$1: search failed"
	GOT=$(reached)
	HITS=$(grep -c '"name" *: *"popular-' "$WORK/popular-$1.json")
	echo "$1 popular: $HITS hits, probe to $PROBED of 6 neighbours, $GOT at the end"
	[ "$HITS" -ge 150 ] || fail "$1: want 150 hits or more for popular, got $HITS"
	[ "$PROBED" -ge 3 ] && [ "$PROBED" -le 5 ] || fail "$1: the probe reached $PROBED"
}

# 12 s: the probe's 7.2 s wait and the next link's 2.4 s and more
search_popular U 12
[ "$GOT" -eq "$PROBED" ] || fail "popular: went on to $GOT links after the probe"
pass "popular file: $HITS hits, the query stopped after the probe ($GOT of 6 links)"

mark
gnut_at U search --timeout 30 --json rarefile >"$WORK/rare.json" &
search_pid=$!
sleep 3
early=$(reached)
wait_until 30 reached_all || fail "rare query reached $(reached) of 6 neighbours, want 6"
wait "$search_pid" || fail "search failed"
echo "rare: reached $early neighbours after 3 s, then all 6"
[ "$early" -le 3 ] || fail "rare: $early neighbours at once, want the probe's 3 at most"
grep -q '"name" *: *"rarefile.txt"' "$WORK/rare.json" || fail "rarefile.txt not found"
pass "rare file: the query widened link by link to all 6 and found the replica"

mark
gnut_at L search --timeout 2 --json rarefile >/dev/null || fail "leaf search failed"
sleep 1
probed=$(reached)
# without guidance U would send it to a 4th link 7.2 s after the probe, a
# 5th 7.2 s later
sleep 15
got=$(reached)
echo "leaf's rare query: probe to $probed neighbours, $got after 18 s"
[ "$probed" -ge 1 ] && [ "$probed" -le 3 ] || fail "leaf query probe reached $probed"
[ "$got" -eq "$probed" ] || fail "leaf query went on to $got links after the leaf said stop"
pass "the leaf's status (stop) ended U's dynamic query after the probe"

eval "port_l=\$PORT_L"
udp_ping "$port_l" # unsolicited: L is reachable over UDP
wait_until 10 field_is L udp_firewalled false || fail "L got a ping yet is UDP-firewalled"
# without L's status U would count no hit and go on to a link 7.2 s after
# the probe and another 7.2 s later
search_popular L 16
oob=$(status_field L oob_hits_received)
[ "$oob" -ge 1 ] || fail "L took no hit out of band"
[ "$GOT" -eq "$PROBED" ] || fail "leaf's popular query went on to $GOT links after the probe"
pass "hits out of band ($oob messages): L's status (150 kept) stopped U after the probe"
