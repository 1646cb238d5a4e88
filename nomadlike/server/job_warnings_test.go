package server

import (
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestRegisterJobWarnings: register and plan answers name, one per line,
// the fields a JSON job sets that nomadlike does not act on.
func TestRegisterJobWarnings(t *testing.T) {
	s := clockServer(t, newFakeClock(t0))
	registerNodes(t, s, 1, func(n *nomadlike.Node) { n.Drivers["exec"].ConfigSchema = execSchema })
	job := fixture.BatchJob(1)
	// Services and shutdown_delay work (service catalog): no warning.
	delay := 5 * time.Second
	job.TaskGroups[0].ShutdownDelay = &delay
	job.TaskGroups[0].Services = []*nomadlike.Service{{Name: "web", Provider: "nomad"}}
	// Host volumes work; a CSI volume still has no effect.
	job.TaskGroups[0].Volumes = map[string]*nomadlike.VolumeRequest{"v": {Name: "v", Type: "csi", Source: "v"}}
	job.TaskGroups[0].EphemeralDisk.Sticky = true
	want := []string{
		"TaskGroups[" + job.TaskGroups[0].Name + "].Volumes[v].Type: has no effect in nomadlike",
		"TaskGroups[" + job.TaskGroups[0].Name + "].EphemeralDisk.Sticky: has no effect in nomadlike",
	}

	plan, err := s.PlanJob(job, false)
	if err != nil {
		t.Fatal(err)
	}
	_, _, warnings, err := s.RegisterJob(job, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"plan": plan.Warnings, "register": warnings} {
		lines := strings.Split(got, "\n")
		if len(lines) != len(want) {
			t.Fatalf("%s warnings = %q, want %q", name, got, want)
		}
		for i := range want {
			if lines[i] != want[i] {
				t.Errorf("%s warning %d = %q, want %q", name, i, lines[i], want[i])
			}
		}
	}

	plain := fixture.BatchJob(1)
	plain.ID = "plain"
	if _, _, warnings, err := s.RegisterJob(plain, false, 0); err != nil || warnings != "" {
		t.Errorf("RegisterJob(plain) warnings = %q, %v; want none", warnings, err)
	}
}

// TestPeriodicSysbatch: Nomad allows periodic on sysbatch jobs; a launch
// makes a sysbatch child with its evaluation.
func TestPeriodicSysbatch(t *testing.T) {
	s := clockServer(t, newFakeClock(t0))
	job := fixture.BatchJob(1)
	job.Type = nomadlike.JobTypeSysBatch
	job.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "0 12 * * *"}
	job.Canonicalize()
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatalf("RegisterJob(periodic sysbatch) = %v", err)
	}
	evalID, _, err := s.ForcePeriodic(job.Namespace, job.ID)
	if err != nil || evalID == "" {
		t.Fatalf("ForcePeriodic = %q, %v", evalID, err)
	}
	eval, err := s.fsm.State().EvalByID(nil, evalID)
	if err != nil || eval == nil {
		t.Fatalf("EvalByID(%s) = %v, %v", evalID, eval, err)
	}
	child, err := s.fsm.State().JobByID(nil, eval.Namespace, eval.JobID)
	if err != nil || child == nil || child.Type != nomadlike.JobTypeSysBatch || child.ParentID != job.ID {
		t.Fatalf("child of %s = %+v, %v; want a sysbatch child", job.ID, child, err)
	}
}
