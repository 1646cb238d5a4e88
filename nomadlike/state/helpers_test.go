package state

import (
	"testing"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func newStore(t *testing.T) *StateStore {
	t.Helper()
	s, err := NewStateStore()
	if err != nil {
		t.Fatalf("NewStateStore() error = %v", err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// storeJob upserts a fixture job at index and returns the stored job.
func storeJob(t *testing.T, s *StateStore, index uint64, job *nomadlike.Job) *nomadlike.Job {
	t.Helper()
	must(t, s.UpsertJob(index, job))
	got, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	return got
}

func allocFor(job *nomadlike.Job, node *nomadlike.Node, i int, clientStatus string) *nomadlike.Allocation {
	a := fixture.Alloc(job, node, i)
	a.ClientStatus = clientStatus
	return a
}

func evalFor(job *nomadlike.Job, status string) *nomadlike.Evaluation {
	e := fixture.Eval(job)
	e.Status = status
	return e
}

// fired reports whether any channel of ws is closed, without blocking.
func fired(ws memdb.WatchSet) bool {
	for ch := range ws {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}
