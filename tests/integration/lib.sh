# tests/integration/lib.sh: helpers for integration tests that start real
# gnutd processes on loopback and drive them with gnut. Sourced by each test.
# Every daemon gets --no-bootstrap and a private data dir; everything is
# killed on exit. Only 127.0.0.1 is ever contacted.

set -u
builddir=${builddir:-$(pwd)}
GNUTD=${GNUTD:-$builddir/src/daemon/gnutd}
GNUT=${GNUT:-$builddir/src/cli/gnut}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gnut-it-XXXXXX")
DAEMONS=()
FAILED=0

cleanup() {
	for pid in "${DAEMONS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${DAEMONS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	if [ "$FAILED" -ne 0 ] || [ -n "${KEEP_WORK:-}" ]; then
		echo "work dir kept: $WORK"
		for log in "$WORK"/*/gnutd.log; do
			[ -f "$log" ] && { echo "=== $log"; tail -40 "$log"; }
		done
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	FAILED=1
	exit 1
}

pass() {
	echo "ok: $*"
}

# start_node NAME [gnutd options...]: starts gnutd with data dir $WORK/NAME,
# waits until it listens, and sets PORT_<NAME>. It gets --no-bootstrap
# unless BOOTSTRAP=1 (a test of bootstrap against loopback caches it
# started itself, given with --uhc / --gwc).
start_node() {
	local name=$1
	shift
	local dir=$WORK/$name
	local extra=(--no-bootstrap)
	[ "${BOOTSTRAP:-0}" = 1 ] && extra=()
	mkdir -p "$dir/data" "$dir/share" "$dir/downloads"
	"$GNUTD" --data-dir "$dir/data" --listen 127.0.0.1:0 --control 127.0.0.1:0 \
		--download-dir "$dir/downloads" ${extra[@]+"${extra[@]}"} "$@" >"$dir/gnutd.log" 2>&1 &
	DAEMONS+=($!)
	echo $! >"$dir/pid"
	local port=""
	for _ in $(seq 1 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/gnutd.log" | head -1)
		[ -n "$port" ] && [ -f "$dir/data/control.url" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || fail "$name did not start: $(tail -5 "$dir/gnutd.log")"
	eval "PORT_$name=$port"
}

# gnut_at NAME ARGS...: runs gnut against node NAME.
gnut_at() {
	local name=$1
	shift
	"$GNUT" --data-dir "$WORK/$name/data" "$@"
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_until() {
	local limit=$1
	shift
	local tries=$((limit * 5))
	for _ in $(seq 1 "$tries"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# peers_of NAME: number of links NAME has.
peers_of() {
	gnut_at "$1" peers --json | grep -c '"host"'
}

has_peers() {
	[ "$(peers_of "$1")" -ge "$2" ]
}

shared_files_of() {
	gnut_at "$1" status --json | sed -n 's/.*"shared_files" *: *\([0-9]*\).*/\1/p'
}

has_shared() {
	[ "$(shared_files_of "$1")" = "$2" ]
}

# link A B: A dials B; waits until both see the link.
link() {
	local b_port
	eval "b_port=\$PORT_$2"
	gnut_at "$1" connect "127.0.0.1:$b_port" >/dev/null || fail "connect $1 -> $2"
}

# two_sources_found D S1 S2 WORD OUT: D links to S1 and S2, both have
# indexed their one file, and D's search for WORD (written to OUT, JSON)
# finds it at both.
two_sources_found() {
	link "$1" "$2"
	link "$1" "$3"
	wait_until 20 has_peers "$1" 2 || fail "$1 has $(peers_of "$1") links, want 2"
	wait_until 30 has_shared "$2" 1 || fail "$2 did not index"
	wait_until 30 has_shared "$3" 1 || fail "$3 did not index"
	gnut_at "$1" search --timeout 3 --json "$4" >"$5" || fail "$1: search failed"
	[ "$(grep -c '"size"' "$5")" -eq 2 ] || fail "$1: want 2 hits for $4: $(cat "$5")"
}

# search_and_get NODE WORD FILE: NODE searches WORD, takes the first hit
# (which must name FILE) and downloads it into $WORK/got-NODE.
search_and_get() {
	gnut_at "$1" search --timeout 3 --json "$2" >"$WORK/hits-$1.json" || fail "$1: search failed"
	grep -q "\"name\" *: *\"$3\"" "$WORK/hits-$1.json" || fail "$1: no hit for $3"
	local hit
	hit=$(json_field id <"$WORK/hits-$1.json" | head -1)
	mkdir -p "$WORK/got-$1"
	gnut_at "$1" get --wait --to "$WORK/got-$1" "$hit" >/dev/null || fail "$1: get of $3 failed"
}

# status_field NAME FIELD: a number or boolean of NAME's gnut status.
status_field() {
	gnut_at "$1" status --json | sed -n "s/.*\"$2\" *: *\([a-z0-9]*\).*/\1/p"
}

field_is() {
	[ "$(status_field "$1" "$2")" = "$3" ]
}

field_at_least() {
	[ "$(status_field "$1" "$2")" -ge "$3" ]
}

# send_datagram PORT FORMAT: the bytes printf makes of FORMAT as one
# datagram to PORT (printf itself may write them in pieces: cat does not).
send_datagram() {
	printf "$2" >"$WORK/datagram"
	cat "$WORK/datagram" >"/dev/udp/127.0.0.1/$1"
}

# udp_ping PORT: an unsolicited Gnutella ping (TTL 1, no payload) to PORT.
udp_ping() {
	send_datagram "$1" '\x01\x02\x03\x04\x05\x06\x07\x08\xff\x0a\x0b\x0c\x0d\x0e\x0f\x00\x00\x01\x00\x00\x00\x00\x00'
}

# json_field FIELD: the value of FIELD in each JSON line of stdin.
json_field() {
	sed -n "s/.*\"$1\" *: *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p"
}

# dl_field NODE FIELD: FIELD of NODE's first download.
dl_field() {
	gnut_at "$1" downloads --json | head -1 | json_field "$2"
}

# state_is NODE STATE: whether NODE's first download is in STATE.
state_is() {
	[ "$(dl_field "$1" state)" = "$2" ]
}
