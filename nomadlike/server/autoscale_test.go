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

// scaledFixtureJob is fixture.Job with count 2 and scaling min 1, max 3.
func scaledFixtureJob() *nomadlike.Job {
	job := fixture.Job()
	one, three := int64(1), int64(3)
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Scaling = &nomadlike.ScalingPolicy{Min: &one, Max: &three}
	job.Canonicalize()
	return job
}

// TestRecordAllocUsage: a node's samples are kept only for its own live
// allocations; a wrong secret or too many samples are refused.
func TestRecordAllocUsage(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	nodes := registerNodes(t, s, 2, nil)
	job := scaledFixtureJob()
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatalf("RegisterJob: %v", err)
	}
	var live []*nomadlike.Allocation
	poll.Until(t, 10*time.Second, "2 placements", func() (bool, string) {
		live = liveAllocs(t, s, job)
		return len(live) == 2, fmt.Sprintf("%d live allocs", len(live))
	})
	byNode := map[string][]string{}
	for _, a := range live {
		byNode[a.NodeID] = append(byNode[a.NodeID], a.ID)
	}
	var mine, other string
	for _, n := range nodes {
		if len(byNode[n.ID]) > 0 && mine == "" {
			mine = n.ID
		}
	}
	for _, a := range live {
		if a.NodeID != mine {
			other = a.ID
		}
	}
	samples := []nomadlike.AllocUsage{{AllocID: byNode[mine][0], CPUMHz: 42}, {AllocID: nomadlike.GenerateUUID(), CPUMHz: 1}}
	if other != "" {
		samples = append(samples, nomadlike.AllocUsage{AllocID: other, CPUMHz: 7})
	}
	if err := s.RecordAllocUsage(secretOf(t, s, mine), samples); err != nil {
		t.Fatalf("RecordAllocUsage: %v", err)
	}
	now := s.cfg.Clock.Now()
	if u, ok := s.allocUsage.Get(now, byNode[mine][0]); !ok || u.CPUMHz != 42 {
		t.Errorf("own allocation's sample = %+v, %v, want 42 MHz", u, ok)
	}
	if other != "" {
		if _, ok := s.allocUsage.Get(now, other); ok {
			t.Errorf("kept a sample of another node's allocation")
		}
	}
	if err := s.RecordAllocUsage("not-a-secret", samples); !errors.Is(err, nomadlike.ErrPermission) {
		t.Errorf("RecordAllocUsage(wrong secret) = %v, want ErrPermission", err)
	}
	many := make([]nomadlike.AllocUsage, nomadlike.MaxUsageSamples+1)
	var verr *nomadlike.ValidationError
	if err := s.RecordAllocUsage(secretOf(t, s, mine), many); !errors.As(err, &verr) {
		t.Errorf("RecordAllocUsage(%d samples) = %v, want a ValidationError", len(many), err)
	}
}

// TestScaleJobHeldToScalingBounds: job scale outside min and max is
// refused naming the count, and writes nothing.
func TestScaleJobHeldToScalingBounds(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	job := scaledFixtureJob()
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatalf("RegisterJob: %v", err)
	}
	for _, tc := range []struct {
		count int64
		want  string
	}{
		{4, "TaskGroups[web].Count: 4 is more than the scaling block's max 3"},
		{0, "TaskGroups[web].Count: 0 is less than the scaling block's min 1"},
	} {
		n := tc.count
		_, _, _, err := s.ScaleJob(job.Namespace, job.ID, nomadlike.ScaleRequest{Group: "web", Count: &n})
		var verr *nomadlike.ValidationError
		if !errors.As(err, &verr) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ScaleJob(%d) = %v, want a ValidationError %q", n, err, tc.want)
		}
	}
	if evs, _ := s.State().ScalingEventsByJob(nil, job.Namespace, job.ID); evs != nil {
		t.Errorf("a refused scale recorded events: %+v", evs)
	}
	three := int64(3)
	if _, _, _, err := s.ScaleJob(job.Namespace, job.ID, nomadlike.ScaleRequest{Group: "web", Count: &three}); err != nil {
		t.Errorf("ScaleJob(3) within bounds: %v", err)
	}
}
