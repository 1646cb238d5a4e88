package agent

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/telemetry"
)

func TestTelemetryConfig(t *testing.T) {
	cases := []configCase[telemetry.Config]{
		{name: "no block is Nomad's defaults", src: `name = "a"`, want: telemetry.Config{}},
		{name: "every setting", src: `telemetry {
  collection_interval           = "5s"
  disable_hostname              = true
  enable_hostname_label         = true
  prometheus_metrics            = true
  in_memory_collection_interval = "20s"
  in_memory_retention_period    = "2m"
}`, want: telemetry.Config{CollectionInterval: 5 * time.Second, DisableHostname: true, EnableHostnameLabel: true,
			PrometheusMetrics: true, InMemoryInterval: 20 * time.Second, InMemoryRetention: 2 * time.Minute}},
		{name: "Nomad's other settings warn", src: `telemetry {
  prometheus_metrics         = true
  statsd_address             = "127.0.0.1:8125"
  publish_allocation_metrics = true
}`, want: telemetry.Config{PrometheusMetrics: true}, warnings: []string{
			"a.hcl:3:3: telemetry.statsd_address has no effect", "a.hcl:4:3: telemetry.publish_allocation_metrics has no effect"}},
		{name: "unknown setting", src: `telemetry {
  prometheus = true
}`, errText: `a.hcl:2:3: Unsupported argument: An argument named "prometheus"`},
		{name: "bad duration", src: `telemetry {
  collection_interval = "often"
}`, errText: "a.hcl:2:3: Invalid telemetry.collection_interval"},
		{name: "zero duration", src: `telemetry {
  collection_interval = "0s"
}`, errText: "a.hcl:2:3: Invalid telemetry.collection_interval: Must be > 0"},
		{name: "wrong type", src: `telemetry {
  disable_hostname = "maybe"
}`, errText: "a.hcl:2:23: Unsuitable value type"},
	}
	runConfigTable(t, configTable[telemetry.Config]{
		field:    "Telemetry",
		get:      func(c *Config) telemetry.Config { return c.Telemetry },
		warnings: func(c *Config) []string { return c.TelemetryWarnings },
	}, cases)
}

func TestTelemetryConfigValidate(t *testing.T) {
	cfg := DevConfig()
	cfg.Telemetry.InMemoryInterval, cfg.Telemetry.InMemoryRetention = time.Minute, time.Second
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "telemetry.in_memory_retention_period") {
		t.Errorf("Validate() = %v, want telemetry.in_memory_retention_period named", err)
	}
}

// TestAgentMetrics scrapes a real dev server: raft's own metrics (emitted
// through armon/go-metrics) appear as nomad.raft.*, beside the server's
// gauges and the Go runtime's, in a Prometheus text that Prometheus' parser
// reads, and in JSON that Nomad's API client decodes.
func TestAgentMetrics(t *testing.T) {
	a, c := devServer(t, func(cfg *Config) {
		cfg.Telemetry.PrometheusMetrics, cfg.Telemetry.DisableHostname = true, true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitLeader(ctx, t, c)
	nc, err := nomadapi.NewClient(&nomadapi.Config{Address: "http://" + a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	ms, _, err := nc.Operator().MetricsSummary(nil)
	if err != nil {
		t.Fatalf("Operator().MetricsSummary() = %v", err)
	}
	gauges := map[string]float32{}
	for _, g := range ms.Gauges {
		gauges[g.Name] = g.Value
	}
	for _, name := range []string{"nomad.nomadlike.raft.leader", "nomad.nomad.broker.total_ready", "nomad.runtime.num_goroutines"} {
		if _, ok := gauges[name]; !ok {
			t.Errorf("JSON gauges lack %s: %v", name, gauges)
		}
	}

	resp, err := http.Get("http://" + a.HTTPAddr() + "/v1/metrics?format=prometheus")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("Prometheus text parser: %v", err)
	}
	var raft []string
	for name := range families {
		if strings.HasPrefix(name, "nomad_raft_") {
			raft = append(raft, name)
		}
	}
	if _, ok := families["nomad_raft_state_leader"]; !ok {
		t.Errorf("no nomad_raft_state_leader (raft's own metrics) among %d families; raft ones: %v", len(families), raft)
	}
	if f, ok := families["nomad_nomadlike_raft_leader"]; !ok || f.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("nomad_nomadlike_raft_leader = %v, want 1", f)
	}
}

// fakeClient is a clientRole with fixed allocations.
type fakeClient struct {
	clientRole
	allocs []*nomadlike.Allocation
}

func (f fakeClient) NodeID() string                       { return "node-1" }
func (f fakeClient) Allocations() []*nomadlike.Allocation { return f.allocs }

func TestClientMetrics(t *testing.T) {
	cfg := telemetry.DefaultConfig()
	cfg.DisableHostname = true
	tel, err := telemetry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{cfg: DevConfig(), telemetry: tel}
	var allocs []*nomadlike.Allocation
	for _, s := range []string{"running", "running", "pending", "complete", "failed"} {
		allocs = append(allocs, &nomadlike.Allocation{ClientStatus: s})
	}
	a.clientMetrics(fakeClient{allocs: allocs})
	got := map[string]float32{}
	for _, g := range tel.Summary().Gauges {
		if g.DisplayLabels["node_id"] == "node-1" && g.DisplayLabels["datacenter"] == a.cfg.Datacenter {
			got[g.Name] = g.Value
		}
	}
	want := map[string]float32{"nomad.client.allocations.running": 2, "nomad.client.allocations.pending": 1, "nomad.client.allocations.terminal": 2}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v (gauges %v)", name, got[name], v, got)
		}
	}
	if _, ok := got["nomad.client.uptime"]; !ok {
		t.Errorf("no nomad.client.uptime in %v", got)
	}
}
