#!/bin/sh
# bench-hash.sh: the share index's hashing speed next to `openssl sha1` on the
# same 1 GiB file (random bytes, in a temporary folder). Page caches cannot be
# dropped without root, so the file is read once first and both tools hash it
# warm; each is timed (wall clock, whole process) BENCH_RUNS times (default 3)
# and its best run counts. Prints the machine, both speeds in MB/s (10^6
# bytes per second) and bench/openssl. Not run by make check.
# Usage: tests/bench/bench-hash.sh [path/to/bench-hash]
# (default: $BENCH_HASH, else tests/bench/bench-hash under the current folder
# or next to this script); BENCH_HASH_MIB sets the file size (default 1024).
set -eu

bench=${1:-${BENCH_HASH:-}}
if [ -z "$bench" ]; then
	for candidate in ./tests/bench/bench-hash "$(dirname "$0")/bench-hash"; do
		if [ -x "$candidate" ]; then
			bench=$candidate
			break
		fi
	done
fi
if [ -z "$bench" ] || [ ! -x "$bench" ]; then
	echo "bench-hash.sh: build tests/bench/bench-hash first (make tests/bench/bench-hash)" >&2
	exit 2
fi
command -v openssl >/dev/null || { echo "bench-hash.sh: openssl not found" >&2; exit 2; }

mib=${BENCH_HASH_MIB:-1024}
runs=${BENCH_RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-hash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/share"
file="$tmp/share/random.bin"
bytes=$((mib * 1048576))
head -c "$bytes" /dev/urandom >"$file"
cat "$file" >/dev/null # warm the page cache for both tools

now_ns() { date +%s%N; }

# Best wall-clock time in nanoseconds of "$@" over $runs runs.
best_ns() {
	best=
	i=0
	while [ "$i" -lt "$runs" ]; do
		start=$(now_ns)
		"$@" >/dev/null
		end=$(now_ns)
		t=$((end - start))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then
			best=$t
		fi
		i=$((i + 1))
	done
	echo "$best"
}

openssl_ns=$(best_ns openssl sha1 "$file")
bench_ns=$(best_ns "$bench" "$tmp/share")

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}"
echo "file: $mib MiB of random bytes, warm in the page cache; best of $runs runs"
awk -v b="$bytes" -v o="$openssl_ns" -v g="$bench_ns" 'BEGIN {
	om = b / 1e6 / (o / 1e9)
	gm = b / 1e6 / (g / 1e9)
	printf "openssl sha1: %8.1f MB/s (%.3f s)\n", om, o / 1e9
	printf "bench-hash:   %8.1f MB/s (%.3f s)\n", gm, g / 1e9
	printf "ratio bench-hash/openssl: %.2f (target >= 0.85)\n", gm / om
}'
