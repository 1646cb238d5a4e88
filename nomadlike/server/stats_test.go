package server

import (
	"fmt"
	"testing"
	"time"

	metrics "github.com/hashicorp/go-metrics"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// gauges runs EmitMetrics into a fresh in-memory sink and returns the
// gauges by name ("nomad.nomad.plan.applied").
func gauges(t *testing.T, s *Server) map[string]float32 {
	t.Helper()
	sink := metrics.NewInmemSink(time.Minute, time.Minute)
	cfg := metrics.DefaultConfig("nomad")
	cfg.EnableHostname, cfg.EnableRuntimeMetrics = false, false
	m, err := metrics.New(cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	s.EmitMetrics(m)
	out := map[string]float32{}
	for _, iv := range sink.Data() {
		for _, g := range iv.Gauges {
			out[g.Name] = g.Value
		}
	}
	return out
}

func TestEmitMetricsCountsPlansAndBlockedEvals(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 1, nil)

	fits := fixture.Job()
	if _, _, _, err := s.RegisterJob(fits, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "a plan applied", func() (bool, string) {
		g := gauges(t, s)
		return g["nomad.nomad.plan.applied"] >= 1, fmt.Sprintf("gauges %v", g)
	})

	// A job that cannot fit anywhere leaves a blocked evaluation.
	huge := fixture.Job()
	huge.ID = "huge"
	huge.TaskGroups[0].Tasks[0].Resources = &nomadlike.Resources{CPU: 1 << 30, MemoryMB: 64}
	if _, _, _, err := s.RegisterJob(huge, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "one blocked eval", func() (bool, string) {
		g := gauges(t, s)
		return g["nomad.nomad.blocked_evals.total_blocked"] == 1, fmt.Sprintf("gauges %v", g)
	})
	g := gauges(t, s)
	for _, k := range []string{"nomad.nomad.broker.total_ready", "nomad.nomad.broker.total_unacked", "nomad.nomad.broker.total_delayed",
		"nomad.nomad.plan.partial", "nomad.nomad.plan.rejected_nodes", "nomad.nomad.plan.commits"} {
		if _, ok := g[k]; !ok {
			t.Errorf("EmitMetrics set no %s (gauges %v)", k, g)
		}
	}
	if v := g["nomad.nomad.plan.commits"]; v < 1 || v > g["nomad.nomad.plan.applied"] {
		t.Errorf("nomad.nomad.plan.commits = %v, want between 1 and the %v plans applied", v, g["nomad.nomad.plan.applied"])
	}
	if v := g["nomad.nomad.plan.queue_depth"]; v != 0 {
		t.Errorf("nomad.nomad.plan.queue_depth = %v after the plans were answered, want 0", v)
	}
}
