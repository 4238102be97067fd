#!/usr/bin/env bash
# test-push-proxy.sh: a download from a firewalled leaf through its push
# proxy. The leaf L (--firewalled) asks its ultrapeer U for proxying (LIME/21)
# and U acknowledges (LIME/22), so L's hits carry GGEP PUSH naming U. The
# downloader D, an ultrapeer linked to V, itself linked to U (a routed Push
# would also find L), asks U over HTTP; U sends L a Push over its link, L
# connects to D and says GIV, and D fetches the file, SHA-1 checked. U's
# push_proxy_pushes and D's push_proxy_used prove the proxy did it.
. "$(dirname "$0")/lib.sh"

start_node U --ultrapeer
start_node V --ultrapeer --peer "127.0.0.1:$PORT_U"
start_node D --ultrapeer --peer "127.0.0.1:$PORT_V"
mkdir -p "$WORK/lshare"
head -c 500000 /dev/urandom >"$WORK/lshare/proxied-file.bin"
G_MESSAGES_DEBUG=all start_node L --leaf --firewalled --share "$WORK/lshare" \
	--peer "127.0.0.1:$PORT_U"
wait_until 20 has_peers U 2 || fail "U has $(peers_of U) links, want 2"
wait_until 20 has_peers V 2 || fail "V has $(peers_of V) links, want 2"
wait_until 30 has_shared L 1 || fail "L did not index"
wait_until 20 field_is L push_proxies 1 || fail "L has no push proxy: $(status_field L push_proxies)"
field_is U push_proxy_pushes 0 || fail "U pushed before any request"
sleep 1 # let L's table reach U
pass "firewalled leaf L has U as push proxy"

search_and_get D proxied-file proxied-file.bin
cmp "$WORK/lshare/proxied-file.bin" "$WORK/got-D/proxied-file.bin" || fail "downloaded file differs"
field_at_least U push_proxy_requests 1 || fail "U got no push-proxy request"
field_at_least U push_proxy_pushes 1 || fail "U relayed no push"
field_at_least D push_proxy_used 1 || fail "D did not push by the proxy"
grep -q 'push for "": connecting back to 127.0.0.1' "$WORK/L/gnutd.log" ||
	fail "L never answered the proxy's push"
pass "downloaded from the firewalled leaf through its push proxy"
