package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestJobDependsOn runs nomadlike's job-level depends_on through the
// servers with a fake client: a job waits (no placement) until the job it
// depends on succeeded; when a dependency fails, the dependent is skipped
// with the reason, and so is a job depending on the skipped one; unknown
// jobs and cycles are refused at registration.
func TestJobDependsOn(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 1, nil)
	mk := func(id string, deps ...string) *nomadlike.Job {
		j := fixture.BatchJob(1)
		j.ID, j.Name = id, id
		j.TaskGroups[0].ReschedulePolicy = &nomadlike.ReschedulePolicy{Attempts: 0, Interval: time.Hour, DelayFunction: nomadlike.DelayFunctionConstant}
		for _, d := range deps {
			j.DependsOn = append(j.DependsOn, &nomadlike.JobDependency{Job: d})
		}
		if _, _, _, err := s.RegisterJob(j, false, 0); err != nil {
			t.Fatalf("register %s: %v", id, err)
		}
		return j
	}
	finish := func(job *nomadlike.Job, status string) {
		t.Helper()
		var live []*nomadlike.Allocation
		poll.Until(t, 10*time.Second, job.ID+" placed", func() (bool, string) {
			live = liveAllocs(t, s, job)
			return len(live) == 1, fmt.Sprintf("%d live", len(live))
		})
		upd := []*nomadlike.Allocation{{ID: live[0].ID, ClientStatus: status}}
		if _, err := s.UpdateAllocsFromClient(secretOf(t, s, live[0].NodeID), upd); err != nil {
			t.Fatal(err)
		}
	}
	outcome := func(job *nomadlike.Job, want, reason string) {
		t.Helper()
		poll.Until(t, 15*time.Second, job.ID+" "+want, func() (bool, string) {
			j, _ := s.State().JobByID(nil, job.Namespace, job.ID)
			return j != nil && j.Outcome != nil && j.Outcome.Status == want && j.Outcome.Reason == reason, fmt.Sprintf("job %+v", j)
		})
	}
	noAllocs := func(job *nomadlike.Job) {
		t.Helper()
		if all, _ := s.State().AllocsByJob(nil, job.Namespace, job.ID); len(all) != 0 {
			t.Fatalf("%s was placed (%d allocations) before its dependency finished", job.ID, len(all))
		}
	}

	t.Run("waits for success", func(t *testing.T) {
		build := mk("build")
		deploy := mk("deploy", "build")
		poll.Until(t, 10*time.Second, "build placed", func() (bool, string) { return len(liveAllocs(t, s, build)) == 1, "" })
		noAllocs(deploy)
		finish(build, nomadlike.AllocClientStatusComplete)
		finish(deploy, nomadlike.AllocClientStatusComplete)
		outcome(deploy, nomadlike.OutcomeSucceeded, "")
	})
	t.Run("failure skips dependents", func(t *testing.T) {
		a := mk("a")
		b := mk("b", "a")
		c := mk("c", "b")
		finish(a, nomadlike.AllocClientStatusFailed)
		outcome(b, nomadlike.OutcomeSkipped, `dependency job "a" failed`)
		outcome(c, nomadlike.OutcomeSkipped, `dependency job "b" skipped`)
		noAllocs(b)
		noAllocs(c)
	})
	t.Run("refused at registration", func(t *testing.T) {
		j := fixture.BatchJob(1)
		j.ID, j.DependsOn = "orphan", []*nomadlike.JobDependency{{Job: "nope"}}
		_, _, _, err := s.RegisterJob(j, false, 0)
		if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(fmt.Sprint(err), `DependsOn[0].Job: job "nope" does not exist`) {
			t.Fatalf("unknown dependency: %v", err)
		}
		x := mk("x")
		mk("y", "x")
		x.DependsOn = []*nomadlike.JobDependency{{Job: "y"}}
		_, _, _, err = s.RegisterJob(x, false, 0)
		if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(fmt.Sprint(err), `depends_on cycle: "x" -> "y" -> "x"`) {
			t.Fatalf("cycle: %v", err)
		}
	})
}
