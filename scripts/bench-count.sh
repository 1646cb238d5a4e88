#!/usr/bin/env bash
# Measures one batch job of COUNT `/bin/true` tasks on an `agent -dev`:
# from the register call (`job run -detach`, CLI start included) until the
# job summary counts COUNT complete, polled every 20 ms. Usage:
#   scripts/bench-count.sh [BINARY] [DRIVER] [COUNT] [RUNS]
# defaults: bin/nomadlike raw_exec 1000 3. A fresh agent per run, on free
# ports. Set PROFILE=file.pprof to take a 10 s CPU profile of the agent
# from the register call (enable_debug is on in dev mode). SETTLE=N sleeps
# N seconds before each run (see BENCHMARKS.md, Round 5 count = 1000: on a
# file system without a journal, inodes freed in the last seconds make new
# ones slow to allocate; the agent's dev data dir is a temp dir, in TMPDIR).
# Each line also gives the CPU seconds used from the register call on: the
# agent, its plugin processes, and the tasks (the plugins' reaped children).
set -euo pipefail
BIN=${1:-bin/nomadlike}
DRIVER=${2:-raw_exec}
COUNT=${3:-1000}
RUNS=${4:-3}
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# num JSON FIELD: the number of "FIELD" in the job summary (one group), else 0.
# cpu PID: "self children" CPU ticks of a process (children: reaped ones).
cpu() { awk '{print $14 + $15, $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo "0 0"; }
num() { if [[ $1 =~ \"$2\":([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/job.nomad.hcl" <<JOB
job "count" {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    count = $COUNT
    ephemeral_disk { size = 10 }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "$DRIVER"
      config { command = "/bin/true" }
      logs {
        max_files     = 1
        max_file_size = 1
      }
      resources {
        cpu    = 1
        memory = 10
      }
    }
  }
}
JOB
for i in $(seq 1 "$RUNS"); do
	sleep "${SETTLE:-0}"
	http=$(freeport) rpc=$(freeport)
	"$BIN" agent -dev -http-port "$http" -rpc-port "$rpc" -log-level WARN >"$dir/agent.log" 2>&1 &
	pid=$!
	addr="http://127.0.0.1:$http"
	for _ in $(seq 1 1000); do
		curl -fs "$addr/v1/nodes" 2>/dev/null | grep -q '"Status":"ready"' && break
		sleep 0.01
	done
	if [ -n "${PROFILE:-}" ]; then
		curl -fs -o "$PROFILE.$i" "$addr/debug/pprof/profile?seconds=10" &
	fi
	declare -A cpu0=()
	for p in $pid $(pgrep -P "$pid"); do cpu0[$p]=$(cpu "$p"); done
	start=$(date +%s.%N)
	"$BIN" job run -detach -address "$addr" "$dir/job.nomad.hcl" >/dev/null
	done_at=""
	for _ in $(seq 1 30000); do
		# Parsed in bash: a python3 per poll cost ~130 ms of CPU on this
		# host, half a core taken from the agent it measures.
		s=$(curl -fs "$addr/v1/job/count/summary" 2>/dev/null || true)
		complete=$(num "$s" Complete) failed=$(($(num "$s" Failed) + $(num "$s" Lost)))
		if [ "$complete" -ge "$COUNT" ]; then
			done_at=$(date +%s.%N)
			break
		fi
		if [ "$failed" -gt 0 ]; then
			echo "run $i: $failed allocations failed" >&2
			break
		fi
		sleep 0.02
	done
	# ticks since the register call: agent, plugins, plugins' children (the
	# tasks); a plugin launched after the call counts from zero.
	ticks=$(for p in $pid $(pgrep -P "$pid"); do echo "$p $(cpu "$p") ${cpu0[$p]:-0 0}"; done |
		awk -v agent="$pid" '{s = $2 - $4; c = $3 - $5; if ($1 == agent) a += s; else {p += s; t += c}} END {print a, p, t}')
	unset cpu0
	rss=0
	for p in "$pid" $(pgrep -P "$pid" || true); do
		rss=$((rss + $(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	wait %?curl 2>/dev/null || true
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	if [ -z "$done_at" ]; then
		echo "run $i: not complete" >&2
		tail -20 "$dir/agent.log" >&2
		exit 1
	fi
	hz=$(getconf CLK_TCK)
	read -r ta tp tt <<<"$ticks"
	printf 'run %d: %s count=%d complete %.2f s (peak RSS sum %d MiB), CPU s agent %.2f plugins %.2f tasks %.2f, load %s\n' \
		"$i" "$DRIVER" "$COUNT" "$(echo "$done_at - $start" | bc -l)" $((rss / 1024)) \
		"$(echo "$ta / $hz" | bc -l)" "$(echo "$tp / $hz" | bc -l)" "$(echo "$tt / $hz" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
done
