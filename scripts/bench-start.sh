#!/usr/bin/env bash
# Measures `agent -dev` start → node ready and the idle RSS of the agent and
# its driver plugin processes. Usage:
#   scripts/bench-start.sh [BINARY] [RUNS]
# BINARY defaults to bin/nomadlike, RUNS to 5. Each run starts the agent on
# free ports (other agents may hold 4646), polls GET /v1/nodes every 10 ms
# until a node reports "ready", waits IDLE seconds (3), sums VmRSS of the
# agent and its child processes, and stops the agent with SIGTERM.
# Prints one line per run and the range. Times include curl's own start
# (a few ms per poll); compare binaries back to back on the same host.
set -euo pipefail
BIN=${1:-bin/nomadlike}
RUNS=${2:-5}
IDLE=${IDLE:-3}
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# sum_kib FIELD PID: FIELD (Rss, Pss, Anonymous) of /proc/PID/smaps_rollup
# summed over PID and its children. Rss counts the binary's pages once per
# process (the plugins run the same binary); Pss shares them out.
sum_kib() {
	local total=0 p
	for p in "$2" $(pgrep -P "$2" || true); do
		total=$((total + $(awk -v f="$1:" '$1 == f {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
	done
	echo "$total"
}
times=() rsss=() psss=()
for i in $(seq 1 "$RUNS"); do
	http=$(freeport) rpc=$(freeport)
	log=$(mktemp)
	start=$(date +%s.%N)
	"$BIN" agent -dev -http-port "$http" -rpc-port "$rpc" -log-level WARN >"$log" 2>&1 &
	pid=$!
	ready=""
	for _ in $(seq 1 1000); do
		if curl -fs "http://127.0.0.1:$http/v1/nodes" 2>/dev/null | grep -q '"Status":"ready"'; then
			ready=$(date +%s.%N)
			break
		fi
		sleep 0.01
	done
	if [ -z "$ready" ]; then
		echo "run $i: node not ready after 10 s; log:" >&2
		cat "$log" >&2
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		exit 1
	fi
	sleep "$IDLE"
	rss=$(sum_kib Rss "$pid") pss=$(sum_kib Pss "$pid") anon=$(sum_kib Anonymous "$pid")
	nproc=$(( $( (pgrep -P "$pid" || true) | wc -l) + 1 ))
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	rm -f "$log"
	t=$(echo "$ready - $start" | bc -l)
	printf 'run %d: start -> node ready %.3f s, idle RSS %d MiB (PSS %d, anonymous %d; %d processes), load %s\n' \
		"$i" "$t" $((rss / 1024)) $((pss / 1024)) $((anon / 1024)) "$nproc" "$(cut -d' ' -f1 /proc/loadavg)"
	times+=("$t") rsss+=($((rss / 1024))) psss+=($((pss / 1024)))
done
printf 'range: start -> ready %s-%s s, idle RSS %s-%s MiB, PSS %s-%s MiB\n' \
	"$(printf '%s\n' "${times[@]}" | sort -g | head -1 | xargs printf '%.2f')" \
	"$(printf '%s\n' "${times[@]}" | sort -g | tail -1 | xargs printf '%.2f')" \
	"$(printf '%s\n' "${rsss[@]}" | sort -g | head -1)" "$(printf '%s\n' "${rsss[@]}" | sort -g | tail -1)" \
	"$(printf '%s\n' "${psss[@]}" | sort -g | head -1)" "$(printf '%s\n' "${psss[@]}" | sort -g | tail -1)"
