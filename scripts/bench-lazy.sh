#!/usr/bin/env bash
# Measures the lazily launched built-in driver plugins (issue #19) on an
# `agent -dev` with NOMADLIKE_PLUGIN_IDLE_GRACE=GRACE (5s): the idle RSS sum
# of the agent and its child processes after start; a raw_exec batch job of
# one `/bin/true` from `job run -detach` until complete with no plugin
# running ("cold": the plugin is launched for it) and right after ("warm");
# the RSS sum with the plugin running; then, GRACE + 3 s later, the RSS sum
# again (the plugin stopped idle) and one more cold job. Usage:
#   scripts/bench-lazy.sh [BINARY] [RUNS]
# An agent without lazy plugins (before) shows its plugins in every figure.
set -euo pipefail
BIN=${1:-bin/nomadlike}
RUNS=${2:-3}
GRACE=${GRACE:-5s}
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
sum_rss_mib() {
	local total=0 p
	for p in "$1" $(pgrep -P "$1" || true); do
		total=$((total + $(awk '$1 == "Rss:" {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
	done
	echo $((total / 1024))
}
nprocs() { echo $(($( (pgrep -P "$1" || true) | wc -l) + 1)); }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
job() {
	cat >"$dir/$1.nomad.hcl" <<JOB
job "$1" {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      resources {
        cpu    = 10
        memory = 10
      }
    }
  }
}
JOB
}
# run_job NAME: seconds from `job run -detach` until the job's one
# allocation is complete (polled every 10 ms).
run_job() {
	job "$1"
	local start end c
	start=$(date +%s.%N)
	"$BIN" job run -detach -address "$addr" "$dir/$1.nomad.hcl" >/dev/null
	for _ in $(seq 1 3000); do
		c=$(curl -fs "$addr/v1/job/$1/summary" | python3 -c 'import json,sys; s=json.load(sys.stdin)["Summary"]["g"]; print(s["Complete"], s["Failed"]+s["Lost"])' 2>/dev/null || echo "0 0")
		if [ "${c% *}" -ge 1 ]; then
			end=$(date +%s.%N)
			echo "$end - $start" | bc -l | xargs printf '%.3f'
			return
		fi
		if [ "${c#* }" -gt 0 ]; then
			echo "job $1 failed" >&2
			exit 1
		fi
		sleep 0.01
	done
	echo "job $1 not complete" >&2
	exit 1
}
grace_s=$(python3 -c "import re,sys; v='$GRACE'; m={'ms':0.001,'s':1,'m':60,'h':3600}; print(sum(float(n)*m[u] for n,u in re.findall(r'([0-9.]+)(ms|s|m|h)', v)))")
for i in $(seq 1 "$RUNS"); do
	http=$(freeport) rpc=$(freeport)
	addr="http://127.0.0.1:$http"
	NOMADLIKE_PLUGIN_IDLE_GRACE=$GRACE "$BIN" agent -dev -http-port "$http" -rpc-port "$rpc" -log-level WARN >"$dir/agent.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 1000); do
		curl -fs "$addr/v1/nodes" 2>/dev/null | grep -q '"Status":"ready"' && break
		sleep 0.01
	done
	sleep 3
	idle=$(sum_rss_mib "$pid") idlep=$(nprocs "$pid")
	cold=$(run_job "cold$i")
	warm=$(run_job "warm$i")
	busy=$(sum_rss_mib "$pid") busyp=$(nprocs "$pid")
	sleep "$(echo "$grace_s + 3" | bc -l)"
	after=$(sum_rss_mib "$pid") afterp=$(nprocs "$pid")
	cold2=$(run_job "again$i")
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	printf 'run %d: idle RSS %d MiB (%d proc), first job %s s, next job %s s, RSS with plugin %d MiB (%d proc), %s after: RSS %d MiB (%d proc), job then %s s; load %s\n' \
		"$i" "$idle" "$idlep" "$cold" "$warm" "$busy" "$busyp" "$GRACE+3s" "$after" "$afterp" "$cold2" "$(cut -d' ' -f1 /proc/loadavg)"
done
