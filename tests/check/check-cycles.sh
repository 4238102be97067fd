#!/bin/sh
# check-cycles.sh: checks DESIGN.md's "no two files call each other in a
# circle" on the built engine, src/libgnut.a. Each object of the archive is
# a node; an object that uses a symbol another object defines points to it.
# tsort(1) orders that graph and names every loop it has to break; the loop
# is then printed as source files with one symbol behind each of its edges.
# An object calling itself is no loop. The objects are the build folder's
# .o files that the archive holds (compared byte for byte when two folders
# have an object of the same name), so that each maps back to its source.
# Usage: check-cycles.sh [BUILDDIR [SRCDIR]]  (default $abs_top_builddir
# and $abs_top_srcdir, else .); SRCDIR only confirms the name of each
# source file. Exit status 0 no loop, 1 loops (printed), 99 when it cannot
# run (automake's harness then reports an error even for an XFAIL test).
set -u

build=${1:-${abs_top_builddir:-.}}
source=${2:-${abs_top_srcdir:-.}}
lib=$build/src/libgnut.a
AR=${AR:-ar}
NM=${NM:-nm}

fail() {
	echo "check-cycles: $*" >&2
	exit 99
}

[ -f "$lib" ] || fail "no $lib: build it first"
work=$(mktemp -d "${TMPDIR:-/tmp}/check-cycles.XXXXXX") || fail "no temporary folder"
trap 'rm -rf "$work"' EXIT
trap 'exit 99' HUP INT TERM

# members of the archive -> the build folder's objects
"$AR" t "$lib" >"$work/members" || fail "$AR t $lib failed"
dup=$(LC_ALL=C sort "$work/members" | uniq -d | head -n 1)
[ -z "$dup" ] || fail "two members of $lib are named $dup: objects cannot be told apart"
find "$build/src" -type f -name '*.o' | LC_ALL=C sort >"$work/built"
# "MEMBER COUNT PATH..." : the objects of the build folder named like each member
awk 'NR == FNR {
	want[$0] = 1
	next
}
{
	n = split($0, part, "/")
	if (part[n] in want) {
		count[part[n]]++
		paths[part[n]] = paths[part[n]] " " $0
	}
}
END {
	for (m in want)
		print m, count[m] + 0, paths[m]
}' "$work/members" "$work/built" >"$work/candidates"
: >"$work/objects"
while read -r member count paths; do
	found=
	if [ "$count" -eq 1 ]; then
		found=$paths
	elif [ "$count" -gt 1 ]; then
		# objects of that name in two folders: the archive holds one of them
		"$AR" p "$lib" "$member" >"$work/member.o" || fail "$AR p $lib $member failed"
		for candidate in $paths; do
			if cmp -s "$work/member.o" "$candidate"; then
				found=$candidate
			fi
		done
	fi
	[ -n "$found" ] || fail "no object in $build/src is $member of $lib"
	echo "$found" >>"$work/objects"
done <"$work/candidates"
[ -s "$work/objects" ] || fail "$lib holds no object"

# "object: symbol TYPE ..." for the external symbols of each object
# shellcheck disable=SC2046 # object paths have no blanks (automake names them)
"$NM" -P -A -g $(cat "$work/objects") >"$work/symbols" || fail "$NM failed on the objects"

# edges "from to symbol": U/w/v are uses, every other type defines
awk '
{
	obj = $1
	sub(/:$/, "", obj)
	sym = $2
	type = $3
	if (type == "U" || type == "w" || type == "v")
		uses[++nu] = obj " " sym
	else if (!(sym in def) || type !~ /^[VW]$/)
		def[sym] = obj
}
END {
	for (i = 1; i <= nu; i++) {
		split(uses[i], u, " ")
		if ((u[2] in def) && def[u[2]] != u[1] && !((u[1] " " def[u[2]]) in seen)) {
			seen[u[1] " " def[u[2]]] = 1
			print u[1], def[u[2]], u[2]
		}
	}
}' "$work/symbols" >"$work/edges"

# tsort names the nodes of each loop it breaks on stderr, "tsort: NODE"
cut -d ' ' -f 1,2 "$work/edges" | tsort >/dev/null 2>"$work/tsort"
if ! grep -q 'loop' "$work/tsort"; then
	echo "check-cycles: $(wc -l <"$work/objects") objects of $lib," \
		"$(wc -l <"$work/edges") calls between them, no loop"
	exit 0
fi

build_prefix=${build%/}/
awk -v build="$build_prefix" -v source="$source" '
# src/core/x.o -> src/core/x.c (or the source of that stem found in SRCDIR)
function source_of(obj,    stem, ext, n, exts, i) {
	if (index(obj, build) == 1)
		obj = substr(obj, length(build) + 1)
	stem = obj
	sub(/\.o$/, "", stem)
	n = split("c S s cc", exts, " ")
	for (i = 1; i <= n; i++)
		if ((getline ext < (source "/" stem "." exts[i])) >= 0) {
			close(source "/" stem "." exts[i])
			return stem "." exts[i]
		}
	return stem ".c"
}
function flush(    i, j, e) {
	if (n == 0)
		return
	loops++
	printf "check-cycles: loop %d, %d files:\n", loops, n
	for (i = 1; i <= n; i++)
		for (j = 1; j <= n; j++)
			if ((node[i] " " node[j]) in via)
				printf "  %s -> %s (%s)\n", source_of(node[i]), source_of(node[j]),
				       via[node[i] " " node[j]]
	n = 0
}
FNR == NR {
	via[$1 " " $2] = $3
	next
}
/input contains a loop/ {
	flush()
	next
}
{
	sub(/^tsort: /, "")
	node[++n] = $0
}
END {
	flush()
	printf "check-cycles: %d loop(s) between the objects of %slibgnut.a\n", loops, build "src/"
	exit 1
}' "$work/edges" "$work/tsort"
