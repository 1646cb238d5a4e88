#!/usr/bin/env bash
# The driver plugin protocol's Go code (drivers/proto/*.pb.go) is generated
# from drivers/proto/driver.proto with protoc (Debian's protobuf-compiler,
# 3.21.12), protoc-gen-go and protoc-gen-go-grpc at the versions below (the
# ones named in the generated files' headers).
#
#   scripts/protocheck.sh            check: regenerate into a temp dir and diff (make lint)
#   scripts/protocheck.sh generate   regenerate drivers/proto in place (make proto)
set -euo pipefail
cd "$(dirname "$0")/../drivers/proto"
PROTOC_GEN_GO=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
if ! command -v protoc >/dev/null 2>&1; then
	echo "protocheck: protoc is not installed (make deps installs protobuf-compiler)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/out"
GOBIN="$tmp/bin" GOWORK=off go install "$PROTOC_GEN_GO"
GOBIN="$tmp/bin" GOWORK=off go install "$PROTOC_GEN_GO_GRPC"
out="$tmp/out"
[ "${1:-}" = generate ] && out=.
PATH="$tmp/bin:$PATH" protoc --proto_path=. \
	--go_out="$out" --go_opt=paths=source_relative \
	--go-grpc_out="$out" --go-grpc_opt=paths=source_relative driver.proto
[ "${1:-}" = generate ] && exit 0
fail=0
for f in driver.pb.go driver_grpc.pb.go; do
	if ! diff -u "$f" "$tmp/out/$f" >"$tmp/diff" 2>&1; then
		echo "protocheck: drivers/proto/$f does not match driver.proto; run make proto and commit:" >&2
		head -40 "$tmp/diff" >&2
		fail=1
	fi
done
exit "$fail"
