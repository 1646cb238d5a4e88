package localstate

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestDBRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		open func(t *testing.T) (DB, func() DB)
	}{
		{"bolt", func(t *testing.T) (DB, func() DB) {
			path := filepath.Join(t.TempDir(), "state.db")
			db, err := OpenBolt(path)
			if err != nil {
				t.Fatal(err)
			}
			return db, func() DB {
				db.Close()
				db2, err := OpenBolt(path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db2.Close() })
				return db2
			}
		}},
		{"mem", func(t *testing.T) (DB, func() DB) {
			db := NewMemDB()
			return db, func() DB { return db }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, reopen := tc.open(t)
			if err := db.PutNodeIdentity("n1", "s1"); err != nil {
				t.Fatal(err)
			}
			a := &nomadlike.Allocation{ID: "a1", Name: "j.g[0]"}
			if err := db.PutAlloc(a); err != nil {
				t.Fatal(err)
			}
			h := &drivers.TaskHandle{Version: 1, State: drivers.TaskStateRunning, DriverState: json.RawMessage(`{"pid":42}`)}
			if err := db.PutTaskRunnerState("a1", "web", &TaskRunnerState{Handle: h, RestartCount: 2}); err != nil {
				t.Fatal(err)
			}
			if err := db.PutTaskState("a1", "web", &nomadlike.TaskState{State: nomadlike.TaskStateRunning, Restarts: 2}); err != nil {
				t.Fatal(err)
			}
			// PutTask writes both states of a task at once.
			if err := db.PutTask("a1", "api", &nomadlike.TaskState{State: nomadlike.TaskStateDead, Failed: true},
				&TaskRunnerState{RestartCount: 3, ArtifactsDone: true}); err != nil {
				t.Fatal(err)
			}
			if err := db.PutAlloc(&nomadlike.Allocation{ID: "gone"}); err != nil {
				t.Fatal(err)
			}
			if err := db.DeleteAlloc("gone"); err != nil {
				t.Fatal(err)
			}
			if err := db.PutDriverPlugin("raw_exec", json.RawMessage(`{"Pid":7}`)); err != nil {
				t.Fatal(err)
			}

			db = reopen()
			id, secret, err := db.NodeIdentity()
			if err != nil || id != "n1" || secret != "s1" {
				t.Fatalf("NodeIdentity() = %q, %q, %v, want n1, s1", id, secret, err)
			}
			allocs, err := db.Allocs()
			if err != nil {
				t.Fatal(err)
			}
			if len(allocs) != 1 || allocs[0].Alloc.ID != "a1" {
				t.Fatalf("Allocs() = %+v, want only a1", allocs)
			}
			tr := allocs[0].Tasks["web"]
			if tr == nil || tr.RestartCount != 2 || string(tr.Handle.DriverState) != `{"pid":42}` {
				t.Fatalf("task runner state = %+v", tr)
			}
			if ts := allocs[0].TaskStates["web"]; ts == nil || ts.State != nomadlike.TaskStateRunning || ts.Restarts != 2 {
				t.Fatalf("task state = %+v", ts)
			}
			if ts, tr := allocs[0].TaskStates["api"], allocs[0].Tasks["api"]; ts == nil || ts.State != nomadlike.TaskStateDead || !ts.Failed ||
				tr == nil || tr.RestartCount != 3 || !tr.ArtifactsDone {
				t.Fatalf("PutTask's task state = %+v, runner state = %+v", ts, tr)
			}
			plugins, err := db.DriverPlugins()
			if err != nil || string(plugins["raw_exec"]) != `{"Pid":7}` {
				t.Fatalf("DriverPlugins() = %v, %v", plugins, err)
			}
			if err := db.DeleteDriverPlugin("raw_exec"); err != nil {
				t.Fatal(err)
			}
			plugins, _ = db.DriverPlugins()
			if len(plugins) != 0 {
				t.Fatalf("DriverPlugins() after delete = %v", plugins)
			}
		})
	}
}
