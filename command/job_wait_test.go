package command

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestOutcomeString(t *testing.T) {
	cases := []struct {
		name string
		o    nomadlike.JobOutcome
		want string
	}{
		{"succeeded", nomadlike.JobOutcome{Status: "succeeded", Total: 50, Succeeded: 50}, "succeeded: 50 of 50"},
		{"failed", nomadlike.JobOutcome{Status: "failed", Total: 50, Succeeded: 47, Failed: 3}, "failed: 3 of 50"},
		{"stopped", nomadlike.JobOutcome{Status: "stopped", Total: 50, Succeeded: 48, Stopped: 2}, "stopped: 2 of 50"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := outcomeString(&tc.o); got != tc.want {
				t.Errorf("outcomeString(%+v) = %q, want %q", tc.o, got, tc.want)
			}
			if got, want := jobStatusText(nomadlike.JobStatusDead, false, &tc.o), "dead ("+tc.want+")"; got != want {
				t.Errorf("jobStatusText = %q, want %q", got, want)
			}
		})
	}
	if got := jobStatusText(nomadlike.JobStatusRunning, false, nil); got != "running" {
		t.Errorf("jobStatusText(running) = %q, want running", got)
	}
}

func TestExitDescription(t *testing.T) {
	cases := []struct {
		name   string
		events []*nomadlike.TaskEvent
		want   string
	}{
		{"exit code beats a later not-restarting event", []*nomadlike.TaskEvent{
			{Type: nomadlike.TaskEventTerminated, ExitCode: 7},
			{Type: nomadlike.TaskEventNotRestarting, FailsTask: true, DisplayMessage: "Policy allows no restarts"},
		}, "exit code 7"},
		{"signal", []*nomadlike.TaskEvent{{Type: nomadlike.TaskEventTerminated, ExitCode: 137, Signal: 9}}, "exit code 137, signal 9"},
		{"driver error", []*nomadlike.TaskEvent{{Type: nomadlike.TaskEventDriverFailure, DriverError: "no such file"}}, "driver error: no such file"},
		{"nothing known", nil, "failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := exitDescription(&nomadlike.TaskState{Failed: true, Events: tc.events}); got != tc.want {
				t.Errorf("exitDescription = %q, want %q", got, tc.want)
			}
		})
	}
}

// progressByGroup counts shards by their latest attempt: a failed attempt
// replaced by a running one is running, a never placed index is queued.
func TestProgressByGroup(t *testing.T) {
	job := fixture.BatchJob(4)
	stub := func(i int, create uint64, status string) *nomadlike.AllocListStub {
		return &nomadlike.AllocListStub{ID: nomadlike.AllocName(job.ID, "work", i) + status, Name: nomadlike.AllocName(job.ID, "work", i),
			TaskGroup: "work", JobType: job.Type, CreateIndex: create, ClientStatus: status, DesiredStatus: nomadlike.AllocDesiredStatusRun}
	}
	allocs := []*nomadlike.AllocListStub{
		stub(0, 10, nomadlike.AllocClientStatusComplete),
		stub(1, 10, nomadlike.AllocClientStatusFailed), stub(1, 12, nomadlike.AllocClientStatusRunning),
		stub(2, 10, nomadlike.AllocClientStatusFailed),
	}
	got := progressByGroup(job, allocs)["work"]
	want := groupProgress{running: 1, succeeded: 1, failed: 1, queued: 1}
	if got == nil || *got != want {
		t.Errorf("progressByGroup = %+v, want %+v", got, want)
	}
	latest := latestAttempts(allocs)
	if latest[allocs[1].ID] || !latest[allocs[2].ID] || len(latest) != 3 {
		t.Errorf("latestAttempts = %v, want the running attempt of index 1 and not the failed one", latest)
	}
}
