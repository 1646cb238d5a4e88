package localstate

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestBoltGroupCommit: concurrent writers share commits, every write is
// there after a reopen, and a write that fails fails alone.
func TestBoltGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := 0; i < 20; i++ {
		if err := db.PutAlloc(&nomadlike.Allocation{ID: fmt.Sprintf("alloc-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			alloc := fmt.Sprintf("alloc-%d", i%20)
			task := fmt.Sprintf("task-%d", i)
			errs[i] = db.PutTaskState(alloc, task, &nomadlike.TaskState{State: nomadlike.TaskStateRunning, Restarts: uint64(i)})
		}(i)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		// An empty bucket name is refused by bolt.
		errs[n] = db.PutTaskState("", "bad", &nomadlike.TaskState{})
	}()
	wg.Wait()
	for i, err := range errs[:n] {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if errs[n] == nil {
		t.Errorf("write to an empty allocation ID succeeded")
	}
	db.Close()

	db, err = OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	states, err := db.Allocs()
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, as := range states {
		for name, ts := range as.TaskStates {
			var i int
			if _, err := fmt.Sscanf(name, "task-%d", &i); err != nil || ts.Restarts != uint64(i) {
				t.Errorf("task %s restored as %+v", name, ts)
			}
			got++
		}
	}
	if got != n {
		t.Errorf("restored %d task states, want %d", got, n)
	}
}
