#!/usr/bin/env bash
# test-gnut-cli.sh: gnut for people and scripts, against two real gnutd. A
# name and an address of one servent link once (localhost:P, 127.0.0.1:P);
# disconnect drops the link; exit statuses are distinct (0 ok, 2 usage, 3
# not found, 4 daemon unreachable) and with --json an error is a JSON
# object; share remove; token and token --rotate; remote names with escape
# codes reach the terminal stripped; sizes use plain ASCII spaces; /metrics
# counts the link, the queries B answered and the hits A received; search
# --max N stops at N hits; colours only on a terminal (--color, NO_COLOR,
# TERM=dumb), never in piped output or --json.
. "$(dirname "$0")/lib.sh"

start_node A --ultrapeer
start_node B --ultrapeer
esc=$(printf '\033')
printf 'evil\n' >"$WORK/B/share/evil${esc}[31mred.txt"
head -c 5000 /dev/urandom >"$WORK/B/share/figures.bin"
gnut_at B share add "$WORK/B/share" >/dev/null || fail "share add B"
wait_until 30 has_shared B 2 || fail "B did not index its share"

# status: $? of a command, without set -e
status_of() {
	"$@" >"$WORK/out" 2>"$WORK/err"
	echo $?
}

out=$(gnut_at A connect "localhost:$PORT_B") || fail "connect localhost"
[ "$out" = "connecting to 127.0.0.1:$PORT_B" ] || fail "localhost not resolved: $out"
wait_until 20 has_peers A 1 || fail "A did not link to B"
gnut_at A connect "127.0.0.1:$PORT_B" >/dev/null || fail "second connect"
wait_until 20 grep -q "already linked to 127.0.0.1:$PORT_B" "$WORK/A/gnutd.log" ||
	fail "the second connect was not recognised as the same servent"
[ "$(peers_of A)" -eq 1 ] || fail "A has $(peers_of A) links to B, want 1"
pass "localhost:P and 127.0.0.1:P are one servent"

# remote text: the escape code never reaches the terminal, JSON keeps it
gnut_at A search --timeout 3 evil >"$WORK/hits.txt" 2>/dev/null || fail "search"
grep -q 'evil?\[31mred.txt' "$WORK/hits.txt" || fail "no stripped name: $(cat -v "$WORK/hits.txt")"
grep -q "$esc" "$WORK/hits.txt" && fail "an escape code reached the terminal"
gnut_at A search --timeout 3 --json evil >"$WORK/hits.json" || fail "search --json"
grep -q 'evil\\u001b\[31mred.txt' "$WORK/hits.json" || fail "JSON lost the name: $(cat "$WORK/hits.json")"
pass "remote names stripped of control characters, kept in JSON"

