#!/bin/sh
# tshark-check.sh: has Wireshark's Gnutella dissector read a ping, pong,
# query, query hit and push written by our encoders (tests/unit/wire-samples
# puts them in a pcap file after a TCP and a Gnutella handshake). Fails when
# tshark marks anything malformed or as an error (IP and TCP checksums are
# validated too), or does not show a line wire-samples says it must (the
# message types and the values sent). Skips (77) without tshark.
#
# Run by `make check` from the top build directory; the helper is looked up
# there (or set WIRE_SAMPLES to its path).
set -u

if ! command -v tshark >/dev/null 2>&1; then
	echo "tshark not installed: skipped"
	exit 77
fi

helper=${WIRE_SAMPLES:-./tests/unit/wire-samples}
if [ ! -x "$helper" ]; then
	echo "helper $helper not found: build it first (make check builds it)" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tshark-check.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

"$helper" "$tmp/samples.pcap" >"$tmp/expected" || {
	echo "wire-samples failed" >&2
	exit 1
}

# -n: no name resolution. Port 6346 is Gnutella's by default; -d says so
# anyway in case a profile moved it. Checksum validation is off by default.
tshark -n -r "$tmp/samples.pcap" -d tcp.port==6346,gnutella \
	-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -V \
	>"$tmp/decoded" 2>"$tmp/stderr"
status=$?
if [ $status -ne 0 ]; then
	echo "tshark exited with $status:" >&2
	cat "$tmp/stderr" >&2
	exit 1
fi

# What the dissector made of each Gnutella segment, for the log.
awk '/^Frame /{frame=$2} /^Gnutella Protocol/{p=1; print "-- frame " frame} /^$/{p=0} p' \
	"$tmp/decoded"

fail=0
if grep -n -E 'Malformed|Expert Info \(Error' "$tmp/decoded"; then
	echo "FAIL: tshark flags the capture (lines above)" >&2
	fail=1
fi
sed 's/^[[:space:]]*//' "$tmp/decoded" >"$tmp/trimmed"
while IFS= read -r line; do
	if ! grep -q -x -F -e "$line" "$tmp/trimmed"; then
		echo "FAIL: tshark does not show: $line" >&2
		fail=1
	fi
done <"$tmp/expected"
count=$(wc -l <"$tmp/expected")
[ "$count" -ge 5 ] || {
	echo "FAIL: wire-samples printed only $count expected lines" >&2
	fail=1
}
exit $fail
