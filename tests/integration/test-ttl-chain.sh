#!/usr/bin/env bash
# test-ttl-chain.sh: an ultrapeer with a single ultrapeer link sends its
# query there at once with TTL 3 (dynamic querying with no link to widen
# to), so on a chain N0-N1-...-N7 a file 3 links away (N3) is found and one
# 7 links away (N7) is not.
. "$(dirname "$0")/lib.sh"

for i in 0 1 2 3 4 5 6 7; do
	start_node "N$i" --ultrapeer
done
echo near >"$WORK/N3/share/chainfile-near.txt"
echo far >"$WORK/N7/share/chainfile-far.txt"
gnut_at N3 share add "$WORK/N3/share" >/dev/null || fail "share add N3"
gnut_at N7 share add "$WORK/N7/share" >/dev/null || fail "share add N7"
for i in 0 1 2 3 4 5 6; do
	link "N$i" "N$((i + 1))"
done
for i in 1 2 3 4 5 6; do
	wait_until 20 has_peers "N$i" 2 || fail "N$i has $(peers_of N$i) links, want 2"
done
wait_until 30 has_shared N3 1 || fail "N3 did not index"
wait_until 30 has_shared N7 1 || fail "N7 did not index"
pass "chain of 8 linked"

gnut_at N0 search --timeout 4 --json chainfile >"$WORK/hits.json" || fail "search failed"
cat "$WORK/hits.json"
grep -q '"name" *: *"chainfile-near.txt"' "$WORK/hits.json" || fail "near file (3 links) not found"
grep -q 'chainfile-far' "$WORK/hits.json" && fail "far file (7 links) must be out of TTL reach"
pass "3 links away found, 7 links away not"
