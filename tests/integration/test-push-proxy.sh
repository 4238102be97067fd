#!/usr/bin/env bash
# test-push-proxy.sh: a download from a firewalled leaf through its push
# proxy. The leaf L (--firewalled) asks its ultrapeer U for proxying (LIME/21)
# and U acknowledges (LIME/22), so L's hits carry GGEP PUSH naming U. The
# downloader D, an ultrapeer linked to V, itself linked to U (a routed Push
# would also find L), asks U over HTTP; U sends L a Push over its link, L
# connects to D and says GIV, and D fetches the file, SHA-1 checked. U's
# push_proxy_pushes and D's push_proxy_used prove the proxy did it. Then U
# answers bad requests: 410 for a leaf it does not proxy, 400 for an X-Node
# that is not the requester's or a bad GUID, and 429 once one address made
# 10 requests within a minute.
. "$(dirname "$0")/lib.sh"

# U takes the requests of the last part many a second from 127.0.0.1
start_node U --ultrapeer --reconnect-limit=0
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

# proxy_status TARGET X-NODE: the status U answers a push-proxy request.
proxy_status() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT_U" || return 1
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Node: %s\r\nConnection: close\r\n\r\n' \
		"$1" "$2" >&3
	local line=""
	read -r -t 10 line <&3
	exec 3<&-
	echo "$line" | cut -d' ' -f2
}

nobody=/gnutella/push-proxy?ServerId=AAAAAAAAAAAAAAAAAAAAAAAAAA
[ "$(proxy_status "$nobody" 127.0.0.1:6348)" = 410 ] || fail "U proxied a leaf it has not"
[ "$(proxy_status "$nobody" 10.0.0.1:6348)" = 400 ] || fail "U took an X-Node not the requester's"
code=$(proxy_status /gnet/push-proxy?guid=00 127.0.0.1:6348)
[ "$code" = 400 ] || fail "U took a bad GUID: $code"
codes=""
for _ in $(seq 1 12); do
	code=$(proxy_status "$nobody" 127.0.0.1:6348)
	codes="$codes $code"
	[ "$code" = 429 ] && break
done
case "$codes" in
*" 410 429") ;;
*) fail "requests from one address were not capped: $codes" ;;
esac
field_at_least U peers 1 || fail "U stopped answering"
pass "U refuses unknown leaves, foreign X-Node addresses and request floods"
