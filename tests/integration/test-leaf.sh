#!/usr/bin/env bash
# test-leaf.sh: leaves behind an ultrapeer U, itself linked to the ultrapeer
# V. Leaves L1 and L2 link to U (--leaf --peer U); L1 sends U its query
# routing table. A search from L2 reaches L1 through U (the table has the
# keyword) and the file is downloaded; L1's table has no "zebra", so U keeps
# that query from L1. A search from L2 for a file of V crosses U by dynamic
# querying. U and L1 log at debug level.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/vshare"
echo "behind the ultrapeer mesh" >"$WORK/vshare/dqfile.txt"
start_node V --ultrapeer --share "$WORK/vshare"
G_MESSAGES_DEBUG=all start_node U --ultrapeer --peer "127.0.0.1:$PORT_V"
echo "leaf document" >"$WORK/l1-doc.txt"
mkdir -p "$WORK/l1share"
cp "$WORK/l1-doc.txt" "$WORK/l1share/leafdoc.txt"
G_MESSAGES_DEBUG=all start_node L1 --leaf --share "$WORK/l1share" --peer "127.0.0.1:$PORT_U"
start_node L2 --leaf --peer "127.0.0.1:$PORT_U"
wait_until 20 has_peers U 3 || fail "U has $(peers_of U) links, want 3"
gnut_at U peers --json | grep -q '"mode" *: *"leaf"' || fail "U does not see leaves"
wait_until 30 has_shared L1 1 || fail "L1 did not index"
sleep 1 # let L1's table reach U
gnut_at L2 status --json | grep -q '"mode" *: *"leaf"' || fail "L2 is not a leaf"
pass "two leaves behind an ultrapeer"

gnut_at L2 search --timeout 3 --json leafdoc >"$WORK/hits.json" || fail "search failed"
cat "$WORK/hits.json"
grep -q '"name" *: *"leafdoc.txt"' "$WORK/hits.json" || fail "leafdoc.txt not found through U"
hit=$(json_field id <"$WORK/hits.json" | head -1)
mkdir -p "$WORK/got"
gnut_at L2 get --wait --to "$WORK/got" "$hit" >/dev/null || fail "get failed"
cmp "$WORK/l1-doc.txt" "$WORK/got/leafdoc.txt" || fail "downloaded file differs"
pass "search and download through the ultrapeer"

gnut_at L2 search --timeout 2 --json zebra >"$WORK/none.json" || fail "search failed"
[ ! -s "$WORK/none.json" ] || fail "unexpected hits: $(cat "$WORK/none.json")"
# L1 logs (at debug level) each query it answers: only leafdoc reached it.
answered=$(grep -c "query answered" "$WORK/L1/gnutd.log")
[ "$answered" -eq 1 ] || fail "L1 saw $answered queries, want 1 (zebra must be filtered by U)"
pass "the ultrapeer kept a query that misses the leaf's table from it"

# A leaf's query crosses U to V by dynamic querying (U's probe step).
gnut_at L2 search --timeout 3 --json dqfile >"$WORK/dq.json" || fail "search failed"
grep -q '"name" *: *"dqfile.txt"' "$WORK/dq.json" || fail "dqfile.txt on V not found from leaf L2"
grep -q "dynamic query finished" "$WORK/U/gnutd.log" || fail "U ran no dynamic query"
pass "a leaf's query reached the ultrapeer mesh by dynamic querying"
