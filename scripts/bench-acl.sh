#!/bin/bash
# Measures GET /v1/jobs with ACLs off and on against a real server agent
# (BENCHMARKS.md, "Access control"). Run from the repository root after make build.
cd "$(dirname "$0")/.."
set -e
run() { # $1 acl on/off
  D=$(mktemp -d); HP=24746; RP=24747
  if [ "$1" = on ]; then echo 'acl { enabled = true }' > $D/acl.hcl; CFG="-config $D/acl.hcl"; else CFG=""; fi
  bin/nomadlike agent -server -bootstrap-expect 1 -bind 127.0.0.1 -http-port $HP -rpc-port $RP -data-dir $D $CFG > $D/log 2>&1 &
  P=$!
  export NOMAD_ADDR=http://127.0.0.1:$HP
  for i in $(seq 1 50); do curl -sf $NOMAD_ADDR/v1/status/leader | grep -q 127 && break; sleep 0.2; done
  TOK=""
  if [ "$1" = on ]; then TOK=$(bin/nomadlike acl bootstrap | awk '/Secret ID/{print $4}'); fi
  for i in $(seq 1 100); do
    curl -sf -X PUT -H "X-Nomad-Token: $TOK" $NOMAD_ADDR/v1/jobs -d "{\"Job\":{\"ID\":\"j$i\",\"Name\":\"j$i\",\"Type\":\"batch\",\"Datacenters\":[\"dc1\"],\"TaskGroups\":[{\"Name\":\"g\",\"Count\":1,\"Tasks\":[{\"Name\":\"t\",\"Driver\":\"raw_exec\",\"Config\":{\"command\":\"/bin/true\"}}]}]}}" > /dev/null
  done
  if [ "$1" = on ]; then
    echo 'namespace "default" { policy = "read" }' > $D/p.hcl
    NOMAD_TOKEN=$TOK bin/nomadlike acl policy apply readdef $D/p.hcl >/dev/null
    CT=$(NOMAD_TOKEN=$TOK bin/nomadlike acl token create -name r -policy readdef | awk '/Secret ID/{print $4}')
    echo -n "ACLs on, management token: "; go run ./scripts/httpload -addr $NOMAD_ADDR -token $TOK -d 10s -c 8
    echo -n "ACLs on, client token (namespace read): "; go run ./scripts/httpload -addr $NOMAD_ADDR -token $CT -d 10s -c 8
  else
    echo -n "ACLs off: "; go run ./scripts/httpload -addr $NOMAD_ADDR -d 10s -c 8
  fi
  kill $P; wait $P 2>/dev/null || true; rm -rf $D
}
run off; run on; run off; run on