# metrics NAME: GET /metrics of NAME's control API (bash's /dev/tcp: no curl)
metrics() {
	local url hostport token
	url=$(cat "$WORK/$1/data/control.url")
	hostport=${url#http://}
	token=$(cat "$WORK/$1/data/control.token")
	exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"
	printf 'GET /metrics HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n' \
		"$hostport" "$token" >&3
	cat <&3 | tr -d '\r'
	exec 3<&-
}
# sample NAME METRIC: the value of one sample line
sample() {
	metrics "$1" | awk -v m="$2" '$1 == m {print $2}'
}
metrics A >"$WORK/metrics-A.txt"
head -1 "$WORK/metrics-A.txt" | grep -q '^HTTP/1.1 200' || fail "/metrics: $(head -1 "$WORK/metrics-A.txt")"
[ "$(sample A 'gnutd_links{mode="ultrapeer"}')" = 1 ] || fail "A: gnutd_links: $(grep gnutd_links "$WORK/metrics-A.txt")"
[ "$(sample A gnutd_hits_received_total)" -ge 2 ] || fail "A: no hits counted"
[ "$(sample B gnutd_queries_answered_total)" -ge 2 ] || fail "B: no answered queries counted"
[ "$(sample B gnutd_shared_files)" = 2 ] || fail "B: gnutd_shared_files"
pass "/metrics counts links, answered queries and hits"

gnut_at B shares >"$WORK/shares.txt" || fail "shares"
grep -q "$(printf '\302\240')" "$WORK/shares.txt" && fail "a no-break space in sizes"
grep -q ' 5.0 kB ' "$WORK/shares.txt" || fail "no '5.0 kB' in: $(cat "$WORK/shares.txt")"
awk '{print $2}' "$WORK/shares.txt" | grep -q '^kB$' || fail "awk does not split sizes"
pass "sizes with ASCII spaces"

# search --max: three files match, two are printed, long before the timeout
for n in 1 2 3; do
	printf 'capped %s\n' "$n" >"$WORK/B/share/capped-$n.txt"
done
gnut_at B rescan >/dev/null || fail "rescan"
wait_until 30 has_shared B 5 || fail "B did not index the capped files"
started=$(date +%s)
gnut_at A search --timeout 120 --max 2 capped >"$WORK/capped.txt" 2>/dev/null ||
	fail "search --max"
[ "$(grep -c 'capped-' "$WORK/capped.txt")" -eq 2 ] || fail "--max 2 printed: $(cat "$WORK/capped.txt")"
[ $(($(date +%s) - started)) -lt 120 ] || fail "search --max waited for the timeout"
gnut_at A search --timeout 120 --max 1 --json capped >"$WORK/capped.json" || fail "--max --json"
[ "$(grep -c '"name"' "$WORK/capped.json")" -eq 1 ] || fail "--max 1 --json: $(cat "$WORK/capped.json")"
[ "$(status_of gnut_at A search --max -1 capped)" = 2 ] || fail "--max -1 is not a usage error"
pass "search --max N stops at N hits"

# colours: the stats heading is bold on a terminal only
gnut_at A stats >"$WORK/stats.txt" || fail "stats"
grep -q 'hits received' "$WORK/stats.txt" || fail "stats: $(cat "$WORK/stats.txt")"
grep -q "$esc" "$WORK/stats.txt" && fail "escape bytes in piped output"
gnut_at A stats --color=always | grep -q "$esc\[1m" || fail "--color=always: no bold"
gnut_at A stats --json --color=always | grep -q "$esc" && fail "escape bytes in --json"
[ "$(status_of gnut_at A stats --color=sometimes)" = 2 ] || fail "--color=sometimes is not 2"
if command -v script >/dev/null; then
	on_tty() { TERM=${TERM_FOR_TTY:-xterm} script -qec "$*" /dev/null </dev/null; }
	cmd="$GNUT --data-dir $WORK/A/data stats"
	on_tty "$cmd" | grep -q "$esc\[1m" || fail "no colour on a terminal"
	on_tty "NO_COLOR=1 $cmd" | grep -q "$esc" && fail "colour despite NO_COLOR"
	TERM_FOR_TTY=dumb on_tty "$cmd" | grep -q "$esc" && fail "colour on TERM=dumb"
	on_tty "$cmd --color=never" | grep -q "$esc" && fail "colour despite --color=never"
fi
pass "colours only on a terminal"

[ "$(status_of gnut_at A disconnect "localhost:$PORT_B")" = 0 ] || fail "disconnect: $(cat "$WORK/err")"
wait_until 20 test "$(peers_of A)" -eq 0 || fail "A still linked after disconnect"
[ "$(status_of gnut_at A disconnect "127.0.0.1:$PORT_B")" = 3 ] || fail "disconnect again: not 3"
[ "$(status_of gnut_at A --json disconnect "127.0.0.1:$PORT_B")" = 3 ] || fail "--json: not 3"
grep -q '^{"error":{"message":"not linked to 127.0.0.1:[0-9]*","code":"not_found"}}$' "$WORK/out" ||
	fail "not a JSON error: $(cat "$WORK/out")"
pass "disconnect; not found is 3 and a JSON error"

[ "$(status_of gnut_at A bogus)" = 2 ] || fail "an unknown command is not 2"
[ "$(status_of gnut_at A --json bogus)" = 2 ] || fail "--json: an unknown command is not 2"
grep -q '"code":"usage"' "$WORK/out" || fail "usage error not JSON: $(cat "$WORK/out")"
[ "$(status_of "$GNUT" --data-dir "$WORK/nowhere" status)" = 4 ] || fail "no daemon: not 4"
[ "$(status_of "$GNUT" --json --data-dir "$WORK/nowhere" status)" = 4 ] || fail "--json: not 4"
grep -q '"code":"unreachable"' "$WORK/out" || fail "unreachable not JSON: $(cat "$WORK/out")"
pass "exit statuses 2 and 4"

gnut_at B share remove "$WORK/B/share" >/dev/null || fail "share remove"
wait_until 30 has_shared B 0 || fail "B still shares $(shared_files_of B) files"
[ "$(status_of gnut_at B share remove "$WORK/B/share")" = 3 ] || fail "share remove again: not 3"
pass "share remove"

token=$(gnut_at A token) || fail "token"
[ "$token" = "$(cat "$WORK/A/data/control.token")" ] || fail "token is not control.token's"
fresh=$(gnut_at A token --rotate) || fail "token --rotate"
[ "${#fresh}" -eq 64 ] && [ "$fresh" != "$token" ] || fail "no new token: $fresh"
[ "$fresh" = "$(cat "$WORK/A/data/control.token")" ] || fail "the new token is not saved"
url=$(cat "$WORK/A/data/control.url")
[ "$(status_of "$GNUT" --control "$url" --token "$token" status)" = 1 ] || fail "the old token works"
"$GNUT" --control "$url" --token "$fresh" status >/dev/null || fail "the new token fails"
pass "token and token --rotate"

# limits: shown, set (RATE as --upload-limit takes it), read back; setting
# one keeps the other; a bad RATE is a usage error
gnut_at A limits --json >"$WORK/limits.json" || fail "limits"
grep -q '^{"upload_limit":0,"download_limit":0}$' "$WORK/limits.json" ||
	fail "limits at start: $(cat "$WORK/limits.json")"
gnut_at A limits --upload 64k --download 2M --json >"$WORK/limits.json" || fail "limits --upload"
grep -q '^{"upload_limit":65536,"download_limit":2097152}$' "$WORK/limits.json" ||
	fail "limits set: $(cat "$WORK/limits.json")"
gnut_at A limits >"$WORK/limits.txt" || fail "limits (human)"
grep -q '^upload limit .*(65536 bytes/s)$' "$WORK/limits.txt" || fail "limits: $(cat "$WORK/limits.txt")"
gnut_at A limits --download 0 >/dev/null || fail "limits --download 0"
gnut_at A limits --json >"$WORK/limits.json" || fail "limits"
grep -q '^{"upload_limit":65536,"download_limit":0}$' "$WORK/limits.json" ||
	fail "limits after --download 0: $(cat "$WORK/limits.json")"
grep -q '^download limit  none$' <(gnut_at A limits) || fail "no limit is not 'none'"
[ "$(status_of gnut_at A limits --upload 1.5k)" = 2 ] || fail "a bad RATE is not 2"
[ "$(status_of gnut_at A limits --json --upload 1G)" = 2 ] || fail "--json: a bad RATE is not 2"
grep -q '"code":"usage"' "$WORK/out" || fail "bad RATE not a JSON usage error: $(cat "$WORK/out")"
gnut_at A limits --json | grep -q '"upload_limit":65536' || fail "a bad RATE changed the limits"
pass "limits shown, set, read back; bad rates refused"
