package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestGroupDependencyPipeline runs build -> test -> package through the
// servers with a fake client: each finished allocation of a group others
// depend on creates an evaluation that places the next group; a failed
// test (no reschedule) skips package and the job's outcome is failed.
func TestGroupDependencyPipeline(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 1, nil)
	job := fixture.BatchJob(1)
	base := job.TaskGroups[0]
	base.ReschedulePolicy = &nomadlike.ReschedulePolicy{Attempts: 0, Interval: time.Hour, DelayFunction: nomadlike.DelayFunctionConstant}
	var groups []*nomadlike.TaskGroup
	for i, name := range []string{"build", "test", "package"} {
		tg := base.Copy()
		tg.Name = name
		if i > 0 {
			tg.DependsOn = []*nomadlike.GroupDependency{{Group: groups[i-1].Name, Condition: nomadlike.DependsSuccess}}
		}
		groups = append(groups, tg)
	}
	job.TaskGroups = groups
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	finish := func(group, status string) {
		t.Helper()
		var live *nomadlike.Allocation
		poll.Until(t, 10*time.Second, group+" placed alone", func() (bool, string) {
			l := liveAllocs(t, s, job)
			if len(l) != 1 || l[0].TaskGroup != group {
				return false, fmt.Sprintf("%d live", len(l))
			}
			live = l[0]
			return true, ""
		})
		upd := []*nomadlike.Allocation{{ID: live.ID, ClientStatus: status}}
		if _, err := s.UpdateAllocsFromClient(secretOf(t, s, live.NodeID), upd); err != nil {
			t.Fatal(err)
		}
	}
	finish("build", nomadlike.AllocClientStatusComplete)
	finish("test", nomadlike.AllocClientStatusFailed)
	poll.Until(t, 10*time.Second, "job dead and failed", func() (bool, string) {
		j, _ := s.State().JobByID(nil, job.Namespace, job.ID)
		return j != nil && j.Outcome != nil && j.Outcome.Status == nomadlike.OutcomeFailed, fmt.Sprintf("job %+v", j)
	})
	all, _ := s.State().AllocsByJob(nil, job.Namespace, job.ID)
	for _, a := range all {
		if a.TaskGroup == "package" {
			t.Fatalf("package was placed after test failed: %s", a.ID)
		}
	}
	evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
	found := false
	for _, e := range evals {
		found = found || e.TriggeredBy == nomadlike.EvalTriggerGroupDependency
	}
	if !found {
		t.Fatal("no group-dependency evaluation")
	}
}
