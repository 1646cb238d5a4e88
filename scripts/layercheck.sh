#!/usr/bin/env bash
# Checks the layering rules of shared/ARCHITECTURE.md (website/internals.md).
# Fails listing every package that imports across a rule.
set -euo pipefail
mod=$(go list -m)
fail=0

# deps PKGPATTERN: non-standard packages each matched package depends on, as "pkg dep".
deps() {
	go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$1" 2>/dev/null | grep -v "^$1\$" || true
}

violation() {
	echo "layering: $1" >&2
	fail=1
}

# 1. nomadlike imports only the standard library.
for d in $(deps "$mod/nomadlike"); do
	violation "$mod/nomadlike must import only the standard library, imports $d"
done

# 2. scheduler imports only nomadlike and its own subpackages.
for p in $(go list "$mod/nomadlike/scheduler/..." 2>/dev/null | grep -v '/schedtest$' || true); do
	for d in $(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$p"); do
		case "$d" in
		"$mod/nomadlike" | "$mod/nomadlike/scheduler" | "$mod/nomadlike/scheduler/"*) ;;
		*) violation "$p imports $d (scheduler may import only nomadlike and its own subpackages)" ;;
		esac
	done
done

# 3. drivers never import nomadlike/...
for p in $(go list "$mod/drivers/..." 2>/dev/null || true); do
	for d in $(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$p"); do
		case "$d" in
		"$mod/nomadlike" | "$mod/nomadlike/"*) violation "$p imports $d (drivers must not import nomadlike/...)" ;;
		esac
	done
done

# 4. client never imports server, fsm, state, scheduler, broker or plan.
for p in $(go list "$mod/nomadlike/client/..." 2>/dev/null || true); do
	for d in $(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$p"); do
		case "$d" in
		"$mod/nomadlike/server"* | "$mod/nomadlike/fsm"* | "$mod/nomadlike/state"* | "$mod/nomadlike/scheduler"* | "$mod/nomadlike/broker"* | "$mod/nomadlike/plan"*)
			violation "$p imports $d (the client talks to servers through nomadlike/api)" ;;
		esac
	done
done

# 5. command imports api, jobspec and agent, not server internals (direct imports).
for p in $(go list "$mod/command/..." 2>/dev/null || true); do
	for d in $(go list -f '{{join .Imports "\n"}}' "$p"); do
		case "$d" in
		"$mod/nomadlike/server"* | "$mod/nomadlike/fsm"* | "$mod/nomadlike/state"* | "$mod/nomadlike/scheduler"* | "$mod/nomadlike/broker"* | "$mod/nomadlike/plan"* | "$mod/nomadlike/httpapi"*)
			violation "$p imports $d (command talks to agents through api, and starts them through agent)" ;;
		esac
	done
done

# 6. acl imports only the standard library, hcl/v2 and what hcl/v2 itself needs
# (go-cty, ...): it is the policy language, not a server package.
hcldeps=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' github.com/hashicorp/hcl/v2/hclsyntax 2>/dev/null || true)
for p in $(go list "$mod/nomadlike/acl/..." 2>/dev/null || true); do
	for d in $(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$p"); do
		case "$d" in
		"$mod/nomadlike/acl" | "$mod/nomadlike/acl/"*) continue ;;
		esac
		if ! grep -qxF "$d" <<<"$hcldeps"; then
			violation "$p imports $d (acl may import only the standard library and hcl/v2)"
		fi
	done
done

# 8. connlimit (a listener wrapper for the agent and the server) imports only
# the standard library.
for d in $(deps "$mod/nomadlike/connlimit"); do
	violation "$mod/nomadlike/connlimit must import only the standard library, imports $d"
done

# 9. tlsutil (the agent's TLS configs and certificate generation) imports
# only the standard library (mTLS, issue #11).
for d in $(deps "$mod/nomadlike/tlsutil"); do
	violation "$mod/nomadlike/tlsutil must import only the standard library, imports $d"
done

# 10. server/gc (the garbage collector's selection, pure) imports only the
# standard library and nomadlike (server gc, issue #14).
for d in $(deps "$mod/nomadlike/server/gc"); do
	case "$d" in
	"$mod/nomadlike") continue ;;
	esac
	violation "$mod/nomadlike/server/gc must import only the standard library and nomadlike, imports $d"
done

# 11. server/deploywatch (the leader's deployment watcher) reads the state
# store and writes through a Writer the server implements: it imports only
# state and what state and hclog import, never server, raft, httpapi or the
# scheduler (deployments, issue #13).
dwok=$( (echo "$mod/nomadlike/state"; deps "$mod/nomadlike/state"; echo github.com/hashicorp/go-hclog; deps github.com/hashicorp/go-hclog) | sort -u)
for d in $(deps "$mod/nomadlike/server/deploywatch"); do
	if ! grep -qxF "$d" <<<"$dwok"; then
		violation "$mod/nomadlike/server/deploywatch must import only state (and hclog), imports $d"
	fi
done

if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "layering: ok"
