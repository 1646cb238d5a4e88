#!/usr/bin/env bash
# Checks the layering rules of shared/ARCHITECTURE.md (website/internals.md).
# Fails listing every package that imports across a rule.
set -euo pipefail
# The root module's path (go list -m lists every module of the go.work
# workspace: the agent, the driver SDK and the example driver).
mod=$(awk '$1 == "module" { print $2; exit }' go.mod)
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

# 3. The driver SDK (module $mod/drivers, its own go.mod) and the built-in
# driver plugins (plugins/...) never import nomadlike/... (nor each other's
# insides: the SDK imports nothing of the root module at all, so a
# third-party driver's module graph stays the SDK's).
for p in $(go list "$mod/drivers/..." 2>/dev/null || true); do
	for d in $(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$p"); do
		case "$d" in
		"$mod/drivers" | "$mod/drivers/"*) ;;
		"$mod" | "$mod/"*) violation "$p imports $d (the driver SDK must import nothing of the root module)" ;;
		esac
	done
done
for p in $(go list "$mod/plugins/..." 2>/dev/null || true); do
	for d in $(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$p"); do
		case "$d" in
		"$mod/nomadlike" | "$mod/nomadlike/"*) violation "$p imports $d (driver plugins must not import nomadlike/...)" ;;
		esac
	done
done
if [ -z "$(go list "$mod/drivers/..." 2>/dev/null)" ] || [ -z "$(go list "$mod/plugins/..." 2>/dev/null)" ]; then
	violation "go list $mod/drivers/... or $mod/plugins/... found no package (run from the repository root, in its go.work workspace)"
fi

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

# 11. drivers/schema (the SDK's config decoder, which the servers run too)
# imports only the standard library; server/driverschema only that, nomadlike
# and drivers/schema (driver config schemas, issue #20).
for d in $(deps "$mod/drivers/schema"); do
	violation "$mod/drivers/schema must import only the standard library, imports $d"
done
for d in $(deps "$mod/nomadlike/server/driverschema"); do
	case "$d" in
	"$mod/nomadlike" | "$mod/drivers/schema") continue ;;
	esac
	violation "$mod/nomadlike/server/driverschema must import only the standard library, nomadlike and drivers/schema, imports $d"
done

# 12. queue (the order of waiting work and its reasons, pure) imports only
# the standard library and nomadlike (queue, issue #15).
for d in $(deps "$mod/nomadlike/queue"); do
	case "$d" in
	"$mod/nomadlike") continue ;;
	esac
	violation "$mod/nomadlike/queue must import only the standard library and nomadlike, imports $d"
done

# 13. dns (the client's DNS interface, issue #13) reads the catalog through
# the servers' API, as the client does: no server-side packages.
for d in $(deps "$mod/nomadlike/dns"); do
	case "$d" in
	"$mod/nomadlike/server"* | "$mod/nomadlike/fsm"* | "$mod/nomadlike/state"* | "$mod/nomadlike/scheduler"* | "$mod/nomadlike/httpapi"* | "$mod/nomadlike/agent"*)
		violation "$mod/nomadlike/dns imports $d (it reads the catalog through the servers' API)" ;;
	esac
done

# 14. server/deploywatch (the leader's deployment watcher) reads the state
# store and writes through a Writer the server implements: it imports only
# state and what state and hclog import, never server, raft, httpapi or the
# scheduler (deployments, issue #13).
dwok=$( (echo "$mod/nomadlike/state"; deps "$mod/nomadlike/state"; echo github.com/hashicorp/go-hclog; deps github.com/hashicorp/go-hclog) | sort -u)
for d in $(deps "$mod/nomadlike/server/deploywatch"); do
	if ! grep -qxF "$d" <<<"$dwok"; then
		violation "$mod/nomadlike/server/deploywatch must import only state (and hclog), imports $d"
	fi
done

# 15. server/drainer (the leader's node drainer, migrate blocks, issue #13)
# reads the state store and writes through a Writer the server implements,
# as deploywatch: only state (and hclog).
for d in $(deps "$mod/nomadlike/server/drainer"); do
	if ! grep -qxF "$d" <<<"$dwok"; then
		violation "$mod/nomadlike/server/drainer must import only state (and hclog), imports $d"
	fi
done

