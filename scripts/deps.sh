#!/usr/bin/env bash
# Installs what nomadlike's tests and dev agent need on a Debian host when it
# is missing: busybox-static (exec driver chroots and test images), containerd
# and runc (containerd driver), iproute2 (the partition test's network
# namespaces), chromium (the UI's browser tests), containernetworking-plugins
# and iptables (bridge networks through CNI), bind9-dnsutils (dig, for the DNS
# interface's tests) and haproxy (jobspecs/lb.nomad.hcl's load balancer).
# Idempotent: a no-op when everything is present.
set -euo pipefail
pkgs=(busybox-static containerd runc iproute2 chromium containernetworking-plugins iptables bind9-dnsutils haproxy protobuf-compiler "$@")
if ! command -v dpkg >/dev/null 2>&1; then
	echo "deps: not a Debian host; install ${pkgs[*]} yourself" >&2
	exit 0
fi
missing=()
for pkg in "${pkgs[@]}"; do
	dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing ${missing[*]} and not root; install them with apt-get" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
