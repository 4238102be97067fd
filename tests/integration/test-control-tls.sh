#!/usr/bin/env bash
# test-control-tls.sh: the control API over HTTPS (--control-tls on) on
# 127.0.0.1. gnutd writes an https:// control.url and the SHA-256 of its
# certificate to control.fingerprint (checked against openssl's reading of
# tls-identity.pem); gnut reaches it by the data folder and by --control
# with --fingerprint; a plaintext client gets no HTTP answer; a wrong
# fingerprint, or none, is refused by gnut with a clear error; the web UI
# and /metrics are served over HTTPS too. Last, a node without the option
# on loopback stays plain HTTP and leaves no control.fingerprint behind.
. "$(dirname "$0")/lib.sh"

start_node A --control-tls on
url=$(cat "$WORK/A/data/control.url")
token=$(cat "$WORK/A/data/control.token")
pin=$(cat "$WORK/A/data/control.fingerprint")
case "$url" in https://127.0.0.1:*) ;; *) fail "control.url is $url, not https" ;; esac
want=$(openssl x509 -in "$WORK/A/data/tls-identity.pem" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
[ "$pin" = "$want" ] || fail "control.fingerprint $pin, openssl says $want"
grep -q "control certificate sha256 $pin" "$WORK/A/gnutd.log" || fail "gnutd did not print its fingerprint"
pass "https control.url, fingerprint of the servent's certificate"

gnut_at A status >/dev/null || fail "gnut status over TLS (data folder)"
"$GNUT" --control "$url" --token "$token" --fingerprint "$pin" status >/dev/null ||
	fail "gnut status over TLS (--control --fingerprint)"
colons=$(echo "$pin" | sed 's/../&:/g; s/:$//' | tr 'a-f' 'A-F')
"$GNUT" --control "$url" --token "$token" --fingerprint "sha256:$colons" status >/dev/null ||
	fail "gnut status with the fingerprint as openssl prints it"
pass "gnut status over TLS"

plain=${url/https:/http:}
if curl -sS -m 10 -o "$WORK/plain.out" -H "Authorization: Bearer $token" \
	-d '{"method":"status"}' "$plain/rpc" 2>"$WORK/plain.err"; then
	fail "a plaintext call was answered: $(cat "$WORK/plain.out")"
fi
[ ! -s "$WORK/plain.out" ] || fail "a plaintext client got bytes back: $(head -c 200 "$WORK/plain.out")"
"$GNUT" --control "$plain" --token "$token" status >/dev/null 2>"$WORK/plain-gnut.err" &&
	fail "gnut over plain HTTP to the TLS port succeeded"
grep -q "does it speak HTTPS" "$WORK/plain-gnut.err" || fail "no hint at HTTPS: $(cat "$WORK/plain-gnut.err")"
pass "plaintext refused on the TLS port"

wrong=$(echo "$pin" | tr '0-9a-f' '1-9a-f0')
"$GNUT" --control "$url" --token "$token" --fingerprint "$wrong" status >/dev/null 2>"$WORK/wrong.err" &&
	fail "a wrong fingerprint was accepted"
grep -q "not the one pinned ($wrong): refused" "$WORK/wrong.err" || fail "unclear error: $(cat "$WORK/wrong.err")"
grep -q "$pin" "$WORK/wrong.err" || fail "the error does not name the certificate shown"
"$GNUT" --json --control "$url" --token "$token" --fingerprint "$wrong" status >"$WORK/wrong.json"
[ $? -eq 1 ] || fail "a wrong fingerprint does not exit 1"
grep -q '"code":"untrusted"' "$WORK/wrong.json" || fail "--json error code: $(cat "$WORK/wrong.json")"
"$GNUT" --control "$url" --token "$token" status >/dev/null 2>"$WORK/nopin.err" &&
	fail "an https URL without a fingerprint was trusted"
grep -q -- "--fingerprint" "$WORK/nopin.err" || fail "no hint at --fingerprint: $(cat "$WORK/nopin.err")"
"$GNUT" --control "$url" --token "$token" --fingerprint xyz status >/dev/null 2>&1
[ $? -eq 2 ] || fail "a malformed --fingerprint is not a usage error"
pass "wrong, missing and malformed fingerprints refused"

# the web UI and /metrics, over HTTPS (curl trusts the pinned file here by
# skipping its CA check: the fingerprint was checked above)
curl -sS -k -m 10 "$url/" | grep -qi "<html" || fail "no web UI over https"
curl -sS -k -m 10 -H "Authorization: Bearer $token" "$url/metrics" | grep -q '^gnutd_info' ||
	fail "no /metrics over https"
pass "web UI and /metrics over https"

# the default on loopback: plain HTTP, no stale fingerprint
cp "$WORK/A/data/control.fingerprint" "$WORK/stale"
gnut_at A stop >/dev/null || fail "stop A"
wait_until 30 sh -c "! kill -0 $(cat "$WORK/A/pid") 2>/dev/null" || fail "A did not stop"
rm -f "$WORK/A/gnutd.log"
start_node A
case "$(cat "$WORK/A/data/control.url")" in http://127.0.0.1:*) ;; *) fail "loopback default is not plain http" ;; esac
[ ! -e "$WORK/A/data/control.fingerprint" ] || fail "a stale control.fingerprint stayed"
gnut_at A status >/dev/null || fail "gnut status over plain HTTP"
pass "loopback default stays plain HTTP"
