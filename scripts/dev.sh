#!/usr/bin/env bash
# Starts a dev agent in the foreground: a server and a client in one process,
# raft state in memory, HTTP API on 127.0.0.1:4646, raft on 127.0.0.1:4647,
# raw_exec enabled, containerd started when installed. Ctrl-C stops it. Extra arguments go to the agent, e.g.
#   make dev ARGS="-log-level DEBUG"
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bin/nomadlike ]; then
	echo "bin/nomadlike is missing: run make build" >&2
	exit 1
fi
# containerd and the example image, for jobspecs/containerd.nomad.hcl.
bash scripts/containerd-up.sh
echo "==> nomadlike dev agent: HTTP API on http://127.0.0.1:4646 (Ctrl-C to stop)"
echo "    try: bin/nomadlike job run jobspecs/hello.nomad.hcl"
# exec, so that Ctrl-C and SIGTERM reach the agent itself.
# shellcheck disable=SC2086
exec bin/nomadlike agent -dev ${ARGS:-} "$@"
