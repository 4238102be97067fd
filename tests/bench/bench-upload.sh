#!/bin/sh
# bench-upload.sh: upload throughput of gnutd's upload server next to nginx,
# in one run on this machine, over 127.0.0.1 only.
#
# A 1 GiB file (SIZE_MB) is served by tests/bench/bench-upload (a share, a
# listener and gnut_uploads in one process, sending with sendfile(2)) and by
# nginx (Debian nginx-light, private config in a temp dir, sendfile on, one
# worker); curl fetches it from each, alternating, RUNS times, to /dev/null.
# Prints each run, the median MB/s (10^6 bytes) of both, their ratio and the
# machine. Both servers read the file from the page cache (the first fetch of
# each is a warm-up, not counted).
#
#   usage: tests/bench/bench-upload.sh [path/to/bench-upload]
#   env:   SIZE_MB (1024), RUNS (5), NGINX (nginx)
set -eu

DRIVER=${1:-tests/bench/bench-upload}
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-5}
NGINX=${NGINX:-nginx}

[ -x "$DRIVER" ] || { echo "bench-upload.sh: no driver at $DRIVER (make tests/bench/bench-upload)" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench-upload.sh: curl is needed" >&2; exit 2; }
command -v "$NGINX" >/dev/null || { echo "bench-upload.sh: nginx is needed (apt-get install nginx-light)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-upload.XXXXXX")
gnutd_pid=
nginx_pid=
cleanup() {
	for pid in $gnutd_pid $nginx_pid; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir -p "$tmp/share" "$tmp/data" "$tmp/nginx/logs"
head -c "${SIZE_MB}M" /dev/urandom >"$tmp/share/big.bin"
size=$(stat -c %s "$tmp/share/big.bin")

# A free loopback port for nginx (the driver picks its own).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		shuf -i 20000-60000 -n 1
}

# --- gnutd's upload server
"$DRIVER" "$tmp/share" "$tmp/data" >"$tmp/driver.out" 2>"$tmp/driver.err" &
gnutd_pid=$!
i=0
until grep -q '^ready' "$tmp/driver.out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 "$gnutd_pid" 2>/dev/null; then
		echo "bench-upload.sh: the driver did not start:" >&2
		cat "$tmp/driver.err" >&2
		exit 1
	fi
	sleep 0.2
done
gport=$(awk '$1 == "port" { print $2 }' "$tmp/driver.out")
urn=$(awk '$1 == "file" && $5 == "big.bin" { print $2 }' "$tmp/driver.out")
gurl="http://127.0.0.1:$gport/uri-res/N2R?$urn"

# --- nginx
nport=$(free_port)
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$nport;
		root $tmp/share;
	}
}
EOF
"$NGINX" -e "$tmp/nginx/logs/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!
nurl="http://127.0.0.1:$nport/big.bin"
i=0
until curl -s -o /dev/null -r 0-0 "$nurl"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$nginx_pid" 2>/dev/null; then
		echo "bench-upload.sh: nginx did not start:" >&2
		cat "$tmp/nginx/logs/error.log" >&2
		exit 1
	fi
	sleep 0.1
done

# One fetch: bytes per second as curl measured it; fails unless every byte came.
fetch() {
	out=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' "$1")
	set -- $out
	if [ "$1" != 200 ] || [ "$2" != "$size" ]; then
		echo "bench-upload.sh: bad fetch: status $1, $2 of $size bytes" >&2
		exit 1
	fi
	echo "$3"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

fetch "$gurl" >/dev/null
fetch "$nurl" >/dev/null
: >"$tmp/g.txt"
: >"$tmp/n.txt"
run=1
while [ $run -le "$RUNS" ]; do
	g=$(fetch "$gurl")
	n=$(fetch "$nurl")
	echo "$g" >>"$tmp/g.txt"
	echo "$n" >>"$tmp/n.txt"
	awk -v r="$run" -v g="$g" -v n="$n" \
		'BEGIN { printf "run %d: gnutd %.0f MB/s, nginx %.0f MB/s\n", r, g / 1e6, n / 1e6 }'
	run=$((run + 1))
done

gmed=$(median <"$tmp/g.txt")
nmed=$(median <"$tmp/n.txt")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
echo "file: $size bytes, $RUNS runs, curl to /dev/null over 127.0.0.1"
awk -v g="$gmed" -v n="$nmed" 'BEGIN {
	printf "gnutd upload: %.0f MB/s (median)\n", g / 1e6
	printf "nginx:        %.0f MB/s (median)\n", n / 1e6
	printf "ratio gnutd/nginx: %.2f\n", g / n
}'
