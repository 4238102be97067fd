#!/bin/sh
# test-conf-sample.sh: share/gnutd.conf.sample documents every option of
# `gnutd --help-all`, and gnutd accepts the sample as it is (every key
# commented out) and with every key uncommented at its default.
set -eu
sample="${abs_top_srcdir:?}/share/gnutd.conf.sample"
gnutd="${abs_top_builddir:?}/src/daemon/gnutd"
missing=0
for opt in $("$gnutd" --help-all | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	name=${opt#--}
	case "$name" in help*) continue ;; esac
	if ! grep -q -e "^#$name=" -e "--$name" "$sample"; then
		echo "gnutd.conf.sample does not document --$name"
		missing=1
	fi
done
[ "$missing" = 0 ]
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gnutd" --config "$sample" --data-dir "$tmp/data" --check-config >/dev/null
# every key at its documented default, except lists left empty
sed -e 's/^#\([a-z-]*=..*\)$/\1/' "$sample" >"$tmp/all.conf"
"$gnutd" --config "$tmp/all.conf" --data-dir "$tmp/data" --check-config >"$tmp/out"
grep -q '^control=127.0.0.1:6345$' "$tmp/out"
grep -q '^log-level=info$' "$tmp/out"
echo "gnutd.conf.sample: every option documented, and accepted"
