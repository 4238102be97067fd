#!/bin/sh
# check-dist.sh: every file git tracks reaches the dist tarball (EXTRA_DIST,
# sources, man pages, data), so that `make distcheck` builds and tests what
# a clone does and the tarball holds what README tells a user to run. It
# compares `git ls-files` with the Makefile's DISTFILES (a directory there
# covers what is under it). Outside a git checkout (a tarball's build) or
# without git there is nothing to compare: it skips (77).
# Files a tarball does not need: git's own and the formatter's settings.
not_distributed='.gitignore .clang-format'

srcdir=${abs_top_srcdir:?}
builddir=${abs_top_builddir:?}
command -v git >/dev/null 2>&1 || { echo "no git: skipped"; exit 77; }
git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	{ echo "not a git checkout: skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-dist-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# the tracked files of srcdir, relative to it (git's own root may be above)
(cd "$srcdir" && git ls-files --full-name . | sed "s|^$(git rev-parse --show-prefix)||") |
	sort >"$tmp/tracked"
${MAKE:-make} -s -C "$builddir" print-dist-files | tr ' ' '\n' |
	sed -e '/^$/d' -e "s|^$srcdir/||" -e 's|^\./||' | sort -u >"$tmp/dist"

missing=0
while read -r f; do
	case " $not_distributed " in *" $f "*) continue ;; esac
	covered=0
	p=$f
	while :; do
		grep -qxF "$p" "$tmp/dist" && { covered=1; break; }
		case $p in */*) p=${p%/*} ;; *) break ;; esac
	done
	if [ "$covered" -eq 0 ]; then
		echo "not in the dist tarball: $f (add it to EXTRA_DIST or a _SOURCES list)"
		missing=1
	fi
done <"$tmp/tracked"
[ "$missing" -eq 0 ] && echo "every tracked file is distributed ($(wc -l <"$tmp/tracked") files)"
exit "$missing"
