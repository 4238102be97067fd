#!/usr/bin/env bash
# test-disk-full.sh: a download whose disk fills. The downloader's data dir
# (where partial files live) is a 3 MiB tmpfs and the file is 6 MiB: the
# download pauses with a clear error and delivers nothing; `gnut resume`
# while the disk is still full pauses it again; once there is room (the
# tmpfs grown) the periodic retry (--download-retry-max 10) resumes it and
# it completes, SHA-1 checked. Needs root and a mount that works (skipped,
# status 77, otherwise).
. "$(dirname "$0")/lib.sh"

MIB=1048576
SMALL=$(mktemp -d "${TMPDIR:-/tmp}/gnut-small-XXXXXX")
if ! mount -t tmpfs -o size=3m tmpfs "$SMALL" 2>/dev/null; then
	rmdir "$SMALL"
	echo "SKIP: cannot mount a tmpfs here"
	exit 77
fi
trap 'cleanup; umount "$SMALL"; rmdir "$SMALL"' EXIT

mkdir -p "$WORK/files"
head -c $((6 * MIB)) /dev/urandom >"$WORK/files/huge.bin"
start_node S --ultrapeer --share "$WORK/files"
# D's data dir is the small tmpfs
mkdir -p "$WORK/D"
ln -s "$SMALL" "$WORK/D/data"
start_node D --ultrapeer --download-retry-max 10
link D S
wait_until 20 has_peers D 1 || fail "D has no link"
wait_until 30 has_shared S 1 || fail "S did not index"
gnut_at D search --timeout 3 --json huge >"$WORK/hits.json" || fail "search failed"
hit=$(json_field id <"$WORK/hits.json" | head -1)
mkdir -p "$WORK/got"
gnut_at D get --to "$WORK/got" "$hit" >/dev/null || fail "get failed"
id=$(dl_field D id)
wait_until 60 state_is D paused || fail "not paused: $(gnut_at D downloads)"
gnut_at D downloads --json | grep -q 'No space left on device' ||
	fail "no clear error: $(gnut_at D downloads --json)"
[ -z "$(ls -A "$WORK/got")" ] || fail "something was delivered"
pass "disk full: paused with the error"

pauses() {
	grep -c 'paused: cannot write' "$WORK/D/gnutd.log"
}

# (the periodic retry may pause it again too: it only adds pauses)
before=$(pauses)
paused_again() {
	[ "$(pauses)" -gt "$before" ] && state_is D paused
}

# (refused only when the periodic retry resumed it first)
gnut_at D resume "$id" >/dev/null 2>"$WORK/resume.err" ||
	grep -q "not paused" "$WORK/resume.err" || fail "resume refused: $(cat "$WORK/resume.err")"
wait_until 30 paused_again || fail "not paused again: $(gnut_at D downloads)"
pass "resumed while still full: paused again"

mount -o remount,size=32m "$SMALL" || fail "cannot grow the tmpfs"
wait_until 90 state_is D complete || fail "not complete once there was room: $(gnut_at D downloads)"
cmp "$WORK/files/huge.bin" "$WORK/got/huge.bin" || fail "downloaded file differs"
pass "room again: the periodic retry resumed it, file right"
