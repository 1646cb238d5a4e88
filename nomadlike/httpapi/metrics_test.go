package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	metrics "github.com/hashicorp/go-metrics"
	nomadapi "github.com/hashicorp/nomad/api"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/telemetry"
)

// statsServer is the fake backend that emits broker and plan applier
// gauges as the server does.
type statsServer struct {
	*httpapitest.Server
	gauges map[string]float32 // "broker.total_ready" → nomad.nomad.broker.total_ready
}

func (s statsServer) EmitMetrics(m *metrics.Metrics) {
	for k, v := range s.gauges {
		m.SetGauge(append([]string{"nomad"}, strings.Split(k, ".")...), v)
	}
}

func statsAPI(t *testing.T, mutate ...func(*httpapi.Config)) *testAPI {
	fake := httpapitest.NewServer()
	backend := statsServer{Server: fake, gauges: map[string]float32{
		"broker.total_ready": 2, "blocked_evals.total_blocked": 1,
		"plan.applied": 7, "plan.partial": 3, "plan.rejected_nodes": 5}}
	return newTestAPI(t, fake, append([]func(*httpapi.Config){func(c *httpapi.Config) { c.Server = backend }}, mutate...)...)
}

// TestMetricsNomadJSON reads /v1/metrics with Nomad's own API client.
func TestMetricsNomadJSON(t *testing.T) {
	ta := statsAPI(t)
	c, err := nomadapi.NewClient(&nomadapi.Config{Address: ta.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ms, _, err := c.Operator().MetricsSummary(nil)
	if err != nil {
		t.Fatalf("Operator().MetricsSummary() = %v, want Nomad's JSON", err)
	}
	if ms.Timestamp == "" {
		t.Error("MetricsSummary has no Timestamp")
	}
	got := map[string]float32{}
	for _, g := range ms.Gauges {
		got[g.Name] = g.Value
	}
	for name, v := range map[string]float32{
		"nomad.nomad.broker.total_ready":          2,
		"nomad.nomad.blocked_evals.total_blocked": 1,
		"nomad.nomad.plan.applied":                7,
		"nomad.nomad.plan.partial":                3,
		"nomad.nomad.plan.rejected_nodes":         5,
		"nomad.nomad.job_status.pending":          0,
		"nomad.nomadlike.raft.leader":             1,
	} {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("gauge %s = %v (present %v), want %v", name, g, ok, v)
		}
	}
	if _, ok := got["nomad.runtime.num_goroutines"]; !ok {
		t.Errorf("no nomad.runtime.num_goroutines in %v", got)
	}
	for _, g := range ms.Gauges {
		if g.Name == "nomad.nomadlike.allocs" && g.DisplayLabels["client_status"] == "" {
			t.Errorf("gauge %s has labels %v, want client_status", g.Name, g.DisplayLabels)
		}
	}
}

// TestMetricsPrometheus scrapes ?format=prometheus and parses it with
// Prometheus' own text parser.
func TestMetricsPrometheus(t *testing.T) {
	ta := statsAPI(t)
	if code, _, _ := ta.do(t, "GET", "/v1/jobs", ""); code != 200 {
		t.Fatalf("GET /v1/jobs = %d", code)
	}
	resp, err := http.Get(ta.srv.URL + "/v1/metrics?format=prometheus")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape = %d %s, want 200 text/plain", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("Prometheus text parser: %v", err)
	}
	value := func(name string, typ dto.MetricType, labels map[string]string) (float64, bool) {
		f, ok := families[name]
		if !ok || f.GetType() != typ {
			return 0, false
		}
	metric:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue metric
				}
			}
			switch typ {
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue(), true
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue(), true
			case dto.MetricType_SUMMARY:
				return float64(m.GetSummary().GetSampleCount()), true
			}
		}
		return 0, false
	}
	cases := []struct {
		name   string
		typ    dto.MetricType
		labels map[string]string
		want   float64 // -1: any value
	}{
		{"nomad_nomad_broker_total_ready", dto.MetricType_GAUGE, nil, 2},
		{"nomad_nomad_plan_applied", dto.MetricType_GAUGE, nil, 7},
		{"nomad_nomad_job_status_running", dto.MetricType_GAUGE, nil, 0},
		{"nomad_nomadlike_allocs", dto.MetricType_GAUGE, map[string]string{"client_status": "running"}, 0},
		{"nomad_http_requests", dto.MetricType_COUNTER, map[string]string{"route": "GET /v1/jobs", "code": "200"}, 1},
		{"nomad_http_request", dto.MetricType_SUMMARY, map[string]string{"route": "GET /v1/jobs"}, 1},
		{"nomad_runtime_num_goroutines", dto.MetricType_GAUGE, nil, -1},
	}
	for _, tc := range cases {
		got, ok := value(tc.name, tc.typ, tc.labels)
		if !ok || (tc.want >= 0 && got != tc.want) {
			t.Errorf("%s%v (%v) = %v (present %v), want %v", tc.name, tc.labels, tc.typ, got, ok, tc.want)
		}
	}
}

// TestMetricsPrometheusDisabled: as Nomad, a scrape needs
// telemetry.prometheus_metrics.
func TestMetricsPrometheusDisabled(t *testing.T) {
	tel, err := telemetry.New(telemetry.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	ta := statsAPI(t, func(c *httpapi.Config) { c.Telemetry = tel })
	code, _, body := ta.do(t, "GET", "/v1/metrics?format=prometheus", "")
	if code != http.StatusUnsupportedMediaType || !strings.Contains(body, "prometheus_metrics = true") {
		t.Errorf("scrape with prometheus_metrics off = %d %q, want 415 naming the setting", code, body)
	}
	if code, _, _ := ta.do(t, "GET", "/v1/metrics", ""); code != 200 {
		t.Errorf("GET /v1/metrics = %d, want 200", code)
	}
}
