#!/usr/bin/env bash
# share/demo/run-demo.sh: the local demo of gnutd's main job, on loopback only.
# Six servents link as a ring with a chord (A-B-C-D-E-F-A and A-D); C and E
# share image.png; A searches for it with `gnut search` and downloads it with
# `gnut get --wait`; the SHA-1 of what arrived is compared with the original.
# Builds the tree first when needed. Nothing but 127.0.0.1 is contacted.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build-demo # out of tree, apart from the tests' build/
if [ -f "$top/config.status" ]; then
	build=$top # ./configure was run in the source folder: build there
fi
if [ ! -x "$build/src/daemon/gnutd" ] || [ ! -x "$build/src/cli/gnut" ]; then
	(cd "$top" && { [ -x configure ] || ./autogen.sh; })
	mkdir -p "$build"
	(cd "$build" && { [ -f Makefile ] || "$top/configure" >/dev/null; } && make -j"$(nproc)")
fi
GNUTD=$build/src/daemon/gnutd
GNUT=$build/src/cli/gnut
work=$(mktemp -d "${TMPDIR:-/tmp}/gnutd-demo-XXXXXX")
pids=()
stop_all() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "logs and files: $work"
}
trap stop_all EXIT

declare -A port
start() { # NAME: a servent on a free loopback port
	local dir=$work/$1
	mkdir -p "$dir/data" "$dir/share"
	"$GNUTD" --data-dir "$dir/data" --listen 127.0.0.1:0 --control 127.0.0.1:0 \
		--share "$dir/share" --no-bootstrap --ultrapeer >"$dir/gnutd.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 100); do
		port[$1]=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/gnutd.log" | head -1)
		[ -n "${port[$1]}" ] && [ -f "$dir/data/control.url" ] && return 0
		sleep 0.1
	done
	echo "servent $1 did not start:"; cat "$dir/gnutd.log"; exit 1
}
gnut() { local n=$1; shift; "$GNUT" --data-dir "$work/$n/data" "$@"; }

echo "== starting six servents on loopback"
for n in A B C D E F; do start $n; echo "   $n listens on 127.0.0.1:${port[$n]}"; done
head -c 3145728 /dev/urandom >"$work/image.png"
cp "$work/image.png" "$work/C/share/"; cp "$work/image.png" "$work/E/share/"
gnut C rescan >/dev/null; gnut E rescan >/dev/null

echo "== linking them as a ring with a chord: A-B-C-D-E-F-A and A-D"
for pair in A:B B:C C:D D:E E:F F:A A:D; do
	gnut "${pair%%:*}" connect "127.0.0.1:${port[${pair##*:}]}" >/dev/null
done
for _ in $(seq 1 100); do
	[ "$(gnut A peers --json | grep -c host)" -ge 3 ] &&
		[ "$(gnut C status --json | grep -o '"shared_files":[0-9]*')" = '"shared_files":1' ] &&
		[ "$(gnut E status --json | grep -o '"shared_files":[0-9]*')" = '"shared_files":1' ] && break
	sleep 0.2
done
gnut A peers

echo "== A searches the network for image.png"
gnut A search --timeout 3 --json image.png | tee "$work/hits.json"
hit=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$work/hits.json" | head -1)
[ -n "$hit" ] || { echo "no hit: see $work/*/gnutd.log"; exit 1; }

echo "== A downloads hit $hit straight from the servent that answered"
mkdir -p "$work/downloads"
gnut A get --wait --to "$work/downloads" "$hit"
echo "== checking the file"
sha1sum "$work/image.png" "$work/downloads/image.png"
cmp "$work/image.png" "$work/downloads/image.png" && echo "demo: image.png arrived intact"
gnut A status
