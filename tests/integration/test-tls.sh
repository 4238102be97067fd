#!/usr/bin/env bash
# test-tls.sh: links and downloads over TLS between real servents. A dials
# B: the handshake offers Upgrade: TLS/1.0 and the link continues inside
# TLS on both sides; A finds B's file (B's hit carries GGEP TLS) and
# downloads it TLS-first, SHA-1 checked. C runs --no-tls: its link to B
# stays plain and it still downloads the same file in plain HTTP. Then B
# restarts on its port: A, which learnt that B speaks TLS, dials it in TLS
# from the first byte. Last, the host cache: D bootstraps with F (a fresh
# ultrapeer) as its UDP host cache; F's UDP pong carries GGEP TLS, so D's
# cache marks F as speaking TLS (`gnut hosts`), D dials F in TLS from the
# first byte and saves the mark in hosts.cache. E does the same with C (--no-tls): C's pong
# has no TLS, and E dials C in plain text.
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

# tls_of_host NAME PORT: the "tls" field of NAME's cached host on PORT.
tls_of_host() {
	gnut_at "$1" hosts --json | grep "\"port\" *: *$2[,}]" | json_field tls
}

start_node F --ultrapeer
BOOTSTRAP=1 start_node D --ultrapeer --uhc "127.0.0.1:$PORT_F"
wait_until 30 grep -q "dialing 127.0.0.1:$PORT_F" "$WORK/D/gnutd.log" || fail "D did not dial F"
[ "$(tls_of_host D "$PORT_F")" = true ] || fail "D's cache does not mark F as TLS: $(gnut_at D hosts)"
gnut_at D hosts | grep "127.0.0.1:$PORT_F " | grep -q ' tls ' || fail "the hosts table does not show tls"
grep -q "dialing 127.0.0.1:$PORT_F in TLS" "$WORK/D/gnutd.log" || fail "D did not dial F in TLS"
wait_until 20 has_peers D 1 || fail "D did not link"
all_links_tls D true || fail "D's link is not TLS: $(tls_of D)"
all_links_tls F true || fail "F's link from D is not TLS: $(tls_of F)"
kill "$(cat "$WORK/D/pid")"
wait "$(cat "$WORK/D/pid")" 2>/dev/null
grep -q "^127.0.0.1:$PORT_F .* tls$" "$WORK/D/data/hosts.cache" ||
	fail "D saved no TLS mark: $(cat "$WORK/D/data/hosts.cache")"
pass "D learned from F's UDP pong that F speaks TLS and dialed it in TLS from the first byte"

BOOTSTRAP=1 start_node E --ultrapeer --uhc "127.0.0.1:$PORT_C"
wait_until 30 grep -q "dialing 127.0.0.1:$PORT_C" "$WORK/E/gnutd.log" || fail "E did not dial C"
[ "$(tls_of_host E "$PORT_C")" = false ] || fail "E's cache marks C (--no-tls) as TLS"
! grep -q "dialing 127.0.0.1:$PORT_C in TLS" "$WORK/E/gnutd.log" || fail "E dialed C in TLS"
wait_until 20 has_peers E 1 || fail "E did not link to C"
all_links_tls E false || fail "E's link to C is not plain: $(tls_of E)"
pass "a --no-tls host cache's pong carries no TLS: E dials it in plain text"
