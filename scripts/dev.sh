#!/usr/bin/env bash
# Starts a dev agent in the foreground: a server and a client in one process,
# raft state in memory, HTTP API on 127.0.0.1:4646, raft on 127.0.0.1:4647,
# raw_exec enabled, containerd started when installed. Ctrl-C stops it, and
# the containerd daemon when this script started it (one that was already
# running is left alone). Extra arguments go to the agent, e.g.
#   make dev ARGS="-log-level DEBUG"
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bin/nomadlike ]; then
	echo "bin/nomadlike is missing: run make build" >&2
	exit 1
fi
# containerd and the example image, for jobspecs/containerd.nomad.hcl.
pidfile=$(mktemp)
CONTAINERD_PIDFILE=$pidfile bash scripts/containerd-up.sh
containerd_pid=$(cat "$pidfile")
rm -f "$pidfile"
echo "==> nomadlike dev agent: HTTP API on http://127.0.0.1:4646 (Ctrl-C to stop)"
echo "    try: bin/nomadlike job run jobspecs/hello.nomad.hcl"
if [ -z "$containerd_pid" ]; then
	# exec, so that Ctrl-C and SIGTERM reach the agent itself.
	# shellcheck disable=SC2086
	exec bin/nomadlike agent -dev ${ARGS:-} "$@"
fi
echo "    containerd (pid $containerd_pid) was started for this session and stops with the agent"
# shellcheck disable=SC2086
bin/nomadlike agent -dev ${ARGS:-} "$@" &
agent=$!
# A background command of a script ignores SIGINT: forward Ctrl-C (and
# SIGTERM) to the agent as SIGTERM, a graceful stop.
trap 'kill -TERM "$agent" 2>/dev/null || true' INT TERM
status=0
while kill -0 "$agent" 2>/dev/null; do
	wait "$agent" && status=0 || status=$?
done
echo "==> stopping containerd (pid $containerd_pid), started by make dev"
kill -TERM "$containerd_pid" 2>/dev/null || true
for _ in $(seq 1 100); do
	kill -0 "$containerd_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$containerd_pid" 2>/dev/null; then
	echo "containerd (pid $containerd_pid) is still running after 10 s; stop it yourself" >&2
fi
exit "$status"
