#!/usr/bin/env bash
# Starts a dev agent. Until the agent lands, validates the example job files.
set -euo pipefail
for f in jobspecs/*.nomad.hcl; do
	[ -e "$f" ] || continue
	bin/nomadlike job validate "$f"
done
