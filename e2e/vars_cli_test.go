package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	napi "github.com/hashicorp/nomad/api"
)

// TestVarsCLI: var put/get/list/purge through the CLI on a real agent with
// ACLs on; check-and-set conflicts; the items decode with Nomad's api
// types; no plaintext item in the data dir (Raft log, BoltDB, snapshots)
// nor in a saved snapshot; a key rotation keeps old variables readable.
func TestVarsCLI(t *testing.T) {
	v := startVarsAgent(t, true)
	const secret = "s3cret-Zq8vX1"
	out := v.mustCLI("", "var", "put", "nomad/jobs/app", "password="+secret, "user=admin")
	if !strings.Contains(out, "Created variable") {
		t.Fatalf("var put: %s", out)
	}
	if got := v.mustCLI("", "var", "get", "-item", "password", "nomad/jobs/app"); strings.TrimSpace(got) != secret {
		t.Fatalf("var get -item password = %q, want %q", got, secret)
	}
	// key=- reads stdin; the JSON output is Nomad's api.Variable.
	v.mustCLI("from-stdin\n", "var", "put", "-force", "app/config", "token=-")
	var nv napi.Variable
	if err := json.Unmarshal([]byte(v.mustCLI("", "var", "get", "-out", "json", "app/config")), &nv); err != nil {
		t.Fatal(err)
	}
	if nv.Items["token"] != "from-stdin" || nv.Path != "app/config" || nv.ModifyIndex == 0 {
		t.Fatalf("var get app/config = %+v", nv)
	}
	if hcl := v.mustCLI("", "var", "get", "-out", "hcl", "app/config"); !strings.Contains(hcl, `token = "from-stdin"`) {
		t.Fatalf("var get -out hcl = %s", hcl)
	}
	// check-and-set: a stale index is a conflict and changes nothing.
	code, cas := v.cli(v.root, "", "var", "put", "-check-index", "1", "app/config", "token=other")
	if code == 0 || !strings.Contains(cas, "Check-and-Set conflict") {
		t.Fatalf("var put with a stale -check-index = %d %s, want a conflict", code, cas)
	}
	if got := v.mustCLI("", "var", "get", "-item", "token", "app/config"); strings.TrimSpace(got) != "from-stdin" {
		t.Fatalf("after a conflict the item is %q", got)
	}
	// The API answers 409 with the current variable, as Nomad.
	nc, err := napi.NewClient(&napi.Config{Address: "http://" + v.HTTPAddr(), SecretID: v.root})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = nc.Variables().CheckedUpdate(&napi.Variable{Path: "app/config", Items: napi.VariableItems{"token": "x"}, ModifyIndex: 1}, nil)
	var conflict napi.ErrCASConflict
	if !errorsAs(err, &conflict) || conflict.Conflict == nil || conflict.Conflict.ModifyIndex != nv.ModifyIndex {
		t.Fatalf("Nomad's CheckedUpdate with a stale index = %v, want ErrCASConflict at %d", err, nv.ModifyIndex)
	}
	metas, _, err := nc.Variables().PrefixList("app", nil)
	if err != nil || len(metas) != 1 || metas[0].Path != "app/config" {
		t.Fatalf("Nomad's PrefixList(app) = %+v, %v", metas, err)
	}
	if list := v.mustCLI("", "var", "list", "nomad/"); !strings.Contains(list, "nomad/jobs/app") || strings.Contains(list, "app/config") {
		t.Fatalf("var list nomad/ = %s", list)
	}
	// Reserved paths and size limits are refused with the field named.
	if code, out := v.cli(v.root, "", "var", "put", "nomad/other", "a=b"); code == 0 || !strings.Contains(out, "reserved") {
		t.Fatalf("var put nomad/other = %d %s, want refused (reserved)", code, out)
	}
	big := strings.Repeat("x", 70<<10)
	if code, out := v.cli(v.root, big, "var", "put", "big", "blob=-"); code == 0 || !strings.Contains(out, "Items") {
		t.Fatalf("var put of 70 KiB = %d %.200s, want refused naming Items", code, out)
	}

	// Rotation: old variables still read, the new key is active.
	v.mustCLI("", "operator", "root", "keyring", "rotate")
	if got := v.mustCLI("", "var", "get", "-item", "password", "nomad/jobs/app"); strings.TrimSpace(got) != secret {
		t.Fatalf("after rotate: var get = %q", got)
	}
	v.mustCLI("", "var", "put", "-force", "after/rotate", "k=v")
	v.mustCLI("", "operator", "root", "keyring", "rotate", "-full")
	if got := v.mustCLI("", "var", "get", "-item", "password", "nomad/jobs/app"); strings.TrimSpace(got) != secret {
		t.Fatalf("after rotate -full: var get = %q", got)
	}
	keys := v.mustCLI("", "operator", "root", "keyring", "list", "-json")
	var metaList []napi.RootKeyMeta
	if err := json.Unmarshal([]byte(keys), &metaList); err != nil || len(metaList) != 3 {
		t.Fatalf("keyring list = %s (%v), want 3 keys", keys, err)
	}
	// Keyring operations need a management token; JWKS is public.
	if code, out := v.cli("", "", "operator", "root", "keyring", "list"); code == 0 {
		t.Fatalf("keyring list without a token = 0 %s", out)
	}
	resp, err := http.Get("http://" + v.HTTPAddr() + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct{ Keys []map[string]any }
	_ = json.NewDecoder(resp.Body).Decode(&jwks)
	resp.Body.Close()
	if len(jwks.Keys) != 3 || jwks.Keys[0]["kty"] != "OKP" {
		t.Fatalf("jwks = %+v", jwks)
	}

	// No plaintext item anywhere on disk, nor in a saved snapshot.
	snap := filepath.Join(t.TempDir(), "state.snap")
	v.mustCLI("", "operator", "snapshot", "save", snap)
	// The grep reaches the Raft log and the snapshot: the clear metadata
	// (the path) is found there.
	if hits := grepTree(t, "nomad/jobs/app", v.dataDir, snap); len(hits) < 2 {
		t.Fatalf("the path is in %v only: the grep does not cover the raft data and the snapshot", hits)
	}
	if hits := grepTree(t, secret, v.dataDir, snap); len(hits) > 0 {
		t.Fatalf("plaintext item %q found in %v", secret, hits)
	}
	if hits := grepTree(t, "from-stdin", v.dataDir, snap); len(hits) > 0 {
		t.Fatalf("plaintext item found in %v", hits)
	}
	if fi, err := os.Stat(snap); err != nil || fi.Size() == 0 {
		t.Fatalf("snapshot %s: %v", snap, err)
	}

	v.mustCLI("", "var", "purge", "nomad/jobs/app")
	if code, out := v.cli(v.root, "", "var", "get", "nomad/jobs/app"); code == 0 || !strings.Contains(out, "not found") {
		t.Fatalf("var get after purge = %d %s", code, out)
	}
}
