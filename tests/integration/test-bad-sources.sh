#!/usr/bin/env bash
# test-bad-sources.sh: a download from one good source (a gnutd) and three
# that break HTTP (bad-source: a body cut short, a Content-Range outside the
# range asked, a Content-Length that does not match), all given as a
# magnet's exact sources (xs). The download fetches from all four at once,
# backs off from the bad ones, completes from the good one with the right
# SHA-1, and `gnut sources` says what each bad one did.
. "$(dirname "$0")/lib.sh"

BAD_SOURCE=${BAD_SOURCE:-$builddir/tests/integration/bad-source}
MIB=1048576

served() {
	[ "$(cat "$WORK/$1.count" 2>/dev/null || echo 0)" -ge 1 ]
}

mkdir -p "$WORK/files"
head -c $((6 * MIB)) /dev/urandom >"$WORK/files/mixed.bin"
start_node G --ultrapeer --upload-limit 1M --share "$WORK/files"
wait_until 30 has_shared G 1 || fail "G did not index"
urn=$(gnut_at G shares --json | json_field urn | head -1)

xs="xs=http://127.0.0.1:$PORT_G/"
for mode in short wrong-range wrong-length; do
	"$BAD_SOURCE" "$mode" "$WORK/files/mixed.bin" "$WORK/$mode.port" "$WORK/$mode.count" &
	DAEMONS+=($!)
	wait_until 5 test -s "$WORK/$mode.port" || fail "bad-source $mode did not start"
	xs="$xs&xs=http://127.0.0.1:$(cat "$WORK/$mode.port")/"
done
start_node D --ultrapeer
mkdir -p "$WORK/got"
magnet="magnet:?xt=$urn&dn=mixed.bin&xl=$((6 * MIB))&$xs"
gnut_at D get --to "$WORK/got" "$magnet" >/dev/null || fail "get failed"
id=$(dl_field D id)
for mode in short wrong-range wrong-length; do
	wait_until 30 served "$mode" || fail "bad-source $mode was never asked"
done
pass "the three bad sources were asked"
wait_until 120 state_is D complete || fail "not complete: $(gnut_at D downloads)"
cmp "$WORK/files/mixed.bin" "$WORK/got/mixed.bin" || fail "downloaded file differs"
pass "completed from the good source, file right"

gnut_at D sources "$id" --json >"$WORK/sources.json"
cat "$WORK/sources.json"
check_error() {
	grep "\"port\" *: *$(cat "$WORK/$1.port")" "$WORK/sources.json" | grep -q "$2" ||
		fail "bad-source $1: no error \"$2\" in $(cat "$WORK/sources.json")"
}
check_error short "connection lost"
check_error wrong-range "Content-Range outside the range asked"
check_error wrong-length "Content-Length does not match"
pass "each bad source's error is in gnut sources"
