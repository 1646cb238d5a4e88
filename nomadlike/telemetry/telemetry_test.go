package telemetry

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	armon "github.com/armon/go-metrics"
	metrics "github.com/hashicorp/go-metrics"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

func newTest(t *testing.T, mutate func(*Config)) *Telemetry {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Hostname = "h1"
	if mutate != nil {
		mutate(&cfg)
	}
	tel, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tel.Close)
	return tel
}

func gaugeNames(s metrics.MetricsSummary) map[string]float32 {
	out := map[string]float32{}
	for _, g := range s.Gauges {
		out[g.Name] = g.Value
	}
	return out
}

func TestNames(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"hostname in gauge names by default, as Nomad", nil, "nomad.h1.nomad.plan.queue_depth"},
		{"disable_hostname", func(c *Config) { c.DisableHostname = true }, "nomad.nomad.plan.queue_depth"},
		{"enable_hostname_label", func(c *Config) { c.EnableHostnameLabel = true }, "nomad.nomad.plan.queue_depth"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tel := newTest(t, tc.mutate)
			tel.AddCollector(func(m *metrics.Metrics) { m.SetGauge([]string{"nomad", "plan", "queue_depth"}, 3) })
			if got := gaugeNames(tel.Summary()); got[tc.want] != 3 {
				t.Errorf("Summary() gauges = %v, want %s = 3", got, tc.want)
			}
		})
	}
}

// TestSummaryGaugesAreLatest: gauges are the latest values (the
// collectors run on every read); counters those of the in-memory interval.
func TestSummaryGaugesAreLatest(t *testing.T) {
	tel := newTest(t, func(c *Config) { c.DisableHostname = true })
	var n atomic.Int32
	tel.AddCollector(func(m *metrics.Metrics) { m.SetGauge([]string{"n"}, float32(n.Add(1))) })
	tel.Metrics().IncrCounter([]string{"c"}, 2)
	tel.Summary()
	s := tel.Summary()
	if got := gaugeNames(s)["nomad.n"]; got != 2 {
		t.Errorf("gauge nomad.n = %v on the second read, want 2", got)
	}
	if len(s.Counters) != 1 || s.Counters[0].Name != "nomad.c" || s.Counters[0].Sum != 2 {
		t.Errorf("Counters = %+v, want nomad.c summing 2", s.Counters)
	}
	if s.Timestamp == "" {
		t.Error("no Timestamp")
	}
}

func TestLoopCollectsUntilClose(t *testing.T) {
	tel := newTest(t, func(c *Config) { c.CollectionInterval = time.Millisecond })
	var n atomic.Int32
	tel.AddCollector(func(*metrics.Metrics) { n.Add(1) })
	tel.Start()
	poll.Until(t, 10*time.Second, "the collector to run 3 times", func() (bool, string) {
		return n.Load() >= 3, fmt.Sprintf("it ran %d times", n.Load())
	})
	tel.Close() // waits for the loop to end
	tel.Close() // and may be called again
	select {
	case <-tel.doneCh:
	default:
		t.Error("the collection loop still runs after Close")
	}
}

// TestArmonBridge: what armon/go-metrics' global emits (as hashicorp/raft
// does) reaches the telemetry's sinks under the prefix.
func TestArmonBridge(t *testing.T) {
	tel := newTest(t, func(c *Config) { c.DisableHostname, c.PrometheusMetrics = true, true })
	if err := tel.SetGlobal(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { armon.NewGlobal(armon.DefaultConfig(""), &armon.BlackholeSink{}) })
	armon.IncrCounter([]string{"raft", "apply"}, 1)
	armon.SetGaugeWithLabels([]string{"raft", "peers"}, 3, []armon.Label{{Name: "x", Value: "y"}})
	s := tel.Summary()
	if len(s.Counters) != 1 || s.Counters[0].Name != "nomad.raft.apply" {
		t.Errorf("Counters = %+v, want nomad.raft.apply", s.Counters)
	}
	if g := gaugeNames(s); g["nomad.raft.peers"] != 3 {
		t.Errorf("gauges = %v, want nomad.raft.peers = 3", g)
	}
	rec := httptest.NewRecorder()
	if err := tel.ServePrometheus(rec, httptest.NewRequest("GET", "/v1/metrics?format=prometheus", nil)); err != nil {
		t.Fatal(err)
	}
	if body := rec.Body.String(); !strings.Contains(body, "nomad_raft_apply 1") || !strings.Contains(body, `nomad_raft_peers{x="y"} 3`) {
		t.Errorf("Prometheus text lacks raft's metrics:\n%s", body)
	}
}

func TestPrometheusDisabled(t *testing.T) {
	tel := newTest(t, nil)
	err := tel.ServePrometheus(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !errors.Is(err, ErrPrometheusDisabled) {
		t.Errorf("ServePrometheus() = %v, want ErrPrometheusDisabled", err)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"zero is the defaults", Config{}.WithDefaults(), ""},
		{"no collection interval", Config{InMemoryInterval: time.Second, InMemoryRetention: time.Minute}, "telemetry.collection_interval"},
		{"retention under the interval", Config{CollectionInterval: time.Second, InMemoryInterval: time.Minute, InMemoryRetention: time.Second}, "telemetry.in_memory_retention_period"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
			}
		})
	}
}
