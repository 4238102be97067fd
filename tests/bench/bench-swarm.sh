#!/usr/bin/env bash
# bench-swarm.sh: the swarming download's rate, with real gnutd processes on
# 127.0.0.1 (--no-bootstrap, each its own data dir), in one run:
#   1. capped: one downloader fetches a SIZE_MB MiB file of random bytes
#      that 4 sources share, each source at --upload-limit CAP bytes/s
#      (default 8000000: 8 MB/s of 10^6 bytes as the issue counts, so the
#      sum is 32 MB/s; gnutd's "8M" would be 8 MiB/s); its rate against
#      the sum of the caps;
#   2. uncapped (the caps lifted live with `gnut limits --upload 0`): the
#      same file from the 4 sources, against the same file from 1 source
#      (a downloader linked to one source only), both measured in this run.
# Each download is a fresh downloader found by a real search, the file
# hashed by the sources as they share it, and checked with cmp after.
# Rates are bytes / seconds: "overall" from the `gnut get` to the file in
# its folder (the search is before it; connecting, the sources' first full
# bucket and the final SHA-1 of the whole file are in it); "first to last
# byte" from the first byte on the downloader's disk to the last; "steady"
# over the same span less its first 2 s (the sources' buckets, one second
# of their rate each, are spent by then). Progress is sampled from the
# partial file's size on disk every 100 ms. Byte rates in MB/s
# (10^6). The downloader, the sources and this script share the machine's
# CPUs: on a loaded machine the figures say more about the load (the CPU
# seconds do not). Not part of make check (a minute or two per run, twice
# SIZE_MB of disk; the figures mean something only on an unsanitised build):
#
#   make src/daemon/gnutd src/cli/gnut && tests/bench/bench-swarm.sh
#   (from a build dir; configure CFLAGS=-O2 without --enable-sanitizers)
#   env: SIZE_MB (256), CAP (8000000), RUNS (1: runs of each download),
#        GNUTD_ARGS (more gnutd options for every node, e.g. --no-tls)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

SIZE_MB=${SIZE_MB:-256}
CAP=${CAP:-8000000}
RUNS=${RUNS:-1}
read -r -a EXTRA <<<"${GNUTD_ARGS:-}"
SOURCES=(S1 S2 S3 S4)
SAMPLE_S=0.1

if [ ! -x "$GNUTD" ] || [ ! -x "$GNUT" ]; then
	echo "bench-swarm.sh: run it from a build dir after make src/daemon/gnutd src/cli/gnut" >&2
	exit 2
fi

now() {
	echo "$EPOCHREALTIME" # bash 5: no process to start
}

# cpu_s PID: the CPU seconds (user + system) process PID has used.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat"
}

# sources_cpu_s: the CPU seconds the 4 sources have used together.
sources_cpu_s() {
	local s n=0
	for s in "${SOURCES[@]}"; do
		n=$(awk -v a="$n" -v b="$(cpu_s "$(cat "$WORK/$s/pid")")" 'BEGIN { print a + b }')
	done
	echo "$n"
}

# sample NODE OUT FILE: every SAMPLE_S until the file is in OUT, "time
# bytes" to FILE: the bytes are those on disk in NODE's incomplete folder
# (the partial file is sparse: what it holds is what has arrived). No gnut
# call: under load one takes long enough to blur the figures.
sample() {
	local dir="$WORK/$1/data/incomplete" bytes
	until [ -e "$2/big.bin" ]; do
		bytes=$(du -s --block-size=1 "$dir" 2>/dev/null)
		echo "$EPOCHREALTIME ${bytes%%[[:space:]]*}" >>"$3"
		sleep "$SAMPLE_S"
	done
}

# timed_get NODE HIT OUT: downloads HIT on NODE into OUT, its progress
# sampled; writes "overall transfer steady verify cpu sources_cpu start"
# to $WORK/rates-NODE:
# rates in bytes/s (from the get to the file in OUT; from the first byte
# to the last on disk; steady: see the top), the seconds from the last
# byte to the file in OUT (the whole file's SHA-1, the move), the
# downloader's CPU seconds, the 4 sources' together, and the seconds from
# the get to the first byte (connecting, TLS, the Tiger tree).
timed_get() {
	local node=$1 hit=$2 out=$3 size samples="$WORK/samples-$1" pid
	size=$(stat -c %s "$WORK/files/big.bin")
	pid=$(cat "$WORK/$node/pid")
	mkdir -p "$out"
	: >"$samples"
	local start end cpu0 src0 sampler
	mkdir -p "$WORK/$node/data/incomplete"
	cpu0=$(cpu_s "$pid")
	src0=$(sources_cpu_s)
	start=$(now)
	gnut_at "$node" get --to "$out" "$hit" >/dev/null || fail "$node: get failed"
	sample "$node" "$out" "$samples" &
	sampler=$!
	SECONDS=0
	until [ -e "$out/big.bin" ] || [ $SECONDS -gt 600 ]; do
		sleep 0.02
	done
	end=$(now)
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	[ -e "$out/big.bin" ] || fail "$node: not complete after 600 s: $(gnut_at "$node" downloads)"
	wait_until 30 state_is "$node" complete || fail "$node: $(gnut_at "$node" downloads)"
	local cpu src
	cpu=$(awk -v a="$cpu0" -v b="$(cpu_s "$pid")" 'BEGIN { printf "%.2f", b - a }')
	src=$(awk -v a="$src0" -v b="$(sources_cpu_s)" 'BEGIN { printf "%.2f", b - a }')
	cmp "$WORK/files/big.bin" "$out/big.bin" || fail "$node: the downloaded file differs"
	awk -v s="$start" -v e="$end" -v size="$size" -v cpu="$cpu" -v src="$src" '
		NR == 1 { empty = $2 }
		$2 > empty && first == "" { first = $1 }
		$2 >= size && full == "" { full = $1; dfull = $2 }
		first != "" && full == "" && $1 >= first + 2 && t2 == "" { t2 = $1; d2 = $2 }
		END {
			if (first == "") first = s
			if (full == "") { full = e; dfull = size }
			steady = (t2 == "" || full <= t2) ? 0 : (dfull - d2) / (full - t2)
			transfer = full > first ? size / (full - first) : 0
			printf "%.0f %.0f %.0f %.2f %s %s %.2f\n", size / (e - s), transfer, steady, e - full,
				cpu, src, first - s
		}' "$samples" >"$WORK/rates-$node"
}

