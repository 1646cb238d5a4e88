#!/usr/bin/env bash
# Makes jobspecs/containerd.nomad.hcl runnable on this host: starts a
# containerd daemon at the default socket when none is running (hosts without
# systemd, like CI containers), and builds the busybox image archive the
# example imports, since there is no registry. Idempotent; never fatal, since
# the dev agent runs without containerd (the driver reports itself unhealthy).
# With CONTAINERD_PIDFILE set, the pid of a daemon this script started is
# written there (nothing when one was already running), so that the caller
# can stop it (scripts/dev.sh does on Ctrl-C). CONTAINERD_ADDRESS (the
# variable ctr reads) picks another socket.
set -uo pipefail
cd "$(dirname "$0")/.."
sock=${CONTAINERD_ADDRESS:-/run/containerd/containerd.sock}
archive=/var/lib/nomadlike/images/busybox.tar

if ! command -v containerd >/dev/null 2>&1; then
	echo "containerd-up: containerd is not installed (make deps installs it); the containerd driver stays unhealthy" >&2
elif [ ! -S "$sock" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "containerd-up: no daemon at $sock and not root; start containerd yourself" >&2
	else
		mkdir -p /var/log/nomadlike
		echo "==> starting containerd (log: /var/log/nomadlike/containerd.log)"
		setsid containerd --address "$sock" >/var/log/nomadlike/containerd.log 2>&1 < /dev/null &
		[ -n "${CONTAINERD_PIDFILE:-}" ] && echo $! >"$CONTAINERD_PIDFILE"
		for _ in $(seq 1 100); do
			[ -S "$sock" ] && break
			sleep 0.1
		done
		[ -S "$sock" ] || echo "containerd-up: containerd did not come up; see /var/log/nomadlike/containerd.log" >&2
	fi
fi

if [ ! -f "$archive" ]; then
	if [ -x /bin/busybox ] && mkdir -p "$(dirname "$archive")" 2>/dev/null; then
		echo "==> building $archive from busybox-static"
		go run ./scripts/mkimage -o "$archive" || echo "containerd-up: could not build $archive" >&2
	else
		echo "containerd-up: cannot build $archive (needs busybox-static and write access)" >&2
	fi
fi
exit 0
