package state

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestScalingEvents: events go first, the newest JobTrackedScalingEvents
// per group are kept, a snapshot keeps them, a purge deletes them, and a
// job that does not exist gets none.
func TestScalingEvents(t *testing.T) {
	s := newStore(t)
	job := storeJob(t, s, 10, fixture.Job())
	for i := range nomadlike.JobTrackedScalingEvents + 5 {
		n := int64(i)
		must(t, s.UpsertScalingEvent(uint64(11+i), job.Namespace, job.ID, "web", &nomadlike.ScalingEvent{Count: &n, Message: "m"}))
	}
	must(t, s.UpsertScalingEvent(100, job.Namespace, job.ID, "other", &nomadlike.ScalingEvent{Error: true}))
	got, err := s.ScalingEventsByJob(nil, job.Namespace, job.ID)
	must(t, err)
	web := got.ScalingEvents["web"]
	if len(web) != nomadlike.JobTrackedScalingEvents || *web[0].Count != int64(nomadlike.JobTrackedScalingEvents+4) || web[0].CreateIndex != uint64(11+nomadlike.JobTrackedScalingEvents+4) {
		t.Fatalf("web events = %d, newest %+v; want %d, newest first", len(web), web[0], nomadlike.JobTrackedScalingEvents)
	}
	if len(got.ScalingEvents["other"]) != 1 || got.ModifyIndex != 100 {
		t.Fatalf("events = %+v", got)
	}

	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored, err := RestoreFrom(&buf)
	must(t, err)
	if r, err := restored.ScalingEventsByJob(nil, job.Namespace, job.ID); err != nil || r == nil || len(r.ScalingEvents["web"]) != nomadlike.JobTrackedScalingEvents {
		t.Fatalf("restored events = %+v, %v", r, err)
	}

	must(t, s.DeleteJob(200, job.Namespace, job.ID))
	if got, err := s.ScalingEventsByJob(nil, job.Namespace, job.ID); err != nil || got != nil {
		t.Fatalf("events after purge = %+v, %v; want none", got, err)
	}
	if err := s.UpsertScalingEvent(201, job.Namespace, job.ID, "web", &nomadlike.ScalingEvent{}); !errors.Is(err, nomadlike.ErrJobNotFound) {
		t.Fatalf("event of a purged job = %v, want ErrJobNotFound", err)
	}
}
