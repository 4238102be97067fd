#!/usr/bin/env bash
# test-magnet.sh: magnets from `gnut magnet` between real servents on
# loopback. A shares a file whose name needs escaping: `gnut magnet PATH`
# on A names its SHA-1 and Tiger root (a bitprint), the name, the size and
# A as exact source; B, linked to nobody, downloads it from that magnet
# alone (`gnut get MAGNET`), and the copy is the same. Then C, linked to A,
# searches: `gnut magnet --hit ID` of the hit names A too, and `gnut magnet
# ID` of B's download gives the same file. Errors: no such hit, download or
# file exit 3; a bad argument is a usage error; the control method refuses
# two targets at once.
. "$(dirname "$0")/lib.sh"

name='odd name & 100% [x].bin'
mkdir -p "$WORK/files"
head -c 700000 /dev/urandom >"$WORK/files/$name"
start_node A --ultrapeer --share "$WORK/files"
start_node B
wait_until 30 has_shared A 1 || fail "A did not index"

magnet=$(gnut_at A magnet "$WORK/files/$name") || fail "gnut magnet PATH"
sha1=$(gnut_at A shares --json | json_field urn | head -1)
case "$magnet" in
"magnet:?xt=urn:bitprint:${sha1#urn:sha1:}."*"&dn=odd%20name%20%26%20100%25%20%5Bx%5D.bin&xl=700000&xs=http://127.0.0.1:${PORT_A}/uri-res/N2R?${sha1}") ;;
*) fail "magnet of the shared file: $magnet" ;;
esac
gnut_at A magnet --json "$WORK/files/$name" | grep -q '^{"magnet":"magnet:?xt=' || fail "--json"
(cd "$WORK/files" && "$GNUT" --data-dir "$WORK/A/data" magnet "./$name") | grep -qF "$magnet" ||
	fail "a relative path is not taken from the working folder"
pass "magnet of a shared file"

mkdir -p "$WORK/got"
gnut_at B get --wait --to "$WORK/got" "$magnet" >/dev/null || fail "B: get MAGNET failed"
cmp -s "$WORK/files/$name" "$WORK/got/$name" || fail "B's copy differs"
pass "the magnet alone downloads the file (round trip)"

dl=$(gnut_at B downloads --json | json_field id | head -1)
dmagnet=$(gnut_at B magnet "$dl") || fail "magnet of B's download"
case "$dmagnet" in
"magnet:?xt=${sha1}&dn=odd%20name%20%26%20100%25%20%5Bx%5D.bin&xl=700000&xs=http://127.0.0.1:${PORT_A}/"*) ;;
*) fail "magnet of the download: $dmagnet" ;;
esac
pass "magnet of a download names its source"

start_node C
link C A
wait_until 20 has_peers C 1 || fail "C did not link to A"
gnut_at C search --timeout 3 --json "odd" >"$WORK/hits.json" || fail "C: search"
hit=$(json_field id <"$WORK/hits.json" | head -1)
[ -n "$hit" ] || fail "C found no hit"
hmagnet=$(gnut_at C magnet --hit "$hit") || fail "magnet of a hit"
case "$hmagnet" in
"magnet:?xt=${sha1}&dn=odd%20name%20%26%20100%25%20%5Bx%5D.bin&xl=700000&xs=http://127.0.0.1:${PORT_A}/uri-res/N2R?${sha1}") ;;
*) fail "magnet of the hit: $hmagnet" ;;
esac
pass "magnet of a hit"

gnut_at C magnet --hit 999999 >/dev/null 2>&1
[ $? -eq 3 ] || fail "no such hit: not exit 3"
gnut_at C magnet 999999 >/dev/null 2>&1
[ $? -eq 3 ] || fail "no such download: not exit 3"
gnut_at A magnet "$WORK/nothing/here" >/dev/null 2>&1
[ $? -eq 3 ] || fail "no such shared file: not exit 3"
gnut_at A magnet "not-an-id" >/dev/null 2>&1
[ $? -eq 2 ] || fail "a bad argument: not a usage error"
curl -sS -m 10 -H "Authorization: Bearer $(cat "$WORK/A/data/control.token")" \
	-d '{"method":"magnet","params":{"hit":1,"download":1}}' \
	"$(cat "$WORK/A/data/control.url")/rpc" | grep -q '"code":"invalid_params"' ||
	fail "two targets at once were not refused"
pass "errors"
