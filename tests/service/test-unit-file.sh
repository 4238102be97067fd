#!/bin/sh
# test-unit-file.sh: share/gnutd.service as systemd reads it:
# `systemd-analyze verify` finds no error in it (skipped, 77, where
# systemd-analyze is missing), and it keeps the settings README promises.
set -eu
unit="${abs_top_builddir:?}/share/gnutd.service"
grep -q '^Type=notify$' "$unit"
grep -q '^WatchdogSec=' "$unit"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit"
grep -q '^DynamicUser=yes$' "$unit"
grep -q '^ProtectSystem=strict$' "$unit"
grep -q '^ProtectHome=yes$' "$unit"
grep -q '^NoNewPrivileges=yes$' "$unit"
grep -q '^StateDirectory=gnutd$' "$unit"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze not found: skipping the verification"
	exit 77
fi
# verify wants the unit's programs to exist: point ExecStart at the build's
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|^ExecStart=[^ ]*/gnutd |ExecStart=${abs_top_builddir}/src/daemon/gnutd |" "$unit" \
	>"$tmp/gnutd.service"
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$tmp/gnutd.service" 2>&1) || {
	echo "$out"
	exit 1
}
# warnings about the host (no /etc/machine-id, no bus in a container) are
# not the unit's; a line naming the unit file is
if echo "$out" | grep -F "gnutd.service" | grep -v -e 'Failed to create' -e 'bus'; then
	exit 1
fi
echo "systemd-analyze verify: ok"
