#!/usr/bin/env bash
# test-push.sh: a download from a firewalled servent. F runs --firewalled, so
# its hits carry the push flag; A's download sends a PUSH along the path the
# hit came (A-B-F), F connects to A and says GIV, and A fetches the file over
# that connection, SHA-1 checked.
. "$(dirname "$0")/lib.sh"

start_node A --ultrapeer
start_node B --ultrapeer
mkdir -p "$WORK/fshare"
head -c 700000 /dev/urandom >"$WORK/fshare/behind-nat.bin"
start_node F --ultrapeer --firewalled --share "$WORK/fshare"
link A B
link F B
wait_until 20 has_peers B 2 || fail "B has $(peers_of B) links, want 2"
wait_until 30 has_shared F 1 || fail "F did not index"
pass "A and F linked through B; F is firewalled"

search_and_get A behind-nat behind-nat.bin
cmp "$WORK/fshare/behind-nat.bin" "$WORK/got-A/behind-nat.bin" || fail "downloaded file differs"
grep -q 'push for "behind-nat.bin": connecting back to 127.0.0.1' "$WORK/F/gnutd.log" ||
	fail "F never answered a push"
pass "downloaded from the firewalled servent by push"
