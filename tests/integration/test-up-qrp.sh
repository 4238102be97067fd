#!/usr/bin/env bash
# test-up-qrp.sh: ultrapeer query routing. Four ultrapeers in a line,
# A - B - C - D, three leaves each (A1..A3, ..., D1..D3), each leaf sharing
# one file named for an animal of its own; D shares "mongoose" itself. The
# ultrapeers send each other their aggregate tables (their leaves' and their
# own share's keywords). A, with one ultrapeer link, sends its leaf's query
# to B with TTL 3 (dynamic querying: every link at once when there are 3 or
# fewer), B relays it to C with TTL 2, and C to D on its last hop (TTL 1)
# only when D's aggregate has the query's words. Queries from leaf A1 reach
# exactly the leaves whose tables match: each servent's queries_received
# (`gnut status`) is 1 for those, 0 for the others, and D receives only the
# queries that something behind it can answer; a file a leaf adds later is
# in the tables after the next aggregate update.
. "$(dirname "$0")/lib.sh"

SLOTS=65536 # each table's size, as gnutd sends them
animals=(aardvark badger cheetah dingo emu ferret gazelle hyena ibex jackal koala lemur)
leaves=()

mkdir -p "$WORK/D-own"
echo "the ultrapeer's own file" >"$WORK/D-own/mongoose.txt"
# all on 127.0.0.1: the caps per address must let every leaf in
up_opts=(--ultrapeer --max-links-per-ip 8 --reconnect-limit 0)
start_node A "${up_opts[@]}"
start_node B "${up_opts[@]}"
start_node C "${up_opts[@]}"
start_node D "${up_opts[@]}" --share "$WORK/D-own"
i=0
for up in A B C D; do
	for n in 1 2 3; do
		leaf=$up$n
		mkdir -p "$WORK/$leaf-files"
		echo "file of leaf $leaf" >"$WORK/$leaf-files/${animals[$i]}.txt"
		eval "port=\$PORT_$up"
		start_node "$leaf" --leaf --share "$WORK/$leaf-files" --peer "127.0.0.1:$port"
		leaves+=("$leaf")
		i=$((i + 1))
	done
done
for up in A B C D; do
	wait_until 30 has_peers $up 3 || fail "$up has $(peers_of $up) links, want 3"
	wait_until 30 field_at_least $up qrp_slots_held $((3 * SLOTS)) ||
		fail "$up holds $(status_field $up qrp_slots_held) slots of leaves' tables"
done
for leaf in "${leaves[@]}"; do
	wait_until 30 has_shared "$leaf" 1 || fail "$leaf did not index its file"
done
wait_until 30 has_shared D 1 || fail "D did not index its file"
sleep 2 # the leaves' patches after indexing reach their ultrapeers
pass "four ultrapeers with three leaves each, tables sent"

# The ultrapeers link once their leaves' tables are in: each sends the other
# its aggregate when the link comes up.
link A B
link B C
link C D
wait_until 20 has_peers B 5 || fail "B has $(peers_of B) links, want 5"
wait_until 20 has_peers C 5 || fail "C has $(peers_of C) links, want 5"
wait_until 20 field_at_least B qrp_slots_held $((5 * SLOTS)) ||
	fail "B did not get A's and C's aggregate tables"
wait_until 20 field_at_least C qrp_slots_held $((5 * SLOTS)) ||
	fail "C did not get B's and D's aggregate tables"
wait_until 20 field_at_least A qrp_slots_held $((4 * SLOTS)) || fail "A did not get B's table"
wait_until 20 field_at_least D qrp_slots_held $((4 * SLOTS)) || fail "D did not get C's table"
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

search cheetah cheetah.txt               # A3, behind A itself
search ferret ferret.txt                 # B3: D's aggregate misses it
search hyena hyena.txt                   # C2: D's aggregate misses it
[ "$(status_field D queries_received)" = 0 ] || fail "D received a query for B's or C's leaf"
field_at_least C qrp_skipped_ultrapeers 1 || fail "C counted no last-hop skip"
search koala koala.txt                   # D2, three ultrapeer hops away
[ "$(status_field D queries_received)" = 1 ] || fail "D did not receive the koala query"
search mongoose mongoose.txt             # D's own share is in its aggregate
search zebra                             # nobody's
[ "$(status_field D queries_received)" = 2 ] ||
	fail "D received $(status_field D queries_received) queries, want 2 (koala, mongoose)"
pass "D received only the queries its aggregate table matches"

for leaf in "${leaves[@]}"; do
	case $leaf in
	A3 | B3 | C2 | D2) want=1 ;;
	*) want=0 ;;
	esac
	got=$(status_field "$leaf" queries_received)
	[ "$got" = "$want" ] || fail "$leaf received $got queries, want $want"
done
skipped=0
for up in A B C D; do
	skipped=$((skipped + $(status_field $up qrp_skipped_leaves)))
done
echo "deliveries kept from leaves by their tables: $skipped; from D: $(status_field C qrp_skipped_ultrapeers)"
pass "each query reached exactly the leaves whose table matches it"

# A leaf's new file: its patch reaches D at once, D's aggregate patch
# reaches C at D's next update (at most 30 s after the last one), and from
# then on C relays queries for it to D. Searched from A2 until found.
mkdir -p "$WORK/D1-more"
echo "a new file of leaf D1" >"$WORK/D1-more/narwhal.txt"
gnut_at D1 share add "$WORK/D1-more" >/dev/null || fail "share add on D1"
wait_until 30 has_shared D1 2 || fail "D1 did not index its new file"
found=0
for _ in $(seq 1 12); do
	gnut_at A2 search --timeout 3 --json narwhal >"$WORK/hits-narwhal.json" || fail "search failed"
	grep -q '"name" *: *"narwhal.txt"' "$WORK/hits-narwhal.json" && found=1 && break
done
[ "$found" = 1 ] || fail "narwhal.txt never found: D's aggregate update did not reach C"
[ "$(status_field D1 queries_received)" = 1 ] ||
	fail "D1 received $(status_field D1 queries_received) queries, want 1 (narwhal)"
pass "a leaf's new file reached the other ultrapeers' tables by patches"