# 16. ui (the web UI) reads the cluster only through nomadlike/api, as any
# other API client (direct imports: the standard library, nomadlike,
# nomadlike/api and go-hclog; issue #18).
for p in $(go list "$mod/nomadlike/ui/..." 2>/dev/null || true); do
	for d in $(go list -f '{{join .Imports "\n"}}' "$p"); do
		case "$d" in
		"$mod/nomadlike" | "$mod/nomadlike/api" | github.com/hashicorp/go-hclog) continue ;;
		"$mod/"* | *.*/*) violation "$p imports $d (the UI reads the cluster through nomadlike/api only)" ;;
		esac
	done
done

# 17. simnode (simulated client nodes for the scale benchmarks) talks to the
# servers through nomadlike/api only, as the client does.
for d in $(deps "$mod/nomadlike/simnode"); do
	case "$d" in
	"$mod/nomadlike/server"* | "$mod/nomadlike/fsm"* | "$mod/nomadlike/state"* | "$mod/nomadlike/scheduler"* | "$mod/nomadlike/broker"* | "$mod/nomadlike/plan"* | "$mod/nomadlike/httpapi"* | "$mod/nomadlike/client"*)
		violation "$mod/nomadlike/simnode imports $d (simulated nodes talk to servers through nomadlike/api)" ;;
	esac
done

# 18. periodic (cron specs, pure) imports only the standard library,
# nomadlike and cronexpr; fixture (test builders) only the standard library
# and nomadlike; internal/jsonx only the standard library and go-json;
# internal/ctxsleep only the standard library.
for d in $(deps "$mod/nomadlike/periodic"); do
	case "$d" in
	"$mod/nomadlike" | github.com/hashicorp/cronexpr) continue ;;
	esac
	violation "$mod/nomadlike/periodic must import only the standard library, nomadlike and cronexpr, imports $d"
done
for d in $(deps "$mod/nomadlike/fixture"); do
	[ "$d" = "$mod/nomadlike" ] && continue
	violation "$mod/nomadlike/fixture must import only the standard library and nomadlike, imports $d"
done
for d in $(deps "$mod/nomadlike/internal/jsonx"); do
	case "$d" in
	github.com/goccy/go-json | github.com/goccy/go-json/*) continue ;;
	esac
	violation "$mod/nomadlike/internal/jsonx must import only the standard library and go-json, imports $d"
done
for d in $(deps "$mod/nomadlike/internal/ctxsleep"); do
	violation "$mod/nomadlike/internal/ctxsleep must import only the standard library, imports $d"
done

# 19. state (the store) is below the scheduler, the server and the HTTP API:
# it imports none of them (assertions that a snapshot satisfies
# scheduler.State live in server).
for p in $(go list "$mod/nomadlike/state/..." 2>/dev/null || true); do
	for d in $(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$p"); do
		case "$d" in
		"$mod/nomadlike/scheduler"* | "$mod/nomadlike/server"* | "$mod/nomadlike/httpapi"* | "$mod/nomadlike/broker"* | "$mod/nomadlike/plan"* | "$mod/nomadlike/fsm"*)
			violation "$p imports $d (state is below scheduler, server, httpapi, broker, plan and fsm)" ;;
		esac
	done
done

# 20. go-memdb is the state store's implementation: only nomadlike/state
# imports it (tests included). Its readers (httpapi, server and its leader
# duties) watch through state.WatchSet; httpapi reads through its own
# httpapi.Store interface, never *state.StateStore (code health, issue #19).
while read -r p imports; do
	[ "$p" = "$mod/nomadlike/state" ] && continue
	for d in $imports; do
		case "$d" in
		github.com/hashicorp/go-memdb | github.com/hashicorp/go-memdb/*)
			violation "$p imports $d (only nomadlike/state uses go-memdb; readers take a state.WatchSet)" ;;
		esac
	done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' "$mod/..." 2>/dev/null || true)
for l in $(grep -n '\*state\.StateStore\b' nomadlike/httpapi/*.go | grep -v '_test\.go:' | grep -Ev '^[^:]+:[0-9]+:\s*//' | grep -v ':var _ Store = (\*state\.StateStore)(nil)$' | cut -d: -f1,2); do
	violation "$l names *state.StateStore (httpapi reads through its httpapi.Store interface)"
done

if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "layering: ok"