# fetch_from DOWNLOADER SOURCES...: a new downloader linked to SOURCES,
# its search finding the file at each, then the timed download; its rates
# in $WORK/rates-DOWNLOADER.
fetch_from() {
	local d=$1 hits="$WORK/hits-$1.json"
	shift
	start_node "$d" --ultrapeer ${EXTRA[@]+"${EXTRA[@]}"}
	for s in "$@"; do
		link "$d" "$s"
	done
	wait_until 30 has_peers "$d" $# || fail "$d has $(peers_of "$d") links, want $#"
	# dynamic querying probes 3 links first, the 4th a few seconds later
	gnut_at "$d" search --timeout 15 --json big >"$hits" || fail "$d: search failed"
	local found
	found=$(grep -c '"name" *: *"big.bin"' "$hits")
	[ "$found" -ge $# ] || fail "$d: $found hits for big.bin, want $#"
	timed_get "$d" "$(json_field id <"$hits" | head -1)" "$WORK/got-$d"
	kill "$(cat "$WORK/$d/pid")"
	rm -rf "$WORK/got-$d" "$WORK/$d/downloads"
}

mb() {
	awk -v v="$1" 'BEGIN { printf "%.1f", v / 1e6 }'
}

# report LABEL "overall transfer steady verify cpu sources_cpu start"
report() {
	# shellcheck disable=SC2086 # the figures, split into arguments
	set -- "$1" $2
	printf "%-28s %6s MB/s overall, %6s first to last byte, %6s steady;" \
		"$1" "$(mb "$2")" "$(mb "$3")" "$(mb "$4")"
	printf " first byte after %s s, %s s to verify; CPU-s: downloader %s, sources %s\n" \
		"$8" "$5" "$6" "$7"
}

mkdir -p "$WORK/files"
head -c "${SIZE_MB}M" /dev/urandom >"$WORK/files/big.bin"
for s in "${SOURCES[@]}"; do
	start_node "$s" --ultrapeer --upload-limit "$CAP" --share "$WORK/files" ${EXTRA[@]+"${EXTRA[@]}"}
done
for s in "${SOURCES[@]}"; do
	wait_until 600 has_shared "$s" 1 || fail "$s did not index the file"
done

run=1
capped=() swarm=() single=()
while [ $run -le "$RUNS" ]; do
	fetch_from "C$run" "${SOURCES[@]}"
	capped+=("$(cat "$WORK/rates-C$run")")
	report "run $run: 4 sources capped" "${capped[-1]}"
	run=$((run + 1))
done
for s in "${SOURCES[@]}"; do
	gnut_at "$s" limits --upload 0 >/dev/null || fail "$s: limits --upload 0 failed"
done
run=1
while [ $run -le "$RUNS" ]; do
	fetch_from "U$run" "${SOURCES[@]}"
	swarm+=("$(cat "$WORK/rates-U$run")")
	report "run $run: 4 sources uncapped" "${swarm[-1]}"
	fetch_from "O$run" S1
	single+=("$(cat "$WORK/rates-O$run")")
	report "run $run: 1 source uncapped" "${single[-1]}"
	run=$((run + 1))
done

# median COLUMN VALUES...: the median of one column of the "a b c" lines.
median() {
	local col=$1
	shift
	printf '%s\n' "$@" | awk -v c="$col" '{ print $c }' | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
flags=$(sed -n 's/^CFLAGS = //p' "$builddir/Makefile" 2>/dev/null)
san=$(sed -n 's/^SAN_CFLAGS = //p' "$builddir/Makefile" 2>/dev/null)
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
echo "build: CFLAGS=${flags:-?} sanitizers: ${san:-none}; gnutd options: ${GNUTD_ARGS:-none}"
echo "file: $((SIZE_MB * 1048576)) bytes; caps $CAP bytes/s per source," \
	"sum $((4 * CAP)); $RUNS run(s), medians below"
for col in 1 2 3; do
	name=$(echo "overall first-to-last steady" | cut -d' ' -f$col)
	c=$(median $col "${capped[@]}")
	u=$(median $col "${swarm[@]}")
	o=$(median $col "${single[@]}")
	awk -v n="$name" -v c="$c" -v sum="$((4 * CAP))" -v u="$u" -v o="$o" 'BEGIN {
		printf "%-13s capped: 4 sources %.1f MB/s = %.3f of the caps sum;", n, c / 1e6, c / sum
		printf " uncapped: 4 sources %.1f MB/s, 1 source %.1f MB/s, ratio %.2f\n",
			u / 1e6, o / 1e6, (o > 0 ? u / o : 0)
	}'
done
echo "CPU-s, downloader + sources: capped $(median 5 "${capped[@]}") + $(median 6 "${capped[@]}")," \
	"uncapped 4 sources $(median 5 "${swarm[@]}") + $(median 6 "${swarm[@]}")," \
	"1 source $(median 5 "${single[@]}") + $(median 6 "${single[@]}")"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (the figures need an idle machine)"
