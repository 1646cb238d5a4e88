package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestDispatchMaxConcurrent dispatches 5 children of a job with
// max_concurrent = 2 on a node with room for all: only the first two are
// placed; as each running child finishes, the oldest waiting one starts;
// never more than two run and all five finish.
func TestDispatchMaxConcurrent(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 1, nil)
	parent := fixture.BatchJob(1)
	parent.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: nomadlike.DispatchPayloadOptional, MaxConcurrent: 2}
	if _, _, _, err := s.RegisterJob(parent, false, 0); err != nil {
		t.Fatal(err)
	}
	var children []*nomadlike.Job
	for i := 0; i < 5; i++ {
		id, _, _, err := s.DispatchJob(parent.Namespace, parent.ID, nomadlike.DispatchRequest{})
		if err != nil {
			t.Fatal(err)
		}
		c, _ := s.State().JobByID(nil, parent.Namespace, id)
		children = append(children, c)
	}
	running := func() []*nomadlike.Allocation {
		var out []*nomadlike.Allocation
		for _, c := range children {
			out = append(out, liveAllocs(t, s, c)...)
		}
		return out
	}
	for done := 0; done < 5; done++ {
		want := min(2, 5-done)
		var live []*nomadlike.Allocation
		poll.Until(t, 15*time.Second, fmt.Sprintf("%d children running after %d finished", want, done), func() (bool, string) {
			live = running()
			return len(live) == want, fmt.Sprintf("%d running", len(live))
		})
		// FIFO: the running children are the oldest unfinished ones.
		for _, a := range live {
			if a.JobID != children[done].ID && a.JobID != children[min(done+1, 4)].ID {
				t.Fatalf("after %d finished, %s runs out of turn", done, a.JobID)
			}
		}
		first := live[0]
		for _, a := range live {
			if a.JobID == children[done].ID {
				first = a
			}
		}
		upd := []*nomadlike.Allocation{{ID: first.ID, ClientStatus: nomadlike.AllocClientStatusComplete}}
		if _, err := s.UpdateAllocsFromClient(secretOf(t, s, first.NodeID), upd); err != nil {
			t.Fatal(err)
		}
	}
	poll.Until(t, 15*time.Second, "every child dead", func() (bool, string) {
		for _, c := range children {
			j, _ := s.State().JobByID(nil, c.Namespace, c.ID)
			if j.Status != nomadlike.JobStatusDead {
				return false, c.ID + " is " + j.Status
			}
		}
		return true, ""
	})
}
