package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestJobMaxCount refuses register, plan and dispatch over
// Config.JobMaxCount with a validation error naming the group's Count,
// and writes nothing.
func TestJobMaxCount(t *testing.T) {
	cfg := testConfig(t)
	cfg.JobMaxCount = 10
	s := startServer(t, cfg)
	waitLeader(t, s)
	parent := fixture.BatchJob(8)
	parent.ID, parent.Name = "param", "param"
	parent.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: nomadlike.DispatchPayloadOptional}
	if _, _, _, err := s.RegisterJob(parent, false, 0); err != nil {
		t.Fatalf("register a job under the limit: %v", err)
	}
	before, _ := s.State().LatestIndex()

	big := fixture.Job()
	big.TaskGroups[0].Count = 10_000_000
	path := "TaskGroups[" + big.TaskGroups[0].Name + "].Count: 10000000 exceeds the server's job_max_count of 10"
	cases := []struct {
		name string
		do   func() error
		want string
	}{
		{"register", func() error { _, _, _, err := s.RegisterJob(big, false, 0); return err }, path},
		{"plan", func() error { _, err := s.PlanJob(big, false); return err }, path},
		{"dispatch after the limit was lowered", func() error {
			s.cfg.JobMaxCount = 5
			defer func() { s.cfg.JobMaxCount = 10 }()
			_, _, _, err := s.DispatchJob(nomadlike.DefaultNamespace, "param", nomadlike.DispatchRequest{})
			return err
		}, "Count: 8 exceeds the server's job_max_count of 5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s = %v, want a validation error with %q", tc.name, err, tc.want)
			}
		})
	}
	if after, _ := s.State().LatestIndex(); after != before {
		t.Errorf("refused jobs wrote to the state: index %d -> %d", before, after)
	}
}
