#!/usr/bin/env bash
# test-mesh.sh: the seed scenario. Six gnutd on loopback linked as a ring with
# a chord (A-B-C-D-E-F-A and A-D). C and E share image.png. A search from A
# finds it on both, each hit once although the query reached C by two paths
# (A-B-C and A-D-C), and `gnut get --wait` downloads it with its SHA-1 checked.
. "$(dirname "$0")/lib.sh"

for n in A B C D E F; do
	start_node "$n" --ultrapeer
done
head -c 3145728 /dev/urandom >"$WORK/image.png"
cp "$WORK/image.png" "$WORK/C/share/image.png"
cp "$WORK/image.png" "$WORK/E/share/image.png"
echo "not it" >"$WORK/E/share/other.txt"
gnut_at C share add "$WORK/C/share" >/dev/null || fail "share add C"
gnut_at E share add "$WORK/E/share" >/dev/null || fail "share add E"

link A B; link B C; link C D; link D E; link E F; link F A; link A D
wait_until 20 has_peers A 3 || fail "A has $(peers_of A) links, want 3"
for n in B C E F; do
	wait_until 20 has_peers $n 2 || fail "$n has $(peers_of $n) links, want 2"
done
wait_until 20 has_peers D 3 || fail "D has $(peers_of D) links, want 3"
wait_until 30 has_shared C 1 || fail "C did not index its share"
wait_until 30 has_shared E 2 || fail "E did not index its share"
pass "six servents linked, shares indexed"

gnut_at A search --timeout 4 --json image.png >"$WORK/hits.json" || fail "search failed"
cat "$WORK/hits.json"
[ "$(grep -c '"name" *: *"image.png"' "$WORK/hits.json")" -eq 2 ] ||
	fail "want exactly 2 hits for image.png (C and E), got: $(cat "$WORK/hits.json")"
ports=$(json_field port <"$WORK/hits.json" | sort -n | tr '\n' ' ')
want=$(printf '%s\n' "$PORT_C" "$PORT_E" | sort -n | tr '\n' ' ')
[ "$ports" = "$want" ] || fail "hits come from ports $ports, want $want"
grep -q other.txt "$WORK/hits.json" && fail "other.txt must not match image.png"
pass "image.png found on C and E, each once"

hit=$(json_field id <"$WORK/hits.json" | head -1)
mkdir -p "$WORK/got"
gnut_at A get --wait --to "$WORK/got" "$hit" || fail "get --wait failed"
cmp "$WORK/image.png" "$WORK/got/image.png" || fail "downloaded file differs"
gnut_at A downloads --json | grep -q '"state" *: *"complete"' || fail "download not complete"
pass "image.png downloaded and verified ($(stat -c %s "$WORK/got/image.png") bytes)"

# F never searched: a get by URN alone sends a search for it and waits for a
# source, then downloads.
urn=$(json_field urn <"$WORK/hits.json" | head -1)
mkdir -p "$WORK/got-f"
gnut_at F get --wait --to "$WORK/got-f" "$urn" >/dev/null || fail "get $urn from F failed"
cmp "$WORK/image.png" "$WORK/got-f/image.png" || fail "F's download differs"
pass "a get by URN alone found sources and downloaded"

# B never searched either: a magnet with dn and xl starts a download at once,
# which waits for the sources its URN search finds.
magnet="magnet:?xt=$urn&dn=image.png&xl=3145728"
mkdir -p "$WORK/got-b"
gnut_at B get --wait --to "$WORK/got-b" "$magnet" >/dev/null || fail "get $magnet from B failed"
cmp "$WORK/image.png" "$WORK/got-b/image.png" || fail "B's download differs"
pass "a magnet download found its sources and completed"
