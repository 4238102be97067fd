#!/usr/bin/env bash
# test-roles.sh: leaf and ultrapeer roles between real gnutd on loopback.
#  1. The negotiation matrix: dialers {auto, forced leaf, forced ultrapeer}
#     each dial acceptors {auto, forced leaf, forced ultrapeer}. A fresh
#     automatic servent is a leaf: a leaf dialing a leaf is refused with
#     "503 Shielded leaf node" (in both logs); a leaf dialing an ultrapeer is
#     its leaf; an ultrapeer dialing a leaf is the leaf's ultrapeer; two
#     ultrapeers link as ultrapeers.
#  2. Promotion: an automatic servent with --auto-uptime 3 becomes an
#     ultrapeer once a connection reached its listener (a leaf it had to
#     refuse), and the leaf then links to it; another one nobody reached
#     stays a firewalled leaf.
#  3. Leaf guidance: U (forced ultrapeer, --want-ultrapeers 1) has its one
#     ultrapeer link, so it answers X-Ultrapeer-Needed: False. G, an
#     automatic ultrapeer with one leaf, dials U, takes the guidance and
#     becomes U's leaf: its leaf is told Bye 203, its status says why. A
#     forced ultrapeer W dialing U ignores the guidance and links as an
#     ultrapeer.
#  4. Ultrapeers scarce: U2 (forced ultrapeer with a leaf, no ultrapeer link)
#     answers X-Ultrapeer-Needed: True; N, an automatic leaf of U2 that an
#     ultrapeer reached, becomes an ultrapeer for that reason.
. "$(dirname "$0")/lib.sh"

# mode_of NODE PORT: the mode NODE's link to the servent listening on PORT
# shows ("leaf", "ultrapeer"), empty without such a link.
mode_of() {
	gnut_at "$1" peers --json | grep "\"port\" *: *$2[,}]" | json_field mode
}

mode_is() {
	[ "$(mode_of "$1" "$2")" = "$3" ]
}

status_string() {
	gnut_at "$1" status --json | sed -n "s/.*\"$2\" *: *\"\([^\"]*\)\".*/\1/p"
}

string_is() {
	[ "$(status_string "$1" "$2")" = "$3" ]
}

log_has() {
	grep -q "$2" "$WORK/$1/gnutd.log"
}

# start NAME [options]: start_node with room for the many links loopback
# makes from one address, and no TLS (roles do not need it; a start without
# a certificate to make is quicker on a busy machine).
start() {
	start_node "$1" --max-links-per-ip 16 --reconnect-limit 0 --no-tls "${@:2}"
}

# ---- 1. the matrix ----
start XA
start XL --leaf
start XU --ultrapeer
peers=(--peer "127.0.0.1:$PORT_XA" --peer "127.0.0.1:$PORT_XL" --peer "127.0.0.1:$PORT_XU")
start DA "${peers[@]}"
start DL --leaf "${peers[@]}"
start DU --ultrapeer "${peers[@]}"
for n in XA DA; do
	string_is $n role auto || fail "$n: role $(status_string $n role), want auto"
	string_is $n mode leaf || fail "$n: an automatic servent starts as a leaf"
done
string_is XL role forced || fail "XL: role $(status_string XL role), want forced"
string_is XU role_reason "forced by --ultrapeer" || fail "XU: reason $(status_string XU role_reason)"

# leaf dialing leaf: refused, the reason in both logs
for d in DA DL; do
	for x in XA XL; do
		eval "px=\$PORT_$x"
		wait_until 20 log_has $d "handshake with 127.0.0.1:$px failed: peer refused: 503 Shielded leaf node" ||
			fail "$d -> $x: no 503 Shielded leaf node in $d's log"
	done
done
for x in XA XL; do
	[ "$(grep -c 'we refused: 503 Shielded leaf node' "$WORK/$x/gnutd.log")" -ge 2 ] ||
		fail "$x did not log refusing both leaves"
done
pass "auto and leaf dialing auto and leaf: 503 Shielded leaf node, both sides"

# leaf dialing ultrapeer: the ultrapeer's leaf
for d in DA DL; do
	eval "pd=\$PORT_$d"
	wait_until 20 mode_is $d "$PORT_XU" ultrapeer || fail "$d -> XU: no link to an ultrapeer"
	wait_until 20 mode_is XU "$pd" leaf || fail "$d -> XU: XU does not see $d as a leaf"
done
pass "auto and leaf dialing an ultrapeer: its leaves"

# ultrapeer dialing leaf and auto: their ultrapeer; ultrapeer dialing ultrapeer
for x in XA XL; do
	eval "px=\$PORT_$x"
	wait_until 20 mode_is DU "$px" leaf || fail "DU -> $x: DU does not see $x as a leaf"
	wait_until 20 mode_is $x "$PORT_DU" ultrapeer || fail "DU -> $x: $x does not see an ultrapeer"
