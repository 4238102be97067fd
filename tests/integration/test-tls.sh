#!/usr/bin/env bash
# test-tls.sh: links and downloads over TLS between real servents. A dials
# B: the handshake offers Upgrade: TLS/1.0 and the link continues inside
# TLS on both sides; A finds B's file (B's hit carries GGEP TLS) and
# downloads it TLS-first, SHA-1 checked. C runs --no-tls: its link to B
# stays plain and it still downloads the same file in plain HTTP. Then B
# restarts on its port: A, which learnt that B speaks TLS, dials it in TLS
# from the first byte.
. "$(dirname "$0")/lib.sh"

# tls_of NAME: the "tls" field of each of NAME's links, one a line.
tls_of() {
	gnut_at "$1" peers --json | json_field tls
}

all_links_tls() {
	[ "$(tls_of "$1" | sort -u)" = "$2" ]
}

mkdir -p "$WORK/bshare"
head -c 900000 /dev/urandom >"$WORK/bshare/secret-plans.bin"
start_node A --ultrapeer
start_node B --ultrapeer --verbose --share "$WORK/bshare"
start_node C --ultrapeer --no-tls
wait_until 30 has_shared B 1 || fail "B did not index"
[ "$(stat -c %a "$WORK/B/data/tls-identity.pem")" = 600 ] || fail "B's certificate not 0600"
[ ! -e "$WORK/C/data/tls-identity.pem" ] || fail "C made a certificate under --no-tls"

link A B
wait_until 20 has_peers A 1 || fail "A has no link"
wait_until 20 has_peers B 1 || fail "B has no link"
all_links_tls A true || fail "A's link is not TLS: $(tls_of A)"
all_links_tls B true || fail "B's link is not TLS: $(tls_of B)"
gnut_at A peers | grep -q ' tls ' || fail "the peers table does not show tls"
pass "A and B linked inside TLS (Upgrade: TLS/1.0)"

search_and_get A secret-plans secret-plans.bin
[ "$(sha1sum <"$WORK/bshare/secret-plans.bin")" = "$(sha1sum <"$WORK/got-A/secret-plans.bin")" ] ||
	fail "downloaded file differs"
# B logs each reply it serves, marked (TLS) when over TLS.
grep -q '" 20[06] [0-9]* (TLS)$' "$WORK/B/gnutd.log" || fail "B did not serve the file over TLS"
pass "downloaded from B over TLS, SHA-1 checked"

link C B
wait_until 20 has_peers C 1 || fail "C has no link"
wait_until 20 has_peers B 2 || fail "B does not see C"
all_links_tls C false || fail "C's link is not plain: $(tls_of C)"
[ "$(tls_of B | sort | tr '\n' ' ')" = "false true " ] || fail "B's links: $(tls_of B)"
search_and_get C secret-plans secret-plans.bin
cmp "$WORK/bshare/secret-plans.bin" "$WORK/got-C/secret-plans.bin" || fail "C's copy differs"
grep -q '" 20[06] [0-9]*$' "$WORK/B/gnutd.log" || fail "B did not serve C in plain text"
pass "a --no-tls servent links and downloads in plain text"

kill "$(cat "$WORK/B/pid")"
wait_until 20 has_peers A 0 && [ "$(peers_of A)" = 0 ] || fail "A still linked to B"
start_node B2 --ultrapeer --listen "127.0.0.1:$PORT_B"
wait_until 30 has_peers A 1 || fail "A did not link to B again"
grep -q "dialing 127.0.0.1:$PORT_B in TLS" "$WORK/A/gnutd.log" || fail "A did not dial B in TLS"
all_links_tls A true || fail "A's new link is not TLS: $(tls_of A)"
tls_of B2 | grep -q true || fail "B's link from A is not TLS: $(tls_of B2)" # C's is plain
pass "A dialed B again in TLS from the first byte"
