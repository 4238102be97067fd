#!/usr/bin/env bash
# test-oob.sh: out-of-band query hits between real daemons on loopback.
# Chain A-B-C, C shares a file. Fresh servents start firewalled both ways;
# an unsolicited datagram makes A reachable over UDP, so A's query asks for
# OOB hits: C (two links away) holds its hits, sends A a LIME/12, A claims
# them with a token (LIME/11), and C sends the hits over UDP, which A takes
# and downloads from. D, linked to B but never sent a datagram, stays
# UDP-firewalled: its query asks for nothing out of band and its hits come
# over TCP. A forged UDP hit nobody claimed is dropped.
. "$(dirname "$0")/lib.sh"

field_is() {
	[ "$(status_field "$1" "$2")" = "$3" ]
}

# send_datagram PORT FORMAT: the bytes printf makes of FORMAT as one
# datagram to PORT (printf itself may write them in pieces: cat does not).
send_datagram() {
	printf "$2" >"$WORK/datagram"
	cat "$WORK/datagram" >"/dev/udp/127.0.0.1/$1"
}

# udp_ping PORT: an unsolicited Gnutella ping (TTL 1, no payload) to PORT.
udp_ping() {
	send_datagram "$1" '\x01\x02\x03\x04\x05\x06\x07\x08\xff\x0a\x0b\x0c\x0d\x0e\x0f\x00\x00\x01\x00\x00\x00\x00\x00'
}

# forged_hit PORT: a well-formed one-result query hit for a GUID nobody
# claimed, from the shell's socket.
forged_hit() {
	local header='\x11\x22\x33\x44\x55\x66\x77\x88\xff\x99\xaa\xbb\xcc\xdd\xee\x00\x81\x01\x00\x2d\x00\x00\x00'
	local head='\x01\xca\x18\x7f\x00\x00\x01\x64\x00\x00\x00'
	local result='\x01\x00\x00\x00\x05\x00\x00\x00x\x00\x00'
	local trailer='GNTU\x02\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10'
	send_datagram "$1" "$header$head$result$trailer"
}

start_node A --ultrapeer
start_node B --ultrapeer
start_node C --ultrapeer
start_node D --ultrapeer
head -c 300000 /dev/urandom >"$WORK/C/share/out-of-band.bin"
gnut_at C share add "$WORK/C/share" >/dev/null || fail "share add C"
field_is A tcp_firewalled true || fail "a fresh servent must start TCP-firewalled"
field_is A udp_firewalled true || fail "a fresh servent must start UDP-firewalled"
link A B
link B C
link D B
wait_until 20 has_peers B 3 || fail "B has $(peers_of B) links, want 3"
wait_until 30 has_shared C 1 || fail "C did not index"
wait_until 10 field_is B tcp_firewalled false || fail "B accepted links yet is TCP-firewalled"
field_is A tcp_firewalled true || fail "A only dialed out yet is not TCP-firewalled"
pass "A-B-C linked, D on B; TCP firewall detection by incoming links"

eval "port_a=\$PORT_A"
udp_ping "$port_a"
wait_until 10 field_is A udp_firewalled false || fail "A got an unsolicited ping yet is UDP-firewalled"
field_is D udp_firewalled true || fail "D got no datagram yet is not UDP-firewalled"
pass "UDP firewall detection by an unsolicited datagram"

gnut_at A search --timeout 4 --json out-of-band >"$WORK/hits.json" || fail "search from A failed"
grep -q '"name" *: *"out-of-band.bin"' "$WORK/hits.json" || fail "A got no hit"
field_at_least C oob_offers_sent 1 || fail "C offered nothing out of band"
field_at_least A oob_claims_sent 1 || fail "A claimed nothing"
field_at_least C oob_hits_sent 1 || fail "C sent no hit over UDP"
field_at_least A oob_hits_received 1 || fail "A took no hit over UDP"
hit=$(json_field id <"$WORK/hits.json" | head -1)
mkdir -p "$WORK/got"
gnut_at A get --wait --to "$WORK/got" "$hit" >/dev/null || fail "download of the OOB hit failed"
cmp "$WORK/C/share/out-of-band.bin" "$WORK/got/out-of-band.bin" || fail "downloaded file differs"
pass "hits delivered out of band (LIME/12, LIME/11 with token, UDP hits), file downloaded"

gnut_at D search --timeout 4 --json out-of-band >"$WORK/hits-d.json" || fail "search from D failed"
grep -q '"name" *: *"out-of-band.bin"' "$WORK/hits-d.json" || fail "D got no hit over TCP"
field_is D oob_claims_sent 0 || fail "a UDP-firewalled querier claimed OOB hits"
field_is C oob_offers_sent 1 || fail "C offered OOB hits to a UDP-firewalled querier"
pass "a UDP-firewalled querier gets its hits over TCP"

before=$(status_field A oob_hits_dropped)
forged_hit "$port_a"
wait_until 5 field_at_least A oob_hits_dropped $((before + 1)) || fail "a forged UDP hit was not dropped"
pass "an unclaimed UDP hit is dropped"