done
wait_until 20 mode_is DU "$PORT_XU" ultrapeer || fail "DU -> XU: not an ultrapeer link"
wait_until 20 mode_is XU "$PORT_DU" ultrapeer || fail "DU -> XU: XU does not see an ultrapeer"
pass "an ultrapeer dialing auto, leaf, ultrapeer: leaf, leaf, ultrapeer links"
for n in XA DA XL DL; do
	string_is $n mode leaf || fail "$n changed its role"
done

# ---- 2. promotion ----
start P --auto-uptime 3 --auto-leaf-alone 1
start Q --auto-uptime 3 --auto-leaf-alone 1
start PL --leaf --peer "127.0.0.1:$PORT_P"
wait_until 20 log_has PL "peer refused: 503 Shielded leaf node" || fail "P did not refuse PL as a leaf"
wait_until 30 string_is P mode ultrapeer || fail "P was not promoted: $(status_string P role_reason)"
string_is P role auto || fail "P: role $(status_string P role)"
status_string P role_reason | grep -q "qualifies and no ultrapeer link" ||
	fail "P: role_reason $(status_string P role_reason)"
log_has P "role: leaf -> ultrapeer (auto): qualifies" || fail "P did not log its promotion"
field_is P tcp_firewalled false || fail "P says it is firewalled"
string_is Q mode leaf || fail "Q, which nobody reached, became $(status_string Q mode)"
field_is Q tcp_firewalled true || fail "Q is not firewalled"
gnut_at PL connect "127.0.0.1:$PORT_P" >/dev/null || fail "PL connect P"
wait_until 20 mode_is PL "$PORT_P" ultrapeer || fail "PL did not link to P the ultrapeer"
wait_until 20 mode_is P "$PORT_PL" leaf || fail "P does not see PL as its leaf"
pass "an automatic servent reached by a leaf became an ultrapeer after its uptime"

# ---- 3. leaf guidance ----
start V --ultrapeer
start U --ultrapeer --want-ultrapeers 1
link U V
wait_until 20 mode_is U "$PORT_V" ultrapeer || fail "U-V not up"
start G --auto-uptime 1 --auto-leaf-alone 1 --auto-hold 600
start GL --leaf --peer "127.0.0.1:$PORT_G"
wait_until 30 string_is G mode ultrapeer || fail "G was not promoted"
gnut_at GL connect "127.0.0.1:$PORT_G" >/dev/null || fail "GL connect G"
wait_until 20 mode_is G "$PORT_GL" leaf || fail "GL is not G's leaf"
link G U
wait_until 20 string_is G mode leaf || fail "G did not take U's leaf guidance"
status_string G role_reason | grep -q "leaf guidance from 127.0.0.1:$PORT_U" ||
	fail "G: role_reason $(status_string G role_reason)"
log_has G "role: ultrapeer -> leaf (auto): leaf guidance" || fail "G did not log its demotion"
wait_until 20 mode_is G "$PORT_U" ultrapeer || fail "G's link to U is not up"
wait_until 20 mode_is U "$PORT_G" leaf || fail "U does not see G as its leaf"
log_has U "took our leaf guidance" || fail "U did not log the guidance taken"
wait_until 20 log_has GL "peer said bye: 203 Becoming a leaf node" || fail "GL was not told Bye 203"
[ "$(peers_of G)" = 1 ] || fail "G kept $(peers_of G) links, want only U"
pass "an automatic ultrapeer took leaf guidance: U's leaf, its own leaf told Bye 203"

start W --ultrapeer
link W U
wait_until 20 mode_is U "$PORT_W" ultrapeer || fail "U does not see W as an ultrapeer"
wait_until 20 mode_is W "$PORT_U" ultrapeer || fail "W does not see U as an ultrapeer"
string_is W mode ultrapeer || fail "W changed its role"
pass "a forced ultrapeer ignores leaf guidance"

# ---- 4. X-Ultrapeer-Needed: True ----
start U2 --ultrapeer
start NL --leaf --peer "127.0.0.1:$PORT_U2"
wait_until 20 mode_is U2 "$PORT_NL" leaf || fail "NL is not U2's leaf"
start Z --ultrapeer
start N --auto-uptime 2 --auto-leaf-alone 600 --peer "127.0.0.1:$PORT_U2"
wait_until 20 mode_is N "$PORT_U2" ultrapeer || fail "N did not link to U2"
string_is N mode leaf || fail "N is not a leaf before anyone reached it"
link Z N
wait_until 20 mode_is N "$PORT_Z" ultrapeer || fail "Z did not link to N"
wait_until 30 string_is N mode ultrapeer || fail "N was not promoted: $(status_string N role_reason)"
status_string N role_reason | grep -q "an ultrapeer said X-Ultrapeer-Needed: True" ||
	fail "N: role_reason $(status_string N role_reason)"
wait_until 20 mode_is U2 "$PORT_N" ultrapeer || fail "N did not link to U2 again as an ultrapeer"
pass "a leaf told X-Ultrapeer-Needed: True by its ultrapeer became one"
