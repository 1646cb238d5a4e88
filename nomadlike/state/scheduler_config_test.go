package state

import (
	"bytes"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestSchedulerConfig: absent until written, CAS by ModifyIndex, and kept
// by a snapshot and restore.
func TestSchedulerConfig(t *testing.T) {
	s := newStore(t)
	if cfg, err := s.SchedulerConfig(nil); cfg != nil || err != nil {
		t.Fatalf("SchedulerConfig() before any write = %+v, %v; want nil", cfg, err)
	}
	steps := []struct {
		name     string
		index    uint64
		cfg      nomadlike.SchedulerConfiguration
		cas      bool
		casIndex uint64
		want     bool
	}{
		{"cas on none stored", 10, nomadlike.SchedulerConfiguration{SchedulerAlgorithm: "spread"}, true, 0, true},
		{"stale cas", 11, nomadlike.SchedulerConfiguration{}, true, 9, false},
		{"current cas", 12, nomadlike.SchedulerConfiguration{CandidateLimit: 8}, true, 10, true},
		{"no cas", 13, nomadlike.SchedulerConfiguration{SchedulerAlgorithm: "spread", CandidateLimit: 4}, false, 0, true},
	}
	for _, st := range steps {
		got, err := s.SetSchedulerConfig(st.index, &st.cfg, st.cas, st.casIndex)
		if err != nil || got != st.want {
			t.Fatalf("%s: SetSchedulerConfig = %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	if _, err := s.SetSchedulerConfig(14, &nomadlike.SchedulerConfiguration{SchedulerAlgorithm: "x"}, false, 0); err == nil {
		t.Fatal("SetSchedulerConfig(algorithm x) = nil error")
	}
	want := nomadlike.SchedulerConfiguration{SchedulerAlgorithm: "spread", CandidateLimit: 4, CreateIndex: 10, ModifyIndex: 13}
	if cfg, _ := s.SchedulerConfig(nil); cfg == nil || *cfg != want {
		t.Fatalf("SchedulerConfig() = %+v, want %+v", cfg, want)
	}
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored, err := RestoreFrom(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := restored.SchedulerConfig(nil); cfg == nil || *cfg != want {
		t.Fatalf("SchedulerConfig() after restore = %+v, want %+v", cfg, want)
	}
}
