#!/bin/sh
# test-checks.sh: shows that check-layers.sh and check-cycles.sh (and
# check-dist.sh, where git is installed) can fail.
# It builds a small tree that follows every rule and checks both pass on
# it, then adds one violation of each kind to a copy (an upward include, a
# cli include of core and of ctl, daemon and cli including each other, a
# room including a later room and the servent, a private header from
# another folder, two objects calling each other) and checks that the
# right check fails, naming the file, the line and the rule. It also checks
# that a check that cannot run says so with 99 rather than a plain failure.
# Needs a C compiler ($CC, else cc) and ar.
set -u

here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
AR=${AR:-ar}
export AR
work=$(mktemp -d "${TMPDIR:-/tmp}/test-checks.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 99' HUP INT TERM
failures=0

pass() {
	echo "ok - $*"
}

fail() {
	echo "FAIL - $*"
	failures=$((failures + 1))
}

# put FILE LINE...: writes a file of the synthetic tree, one line per argument
put() {
	file=$1
	shift
	mkdir -p "$(dirname "$file")"
	: >"$file"
	for line in "$@"; do
		printf '%s\n' "$line" >>"$file"
	done
}

# A tree of one or two files per layer and room, every include allowed.
clean_tree() {
	put include/gnut/base/clock.h "/* base */"
	put include/gnut/base/atomic-file.h "/* base */"
	put src/base/clock.c '#include "gnut/base/clock.h"'
	put include/gnut/proto/guid.h '#include "gnut/base/clock.h"'
	put include/gnut/net/conn.h '#include "gnut/proto/guid.h"'
	put include/gnut/core/share/share.h '#include "gnut/net/conn.h"'
	put src/core/share/share.c '#include "gnut/core/share/share.h"'
	put include/gnut/core/hosts/hostcache.h "/* hosts */"
	put include/gnut/core/transfer/upload.h '#include "gnut/core/share/share.h"' \
		'#include "gnut/core/hosts/hostcache.h"'
	put src/core/transfer/download-private.h '#include "gnut/core/transfer/upload.h"'
	put src/core/transfer/download.c '#include "config.h"' \
		'#include "download-private.h"' '#include "core/transfer/download-private.h"'
	put include/gnut/core/servent.h '#include "gnut/core/transfer/upload.h"'
	put src/core/servent-private.h '#include "gnut/core/servent.h"'
	put src/core/servent.c '#include "servent-private.h"' \
		'#include "gnut/core/share/share.h"'
	put include/gnut/ctl/ctl-protocol.h "/* both ends */"
	put include/gnut/ctl/ctl-server.h '#include "gnut/core/servent.h"' \
		'#include "gnut/ctl/ctl-protocol.h"'
	put src/ctl/ctl-server.c '#include "gnut/ctl/ctl-server.h"'
	put src/daemon/options.h '#include "gnut/core/servent.h"'
	put src/daemon/gnutd.c '#include "options.h"' '#include "gnut/ctl/ctl-server.h"'
	put src/cli/cli-client.h "/* cli */"
	put src/cli/gnut.c '#include "cli-client.h"' '#include "gnut/ctl/ctl-protocol.h"' \
		'#include "gnut/base/clock.h"' '# include "gnut/base/atomic-file.h"'
	put tests/unit/test-download.c '#include "core/transfer/download-private.h"'
}

mkdir "$work/clean"
(cd "$work/clean" && clean_tree)
if out=$("$here/check-layers.sh" "$work/clean" 2>&1); then
	pass "check-layers passes a clean tree"
else
	fail "check-layers fails a clean tree: $out"
fi

# violates NAME FILE TEXT RULE: appends the include TEXT to FILE in a copy of
# the clean tree and expects check-layers to fail on that line with RULE.
violates() {
	name=$1 file=$2 text=$3 rule=$4
	cp -R "$work/clean" "$work/$name"
	mkdir -p "$(dirname "$work/$name/$file")"
	printf '%s\n' "$text" >>"$work/$name/$file"
	line=$(wc -l <"$work/$name/$file" | tr -d ' ')
	out=$("$here/check-layers.sh" "$work/$name" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -qF "$file:$line: " &&
		printf '%s\n' "$out" | grep -F "$file:$line: " | grep -qF "[$rule]"; then
		pass "check-layers fails $name with [$rule]"
	else
		fail "check-layers on $name: status $rc, expected 1 and $file:$line [$rule]: $out"
	fi
}

violates upward src/proto/guid.c '#include "gnut/net/conn.h"' layers
violates upward-header include/gnut/net/conn.h '#include "gnut/core/servent.h"' layers
violates daemon-cli src/daemon/gnutd.c '#include "cli/cli-client.h"' layers
violates cli-core src/cli/gnut.c '#include "gnut/core/servent.h"' cli
violates cli-ctl src/cli/gnut.c '#include "gnut/ctl/ctl-server.h"' cli
violates cli-proto src/cli/gnut.c '#include "gnut/proto/guid.h"' cli
violates room-order src/core/share/share.c '#include "gnut/core/transfer/upload.h"' rooms
violates room-servent src/core/transfer/download.c '#include "gnut/core/servent.h"' rooms
violates private src/core/servent.c '#include "transfer/download-private.h"' private
violates private-by-src src/core/share/share.c '#include "core/transfer/download-private.h"' \
	private

# a folder in no table would escape the rules: it fails until it is placed
for path in src/web/page.c src/core/misc/util.c; do
	rm -rf "$work/unplaced"
	cp -R "$work/clean" "$work/unplaced"
	put "$work/unplaced/$path" '#include "gnut/base/clock.h"'
	out=$("$here/check-layers.sh" "$work/unplaced" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q "^$path: folder .* is no"; then
		pass "check-layers fails $path, in no layer or room"
	else
		fail "check-layers on $path: status $rc, expected 1 and $path: $out"
	fi
done

out=$("$here/check-layers.sh" "$work/nowhere" 2>&1)
rc=$?
if [ "$rc" -eq 99 ]; then
	pass "check-layers says 99 without a tree"
else
	fail "check-layers without a tree: status $rc: $out"
fi

# The cycles: x/one.c calls x/two.c; in the loop variant two.c calls back.
# one.c also recurses (a self edge, no loop), and old/one.o, an object of
# the same name that the archive does not hold, must not be taken for it.
objects() {
	dir=$1
	shift
	mkdir -p "$dir/build/src/x" "$dir/build/src/old"
	for c in one two three; do
		"$CC" -c -o "$dir/build/src/x/$c.o" "$dir/src/x/$c.c" || exit 99
	done
	"$CC" -c -o "$dir/build/src/old/one.o" "$dir/src/old/one.c" || exit 99
	"$AR" cr "$dir/build/src/libgnut.a" "$dir/build/src/x/one.o" "$dir/build/src/x/two.o" \
		"$dir/build/src/x/three.o" || exit 99
}

cycle_tree() {
	dir=$1 two_body=$2
	mkdir -p "$dir"
	(
		cd "$dir" || exit 99
		put src/x/one.c 'int two(int n);' 'int one(int n);' \
			'int one(int n) { return n > 1 ? one(n - 1) + two(n) : 0; }'
		put src/x/two.c 'int one(int n);' 'int two(int n);' "int two(int n) { $two_body }"
		put src/x/three.c 'int one(int n);' 'int two(int n);' 'int three(int n);' \
			'int three(int n) { return one(n) + two(n); }'
		put src/old/one.c 'int two(int n);' 'int one(int n);' \
			'int one(int n) { return two(n); }' 'int only_old(void) { return 0; }'
	)
	objects "$dir"
}

cycle_tree "$work/acyclic" 'return n;'
if out=$("$here/check-cycles.sh" "$work/acyclic/build" "$work/acyclic" 2>&1); then
	pass "check-cycles passes objects without a loop"
else
	fail "check-cycles fails objects without a loop: $out"
fi

cycle_tree "$work/cyclic" 'return n > 0 ? one(n - 1) : 0;'
out=$("$here/check-cycles.sh" "$work/cyclic/build" "$work/cyclic" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -qF "src/x/one.c -> src/x/two.c (two)" &&
	printf '%s\n' "$out" | grep -qF "src/x/two.c -> src/x/one.c (one)" &&
	! printf '%s\n' "$out" | grep -q 'three\|old'; then
	pass "check-cycles fails two objects calling each other, naming them"
else
	fail "check-cycles on a loop: status $rc, expected 1 and one.c <-> two.c: $out"
fi

out=$("$here/check-cycles.sh" "$work/nowhere" 2>&1)
rc=$?
if [ "$rc" -eq 99 ]; then
	pass "check-cycles says 99 without an archive"
else
	fail "check-cycles without an archive: status $rc: $out"
fi

# check-dist: a git tree whose Makefile's DISTFILES list a file and a
# folder; a tracked file outside both fails, naming it
if command -v git >/dev/null 2>&1; then
	d=$work/dist
	put "$d/src/a.c" 'int a;'
	put "$d/data/b.txt" 'b'
	put "$d/build/Makefile" 'print-dist-files:' '	@echo src/a.c data'
	(cd "$d" && git init -q . && git add src data) >/dev/null 2>&1
	run_dist() {
		abs_top_srcdir=$d abs_top_builddir=$d/build MAKE=make "$here/check-dist.sh" 2>&1
	}
	out=$(run_dist)
	rc=$?
	[ "$rc" -eq 0 ] && pass "check-dist passes a covered tree" ||
		fail "check-dist on a covered tree: status $rc: $out"
	put "$d/extra.txt" 'x'
	(cd "$d" && git add extra.txt)
	out=$(run_dist)
	rc=$?
	if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -qF "not in the dist tarball: extra.txt" &&
		! printf '%s\n' "$out" | grep -q 'a\.c\|b\.txt'; then
		pass "check-dist fails a tracked file not distributed, naming it"
	else
		fail "check-dist with extra.txt: status $rc, expected 1 naming it: $out"
	fi
fi

if [ "$failures" -gt 0 ]; then
	echo "$failures check(s) of the checks failed"
	exit 1
fi
echo "every check of the checks passed"
