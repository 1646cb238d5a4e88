#!/usr/bin/env bash
# Installs what nomadlike's tests and dev agent need on a Debian host, when
# missing. Idempotent; a no-op when everything is present.
set -euo pipefail
need=()
for pkg in "$@"; do need+=("$pkg"); done
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root, skipping package installs" >&2
	exit 0
fi
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null; then
	missing=()
	for pkg in "${need[@]}"; do
		dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "deps: installing ${missing[*]}" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
fi
