#!/bin/sh
# check-layers.sh: checks that every quoted #include of src/ and include/
# follows DESIGN.md's layering, so that a dependency pointing the wrong way
# fails `make check` instead of waiting for a reviewer. The rules:
#   layers   a file includes no header of a higher layer: base 0 < proto 1
#            < net 2 < core 3 < ctl 4 < daemon 5, cli 5 (daemon and cli,
#            though of one rank, never include each other). A file's layer
#            is its folder, src/LAYER/ or include/gnut/LAYER/.
#   cli      src/cli includes only base headers and gnut/ctl/ctl-protocol.h.
#   rooms    in core, a room includes only its own headers and those of the
#            rooms before it: share < search < hosts < links < routing <
#            transfer < the servent (src/core/*.c, gnut/core/servent.h).
#   private  a header under src/ is included only by files of its folder
#            (tests/, which this script does not read, may include any).
# "x.h" is looked up next to the including file, then in src/, then in
# include/ (the build's -I flags); a name found in none of them (config.h,
# generated in the build folder) is no header of the tree and is skipped.
# Usage: check-layers.sh [SRCDIR]  (default $abs_top_srcdir, else .).
# Prints one line per violation, FILE:LINE: includes "NAME" (PATH): [RULE]
# why. Exit status 0 clean, 1 violations, 99 when it cannot run (automake's
# harness then reports an error even for an XFAIL test).
set -u

top=${1:-${abs_top_srcdir:-.}}
if ! cd "$top" 2>/dev/null || [ ! -d src ] || [ ! -d include ]; then
	echo "check-layers: no src/ and include/ in \"$top\"" >&2
	exit 99
fi

find src include -type f | LC_ALL=C sort | awk '
BEGIN {
	nl = split("base proto net core ctl daemon cli", names, " ")
	split("0 1 2 3 4 5 5", ranks, " ")
	for (i = 1; i <= nl; i++)
		lrank[names[i]] = ranks[i] + 0
	LAYERS = "base < proto < net < core < ctl < daemon, cli"
	nr = split("share search hosts links routing transfer servent", rooms, " ")
	for (i = 1; i <= nr; i++)
		rrank[rooms[i]] = i
	ROOMS = "share < search < hosts < links < routing < transfer < servent"
	CLI_ALLOWED = "include/gnut/ctl/ctl-protocol.h"
	nfiles = 0
	violations = 0
	includes = 0
}

# stdin: every file of src/ and include/; the .c and .h ones are read in END
{
	exists[$0] = 1
	if ($0 ~ /\.[ch]$/)
		scan[++nfiles] = $0
}

# Folds "." and ".." out of a relative path; "" when it climbs out of the top.
function normalize(path,    n, parts, kept, k, i, out) {
	n = split(path, parts, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "" || parts[i] == ".")
			continue
		if (parts[i] == "..") {
			if (k == 0)
				return ""
			k--
			continue
		}
		kept[++k] = parts[i]
	}
	out = ""
	for (i = 1; i <= k; i++)
		out = out (i > 1 ? "/" : "") kept[i]
	return out
}

function dirname(path) {
	if (sub(/\/[^\/]*$/, "", path) == 0)
		return "."
	return path
}

# The compiler search order of the build: the including folder, -I src, -I include.
function resolve(file, name,    p) {
	p = normalize(dirname(file) "/" name)
	if (p in exists)
		return p
	p = normalize("src/" name)
	if (p in exists)
		return p
	p = normalize("include/" name)
	if (p in exists)
		return p
	return ""
}

function layer_of(path) {
	if (sub(/^src\//, "", path) == 0 && sub(/^include\/gnut\//, "", path) == 0)
		return ""
	if (index(path, "/") == 0)
		return ""
	sub(/\/.*/, "", path)
	return path
}

# A room, or "servent" for the files right in src/core/ and include/gnut/core/.
function room_of(path) {
	if (sub(/^src\/core\//, "", path) == 0 && sub(/^include\/gnut\/core\//, "", path) == 0)
		return ""
	if (index(path, "/") == 0)
		return "servent"
	sub(/\/.*/, "", path)
	return path
}

function report(file, line, name, path, rule, why) {
	printf "%s:%d: includes \"%s\" (%s): [%s] %s\n", file, line, name, path, rule, why
	violations++
}

function check_include(file, line, name,    h, lf, lh, rf, rh) {
	h = resolve(file, name)
	if (h == "")
		return
	includes++
	lf = layer_of(file)
	lh = layer_of(h)
	if ((lf in lrank) && (lh in lrank)) {
		if (lrank[lf] < lrank[lh])
			report(file, line, name, h, "layers",
			       lf " may not include " lh ", a higher layer (" LAYERS ")")
		else if ((lf == "daemon" && lh == "cli") || (lf == "cli" && lh == "daemon"))
			report(file, line, name, h, "layers", "daemon and cli never include each other")
	}
	if (lf == "cli" && lh != "base" && lh != "cli" && h != CLI_ALLOWED)
		report(file, line, name, h, "cli",
		       "the cli includes only base headers and gnut/ctl/ctl-protocol.h")
	if (lf == "core" && lh == "core") {
		rf = room_of(file)
		rh = room_of(h)
		if (rf != rh && (rf in rrank) && (rh in rrank) && rrank[rh] > rrank[rf])
			report(file, line, name, h, "rooms",
			       "room " rf " may not include " (rh == "servent" ? "the servent" : "room " rh) \
			       ", after it (" ROOMS ")")
	}
	if (h ~ /^src\// && dirname(h) != dirname(file))
		report(file, line, name, h, "private",
		       "a header of " dirname(h) "/ is private to that folder")
}

# A file whose folder is in no table would escape every rule: say so.
function check_folder(file,    l, r) {
	l = layer_of(file)
	if (l != "" && !(l in lrank)) {
		printf "%s: folder \"%s\" is no layer (%s): [layers] add it to the table\n", \
		       file, l, LAYERS
		violations++
	}
	r = room_of(file)
	if (r != "" && !(r in rrank)) {
		printf "%s: folder \"%s\" is no room (%s): [rooms] add it to the table\n", \
		       file, r, ROOMS
		violations++
	}
}

END {
	for (f = 1; f <= nfiles; f++) {
		file = scan[f]
		check_folder(file)
		line = 0
		while ((status = (getline text < file)) > 0) {
			line++
			if (text !~ /^[ \t]*#[ \t]*include[ \t]*"/)
				continue
			name = text
			sub(/^[ \t]*#[ \t]*include[ \t]*"/, "", name)
			if (sub(/".*/, "", name) == 1)
				check_include(file, line, name)
		}
		close(file)
		if (status < 0) {
			printf "check-layers: cannot read %s\n", file
			exit 99
		}
	}
	if (violations > 0) {
		printf "check-layers: %d violation(s) in %d files\n", violations, nfiles
		exit 1
	}
	printf "check-layers: %d files, %d includes of the tree, no violation\n", nfiles, includes
}'
