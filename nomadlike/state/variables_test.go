package state

import (
	"bytes"
	"errors"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
)

func u64(n uint64) *uint64 { return &n }

var testTime = time.Unix(1700000000, 0)

func sealedVar(t *testing.T, k *keyring.Key, ns, path, secret string) *nomadlike.VariableEncrypted {
	t.Helper()
	data, err := k.Seal([]byte(`{"password":"`+secret+`"}`), nomadlike.VariableAAD(ns, path))
	if err != nil {
		t.Fatal(err)
	}
	return &nomadlike.VariableEncrypted{Namespace: ns, Path: path, KeyID: k.Meta.KeyID, Data: data}
}

func TestVariableApplyCAS(t *testing.T) {
	s := newStore(t)
	k, _ := keyring.NewKey("k1", testTime)
	v := sealedVar(t, k, "default", "app/db", "s3cret")
	cases := []struct {
		name    string
		index   uint64
		op      string
		cas     *uint64
		wantErr error
		wantMod uint64 // ModifyIndex after, 0: absent
	}{
		{"cas 0 creates", 10, VarOpSet, u64(0), nil, 10},
		{"cas 0 on existing conflicts", 11, VarOpSet, u64(0), nomadlike.ErrConflict, 10},
		{"stale cas conflicts", 12, VarOpSet, u64(9), nomadlike.ErrConflict, 10},
		{"right cas updates", 13, VarOpSet, u64(10), nil, 13},
		{"no cas updates", 14, VarOpSet, nil, nil, 14},
		{"delete stale cas conflicts", 15, VarOpDelete, u64(13), nomadlike.ErrConflict, 14},
		{"delete right cas", 16, VarOpDelete, u64(14), nil, 0},
		{"delete missing is a no-op", 17, VarOpDelete, nil, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.VariableApply(tc.index, tc.op, v, tc.cas, int64(tc.index))
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("VariableApply = %v, want %v", err, tc.wantErr)
			}
			var ce *VariableConflictError
			if errors.As(err, &ce) && ce.Current == nil {
				t.Fatal("conflict without the current variable")
			}
			got, _ := s.VariableByPath(nil, "default", "app/db")
			switch {
			case tc.wantMod == 0 && got != nil:
				t.Fatalf("variable present, want absent")
			case tc.wantMod != 0 && (got == nil || got.ModifyIndex != tc.wantMod || got.CreateIndex != 10):
				t.Fatalf("variable = %+v, want ModifyIndex %d CreateIndex 10", got, tc.wantMod)
			}
		})
	}
}

func TestVariableRekeyKeepsIndexes(t *testing.T) {
	s := newStore(t)
	k1, _ := keyring.NewKey("k1", testTime)
	k2, _ := keyring.NewKey("k2", testTime)
	must(t, s.VariableApply(5, VarOpSet, sealedVar(t, k1, "default", "a", "x"), nil, 5))
	ws := memdb.NewWatchSet()
	if _, err := s.Variables(ws, "default", ""); err != nil {
		t.Fatal(err)
	}
	nv := sealedVar(t, k2, "default", "a", "x")
	nv.ModifyIndex = 5
	must(t, s.VariableApply(6, VarOpRekey, nv, nil, 6))
	got, _ := s.VariableByPath(nil, "default", "a")
	if got.KeyID != "k2" || got.ModifyIndex != 5 {
		t.Fatalf("after rekey: %+v", got)
	}
	stale := sealedVar(t, k1, "default", "a", "x")
	stale.ModifyIndex = 4
	must(t, s.VariableApply(7, VarOpRekey, stale, nil, 7))
	if got, _ := s.VariableByPath(nil, "default", "a"); got.KeyID != "k2" {
		t.Fatal("a stale rekey replaced the variable")
	}
	if idx, _ := s.Index(TableVariables); idx != 5 {
		t.Fatalf("table index = %d, want 5 (a rekey is not a change)", idx)
	}
}

// TestVariableSnapshotRestore: a restored store decrypts its variables
// and keeps its wrapped keys; the dump holds no plaintext item.
func TestVariableSnapshotRestore(t *testing.T) {
	s := newStore(t)
	k, _ := keyring.NewKey("k1", testTime)
	kek, _ := keyring.NewKEK()
	wrapped, _ := keyring.Wrap(kek, k)
	must(t, s.UpsertRootKey(3, &nomadlike.WrappedRootKey{Meta: k.Meta, Wrap: nomadlike.WrapClusterKey, WrappedKey: wrapped}))
	must(t, s.VariableApply(4, VarOpSet, sealedVar(t, k, "default", "nomad/jobs/app", "s3cret-plain"), nil, 4))
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("s3cret-plain")) || bytes.Contains(buf.Bytes(), k.Material()) {
		t.Fatal("the snapshot holds a plaintext item or key material")
	}
	r, err := RestoreFrom(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := r.RootKeys(nil)
	if len(keys) != 1 {
		t.Fatalf("restored %d keys", len(keys))
	}
	rk, err := keyring.Unwrap(kek, keys[0].Meta, keys[0].WrappedKey)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := r.VariableByPath(nil, "default", "nomad/jobs/app")
	plain, err := rk.Open(v.Data, nomadlike.VariableAAD(v.Namespace, v.Path))
	if err != nil || !bytes.Contains(plain, []byte("s3cret-plain")) {
		t.Fatalf("restored variable opens to %q, %v", plain, err)
	}
}

func TestUpsertRootKeyOneActive(t *testing.T) {
	s := newStore(t)
	for i, id := range []string{"k1", "k2"} {
		k, _ := keyring.NewKey(id, testTime)
		w, _ := keyring.Wrap(make([]byte, 32), k)
		must(t, s.UpsertRootKey(uint64(10+i), &nomadlike.WrappedRootKey{Meta: k.Meta, WrappedKey: w}))
	}
	keys, _ := s.RootKeys(nil)
	states := map[string]string{}
	for _, k := range keys {
		states[k.Meta.KeyID] = k.Meta.State
	}
	if states["k1"] != nomadlike.RootKeyStateInactive || states["k2"] != nomadlike.RootKeyStateActive {
		t.Fatalf("states = %v", states)
	}
}
