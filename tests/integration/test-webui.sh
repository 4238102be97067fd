#!/usr/bin/env bash
# test-webui.sh: the web UI in a real headless browser (Debian's chromium,
# driven by playwright-core from npm) against three servents on loopback:
# an ultrapeer U and leaves L1 (sharing) and L2 (whose UI is opened at a
# phone viewport). The page takes the token, searches, downloads a file of
# L1 and sees it complete, pauses and resumes a slower one (L1 uploads at
# 256 KiB/s), takes magnets of a result, a download and a shared file,
# shares and unshares a folder, sets the limits; the files'
# SHA-1 on disk are checked here. A
# shared name with HTML in it must show as text. Screenshots are kept in
# $builddir/tests/webui-artefacts/. Skips (77) without chromium, node or npm,
# or when `npm ci` cannot reach the registry.
. "$(dirname "$0")/lib.sh"

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
skip() {
	echo "SKIP: $*"
	exit 77
}
[ -x "$CHROMIUM" ] || skip "no chromium at $CHROMIUM"
command -v node >/dev/null && command -v npm >/dev/null || skip "no node or npm"

# playwright-core, installed from the committed lock into the build dir
node_dir=$builddir/tests/webui-node
mkdir -p "$node_dir"
if ! cmp -s "$srcdir/tests/integration/webui/package-lock.json" "$node_dir/package-lock.json" ||
	[ ! -d "$node_dir/node_modules/playwright-core" ]; then
	cp "$srcdir/tests/integration/webui/package.json" \
		"$srcdir/tests/integration/webui/package-lock.json" "$node_dir/"
	(cd "$node_dir" && timeout 300 npm ci --no-audit --no-fund --fetch-retries=1) >"$WORK/npm.log" 2>&1 ||
		skip "npm ci failed (registry unreachable?): $(tail -3 "$WORK/npm.log")"
fi
cp "$srcdir/tests/integration/webui/webui-test.mjs" "$node_dir/"
artefacts=$builddir/tests/webui-artefacts
rm -rf "$artefacts"
mkdir -p "$artefacts"

export GNUTD_WWW_DIR=$srcdir/share/www
html_name='<img src=x onerror=alert(1)><b>webuitag.txt' # a file name holds no '/'
mkdir -p "$WORK/l1share" "$WORK/l2share"
echo "shared from the page" >"$WORK/l2share/l2file.txt"
head -c 300000 /dev/urandom >"$WORK/l1share/webuidoc.bin"
head -c 4000000 /dev/urandom >"$WORK/l1share/webuislow.bin"
echo "a name with markup" >"$WORK/l1share/$html_name"
start_node U --ultrapeer
start_node L1 --leaf --upload-limit 256k --share "$WORK/l1share" --peer "127.0.0.1:$PORT_U"
start_node L2 --leaf --peer "127.0.0.1:$PORT_U"
wait_until 30 has_peers U 2 || fail "U has $(peers_of U) links, want 2"
wait_until 30 has_shared L1 3 || fail "L1 did not index its three files"
# the search from the page reaches L1 once U holds L1's routing table
wait_until 30 eval 'gnut_at L2 search --timeout 2 --json webuidoc | grep -q webuidoc' ||
	fail "L2 cannot find webuidoc.bin through U"
pass "three servents, L1's files reachable from L2"

WEBUI_URL=$(cat "$WORK/L2/data/control.url") \
	WEBUI_TOKEN=$(cat "$WORK/L2/data/control.token") \
	WEBUI_ARTEFACTS=$artefacts WEBUI_FILE=webuidoc.bin WEBUI_SLOW_FILE=webuislow.bin \
	WEBUI_HTML_QUERY=webuitag WEBUI_HTML_NAME=$html_name WEBUI_SHARE_DIR=$WORK/l2share \
	CHROMIUM=$CHROMIUM \
	timeout 600 node "$node_dir/webui-test.mjs" || fail "the browser run failed (see $artefacts)"

for f in webuidoc.bin webuislow.bin; do
	want=$(sha1sum <"$WORK/l1share/$f" | cut -d' ' -f1)
	[ -f "$WORK/L2/downloads/$f" ] || fail "no $f in L2's download folder"
	got=$(sha1sum <"$WORK/L2/downloads/$f" | cut -d' ' -f1)
	[ "$want" = "$got" ] || fail "$f: downloaded SHA-1 $got, want $want"
	pass "$f downloaded from the page has the right SHA-1 ($got)"
done
ls "$artefacts"
