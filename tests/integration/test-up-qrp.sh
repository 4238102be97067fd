#!/usr/bin/env bash
# test-up-qrp.sh: ultrapeer query routing. Three ultrapeers in a line,
# A - B - C, four leaves each (A1..A4, B1..B4, C1..C4), each leaf sharing one
# file named for an animal of its own; C shares "mongoose" itself. The
# ultrapeers send each other their aggregate tables (their leaves' and their
# own share's keywords), and B relays a query of A's leaf to C on its last
# hop only when C's aggregate has the query's words. Queries from leaf A1
# reach exactly the leaves whose tables match: each servent's
# queries_received (`gnut status`) is 1 for those, 0 for the others, and C
# receives only the queries that something behind it can answer; a file
# a leaf adds later is in the tables after the next aggregate update.
. "$(dirname "$0")/lib.sh"

SLOTS=65536 # each table's size, as gnutd sends them
animals=(aardvark badger cheetah dingo emu ferret gazelle hyena ibex jackal koala lemur)
leaves=()

mkdir -p "$WORK/C-own"
echo "the ultrapeer's own file" >"$WORK/C-own/mongoose.txt"
# all on 127.0.0.1: the caps per address must let every leaf in
up_opts=(--ultrapeer --max-links-per-ip 8 --reconnect-limit 0)
start_node A "${up_opts[@]}"
start_node B "${up_opts[@]}"
start_node C "${up_opts[@]}" --share "$WORK/C-own"
i=0
for up in A B C; do
	for n in 1 2 3 4; do
		leaf=$up$n
		mkdir -p "$WORK/$leaf-files"
		echo "file of leaf $leaf" >"$WORK/$leaf-files/${animals[$i]}.txt"
		eval "port=\$PORT_$up"
		start_node "$leaf" --leaf --share "$WORK/$leaf-files" --peer "127.0.0.1:$port"
		leaves+=("$leaf")
		i=$((i + 1))
	done
done
for up in A B C; do
	wait_until 30 has_peers $up 4 || fail "$up has $(peers_of $up) links, want 4"
	wait_until 30 field_at_least $up qrp_slots_held $((4 * SLOTS)) ||
		fail "$up holds $(status_field $up qrp_slots_held) slots of leaves' tables"
done
for leaf in "${leaves[@]}"; do
	wait_until 30 has_shared "$leaf" 1 || fail "$leaf did not index its file"
done
wait_until 30 has_shared C 1 || fail "C did not index its file"
sleep 2 # the leaves' patches after indexing reach their ultrapeers
pass "three ultrapeers with four leaves each, tables sent"

# The ultrapeers link once their leaves' tables are in: each sends the other
# its aggregate when the link comes up.
link A B
link B C
wait_until 20 has_peers B 6 || fail "B has $(peers_of B) links, want 6"
wait_until 20 field_at_least B qrp_slots_held $((6 * SLOTS)) ||
	fail "B did not get A's and C's aggregate tables"
wait_until 20 field_at_least A qrp_slots_held $((5 * SLOTS)) || fail "A did not get B's table"
wait_until 20 field_at_least C qrp_slots_held $((5 * SLOTS)) || fail "C did not get B's table"
pass "the ultrapeers exchanged their aggregate tables"

# search WORD [FILE]: A1 searches WORD; FILE, when given, must be found.
search() {
	gnut_at A1 search --timeout 3 --json "$1" >"$WORK/hits-$1.json" || fail "search $1 failed"
	if [ $# -gt 1 ]; then
		grep -q "\"name\" *: *\"$2\"" "$WORK/hits-$1.json" || fail "$2 not found from A1"
	else
		[ ! -s "$WORK/hits-$1.json" ] || fail "hits for $1: $(cat "$WORK/hits-$1.json")"
	fi
}

search dingo dingo.txt                   # A4, behind A itself
search ferret ferret.txt                 # B2: C's aggregate misses it
[ "$(status_field C queries_received)" = 0 ] || fail "C received a query for B's leaf"
field_at_least B qrp_skipped_ultrapeers 1 || fail "B counted no last-hop skip"
search koala koala.txt                   # C3, two hops away
[ "$(status_field C queries_received)" = 1 ] || fail "C did not receive the koala query"
search mongoose mongoose.txt             # C's own share is in its aggregate
search zebra                             # nobody's
[ "$(status_field C queries_received)" = 2 ] ||
	fail "C received $(status_field C queries_received) queries, want 2 (koala, mongoose)"
pass "C received only the queries its aggregate table matches"

for leaf in "${leaves[@]}"; do
	case $leaf in
	A4 | B2 | C3) want=1 ;;
	*) want=0 ;;
	esac
	got=$(status_field "$leaf" queries_received)
	[ "$got" = "$want" ] || fail "$leaf received $got queries, want $want"
done
skipped=0
for up in A B C; do
	skipped=$((skipped + $(status_field $up qrp_skipped_leaves)))
done
echo "deliveries kept from leaves by their tables: $skipped; from C: $(status_field B qrp_skipped_ultrapeers)"
pass "each query reached exactly the leaves whose table matches it"

# A leaf's new file: its patch reaches C at once, C's aggregate patch
# reaches B at C's next update (at most 30 s after the last one), and from
# then on B relays queries for it to C. Searched from A2 until found.
mkdir -p "$WORK/C1-more"
echo "a new file of leaf C1" >"$WORK/C1-more/narwhal.txt"
gnut_at C1 share add "$WORK/C1-more" >/dev/null || fail "share add on C1"
wait_until 30 has_shared C1 2 || fail "C1 did not index its new file"
found=0
for _ in $(seq 1 12); do
	gnut_at A2 search --timeout 3 --json narwhal >"$WORK/hits-narwhal.json" || fail "search failed"
	grep -q '"name" *: *"narwhal.txt"' "$WORK/hits-narwhal.json" && found=1 && break
done
[ "$found" = 1 ] || fail "narwhal.txt never found: C's aggregate update did not reach B"
[ "$(status_field C1 queries_received)" = 1 ] ||
	fail "C1 received $(status_field C1 queries_received) queries, want 1 (narwhal)"
pass "a leaf's new file reached the other ultrapeers' tables by patches"
