#!/usr/bin/env bash
# test-tree-corrupt.sh: a source serving corrupted bytes, caught by the
# Tiger tree, with real gnutd processes on loopback. S1 and S2 share the
# same 8 MiB file; once S1 has hashed it (and serves X-Thex-URI with its
# root), S1's copy is overwritten in place from 1 MiB on, its mtime kept so
# that S1 does not hash it again: S1 now serves bytes its tree does not
# match. D downloads from both: the tree catches S1's bad chunk, the bad
# slices come again from S2, the file is right, S1 is dropped (gnut
# sources) and named to S2 in X-Nalt (S2's debug log).
. "$(dirname "$0")/lib.sh"

MIB=1048576

# head_of PORT TARGET: the reply head of a HEAD request (bash's /dev/tcp).
head_of() {
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf 'HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
	timeout 10 cat <&3
	exec 3<&-
}

mkdir -p "$WORK/fa" "$WORK/fb"
head -c $((8 * MIB)) /dev/urandom >"$WORK/fa/treefile.bin"
cp -p "$WORK/fa/treefile.bin" "$WORK/fb/treefile.bin"
cp -p "$WORK/fa/treefile.bin" "$WORK/original.bin"
start_node S1 --ultrapeer --upload-limit 1M --share "$WORK/fa"
start_node S2 --ultrapeer --upload-limit 1M --verbose --share "$WORK/fb"
start_node D --ultrapeer
two_sources_found D S1 S2 treefile "$WORK/hits.json"
[ "$(grep -c '"name" *: *"treefile.bin"' "$WORK/hits.json")" -eq 2 ] || fail "want 2 hits"
urn=$(json_field urn <"$WORK/hits.json" | head -1)
[ -n "$urn" ] || fail "no urn in the hits: $(cat "$WORK/hits.json")"
head_of "$PORT_S1" "/uri-res/N2R?$urn" >"$WORK/s1-head.txt"
grep -qi '^X-Thex-URI: /' "$WORK/s1-head.txt" || fail "S1 offers no tree: $(cat "$WORK/s1-head.txt")"
pass "S1 hashed the file and offers its tree"

# the file changes on disk after hashing, its size and mtime kept
touch -r "$WORK/fa/treefile.bin" "$WORK/stamp"
# (every chunk but the first: whichever chunks S1 is given, it serves bad ones)
head -c $((7 * MIB)) /dev/urandom |
	dd of="$WORK/fa/treefile.bin" bs=65536 seek=16 conv=notrunc status=none
touch -r "$WORK/stamp" "$WORK/fa/treefile.bin"
cmp -s "$WORK/fa/treefile.bin" "$WORK/original.bin" && fail "the corruption did not happen"

hit=$(json_field id <"$WORK/hits.json" | head -1)
mkdir -p "$WORK/got"
gnut_at D get --to "$WORK/got" "$hit" >/dev/null || fail "get failed"
id=$(dl_field D id)
wait_until 180 state_is D complete || fail "not complete: $(gnut_at D downloads)"
cmp "$WORK/original.bin" "$WORK/got/treefile.bin" || fail "downloaded file differs"
pass "the download completed with the right bytes"

grep -q "failed the Tiger tree" "$WORK/D/gnutd.log" ||
	fail "D did not report a bad range: $(tail -20 "$WORK/D/gnutd.log")"
gnut_at D sources "$id" --json >"$WORK/sources.json"
grep "\"port\" *: *$PORT_S1[,}]" "$WORK/sources.json" | grep -q '"state" *: *"dropped"' ||
	fail "S1 not dropped: $(cat "$WORK/sources.json")"
grep "\"port\" *: *$PORT_S2[,}]" "$WORK/sources.json" | grep -q '"state" *: *"dropped"' &&
	fail "S2 dropped: $(cat "$WORK/sources.json")"
pass "the bad range was caught by the tree and S1 dropped, S2 kept"

grep -Eq "X-Nalt: bad sources of treefile.bin: (tls=[0-9a-f]+, )?127.0.0.1:$PORT_S1" "$WORK/S2/gnutd.log" ||
	fail "S2 was not told of S1 in X-Nalt: $(grep -c X-Nalt "$WORK/S2/gnutd.log")"
pass "S1 announced as bad to S2 in X-Nalt"
sent1=$(status_field S1 bytes_up)
sent2=$(status_field S2 bytes_up)
echo "file $((8 * MIB)) bytes; S1 (corrupt) sent $sent1, S2 sent $sent2"
