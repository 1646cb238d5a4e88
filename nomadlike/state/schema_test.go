package state

import (
	"bytes"
	"testing"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// The allocation indexes build the keys memdb's generic indexers would.
func TestAllocIndexKeysMatchMemdb(t *testing.T) {
	tables := schema().Tables[TableAllocs].Indexes
	generic := map[string]memdb.SingleIndexer{
		indexID:   &memdb.StringFieldIndex{Field: "ID"},
		indexNode: &memdb.StringFieldIndex{Field: "NodeID"},
		indexJob:  nsIDIndex("JobID"),
	}
	cases := []struct {
		name  string
		alloc *nomadlike.Allocation
	}{
		{"all set", &nomadlike.Allocation{ID: "a1", Namespace: "default", JobID: "web", NodeID: "n1", EvalID: "e1"}},
		{"no node or eval", &nomadlike.Allocation{ID: "a2", Namespace: "default", JobID: "web"}},
		{"no namespace", &nomadlike.Allocation{ID: "a3", JobID: "web", NodeID: "n1"}},
		{"no job", &nomadlike.Allocation{ID: "a4", Namespace: "default", EvalID: "e1"}},
		{"no ID", &nomadlike.Allocation{Namespace: "default", JobID: "web"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for name, want := range generic {
				got := tables[name].Indexer.(memdb.SingleIndexer)
				gotOK, gotKey, gotErr := got.FromObject(tc.alloc)
				wantOK, wantKey, wantErr := want.FromObject(tc.alloc)
				if gotOK != wantOK || !bytes.Equal(gotKey, wantKey) || (gotErr == nil) != (wantErr == nil) {
					t.Errorf("index %q FromObject() = %v, %q, %v, want %v, %q, %v", name, gotOK, gotKey, gotErr, wantOK, wantKey, wantErr)
				}
			}
		})
	}
}
