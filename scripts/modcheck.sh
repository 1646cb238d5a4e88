#!/usr/bin/env bash
# The module layout (website/writing-a-driver.md): the driver SDK
# github.com/nomadlike/nomadlike/drivers is its own module, the agent and the
# example driver require it, and no go.mod carries a replace directive (a
# third party's build would not see one; the go.work workspace stands in for
# the unpublished SDK version here).
#
#   scripts/modcheck.sh        check: no replace, the SDK builds on its own
#   scripts/modcheck.sh tidy   go mod tidy every module
set -euo pipefail
cd "$(dirname "$0")/.."
sdk=github.com/nomadlike/nomadlike/drivers
mods=(. drivers examples/sleepy-driver)

if [ "${1:-}" = tidy ]; then
	# go mod tidy ignores go.work and would look the SDK's version up on the
	# module proxy: point it at ./drivers for the run, then drop the replace.
	for m in "${mods[@]}"; do
		(
			cd "$m"
			if [ "$m" != drivers ]; then
				rel=$(realpath --relative-to=. "$OLDPWD/drivers")
				case "$rel" in .*) ;; *) rel="./$rel" ;; esac
				go mod edit -replace="$sdk=$rel"
				trap 'go mod edit -dropreplace='"$sdk" EXIT
			fi
			GOWORK=off go mod tidy
		)
	done
	exit 0
fi

fail=0
for m in "${mods[@]}"; do
	if grep -qE '^[[:space:]]*replace\b' "$m/go.mod"; then
		echo "modcheck: $m/go.mod has a replace directive (use the go.work workspace)" >&2
		fail=1
	fi
done
# The SDK needs nothing of the rest of the repository: it builds outside the
# workspace, from its own go.mod and go.sum.
if ! (cd drivers && GOWORK=off go build ./... && GOWORK=off go vet ./...); then
	echo "modcheck: the driver SDK does not build as a module of its own (cd drivers && GOWORK=off go build ./...)" >&2
	fail=1
fi
exit "$fail"
