package server

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// RerunJob refuses a running job and a service job, and on a finished batch
// job with one failed index places exactly that index again (-failed).
func TestRerunJob(t *testing.T) {
	s := clockServer(t, newFakeClock(t0))
	nodes := registerNodes(t, s, 1, nil)
	job := fixture.BatchJob(3)
	job.TaskGroups[0].ReschedulePolicy = &nomadlike.ReschedulePolicy{Attempts: 0}
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	allocs := func() []*nomadlike.Allocation {
		out, err := s.State().AllocsByJob(nil, job.Namespace, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	poll.Until(t, 10*time.Second, "three placements", func() (bool, string) {
		return len(allocs()) == 3, fmt.Sprintf("%d allocations", len(allocs()))
	})
	if _, _, _, err := s.RerunJob(job.Namespace, job.ID, false); !errors.Is(err, nomadlike.ErrConflict) {
		t.Fatalf("RerunJob(running job) = %v, want ErrConflict", err)
	}
	svc := fixture.Job()
	if _, _, _, err := s.RegisterJob(svc, false, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.RerunJob(svc.Namespace, svc.ID, false); !errors.Is(err, nomadlike.ErrConflict) {
		t.Fatalf("RerunJob(service job) = %v, want ErrConflict", err)
	}

	var updates []*nomadlike.Allocation
	for _, a := range allocs() {
		status := nomadlike.AllocClientStatusComplete
		if a.Index() == 1 {
			status = nomadlike.AllocClientStatusFailed
		}
		updates = append(updates, &nomadlike.Allocation{ID: a.ID, ClientStatus: status})
	}
	if _, err := s.UpdateAllocsFromClient(secretOf(t, s, nodes[0].ID), updates); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "the job dead and failed", func() (bool, string) {
		j, _ := s.State().JobByID(nil, job.Namespace, job.ID)
		return j != nil && j.Outcome != nil && j.Outcome.Status == nomadlike.OutcomeFailed, fmt.Sprintf("job %+v", j)
	})
	if _, _, _, err := s.RerunJob(job.Namespace, job.ID, true); err != nil {
		t.Fatalf("RerunJob(-failed) = %v", err)
	}
	poll.Until(t, 10*time.Second, "one new placement", func() (bool, string) {
		return len(allocs()) == 4, fmt.Sprintf("%d allocations", len(allocs()))
	})
	var live []int
	for _, a := range allocs() {
		if !a.ClientTerminalStatus() {
			live = append(live, a.Index())
		}
	}
	sort.Ints(live)
	if !slices.Equal(live, []int{1}) {
		t.Errorf("rerun -failed placed indexes %v, want [1]", live)
	}
}
