package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	metrics "github.com/hashicorp/go-metrics"

	"github.com/nomadlike/nomadlike/nomadlike/state"
	"github.com/nomadlike/nomadlike/nomadlike/telemetry"
)

// MetricsEmitter is implemented by servers that set their own gauges (the
// eval broker's, the blocked evaluations' and the plan applier's) each
// time the metrics are collected. Optional.
type MetricsEmitter interface {
	EmitMetrics(m *metrics.Metrics)
}

// MetricsSummary is the JSON reply of GET /v1/metrics: go-metrics'
// in-memory summary, the shape of Nomad's (and of its api.MetricsSummary).
type MetricsSummary = metrics.MetricsSummary

// newTelemetry is the telemetry of a handler built without one (tests,
// embedding): no host name in the names, Prometheus on, no collection loop
// (the collectors run when the metrics are read).
func newTelemetry() *telemetry.Telemetry {
	cfg := telemetry.DefaultConfig()
	cfg.DisableHostname, cfg.PrometheusMetrics = true, true
	t, err := telemetry.New(cfg)
	if err != nil {
		panic(err) // the defaults are valid
	}
	return t
}

// observeRequest counts a request by route pattern and status code, and
// samples its latency in milliseconds by route (nomad.http.requests,
// nomad.http.request): labelled by route rather than named by URL as
// Nomad's nomad.http.<METHOD>.<path>, so IDs in paths do not make a new
// metric each.
func (h *Handler) observeRequest(route string, code int, d time.Duration) {
	m := h.metrics.Metrics()
	r := metrics.Label{Name: "route", Value: route}
	m.IncrCounterWithLabels([]string{"http", "requests"}, 1, []metrics.Label{r, {Name: "code", Value: strconv.Itoa(code)}})
	m.AddSampleWithLabels([]string{"http", "request"}, float32(d)/float32(time.Millisecond), []metrics.Label{r})
}

// collectServer sets the gauges of the local server: objects in the state
// store by status, this server's raft view, and what the server emits
// itself (MetricsEmitter). Nothing on a client-only agent.
func (h *Handler) collectServer(m *metrics.Metrics) {
	srv := h.cfg.Server
	if srv == nil {
		return
	}
	if err := stateGauges(m, srv.State()); err != nil {
		h.logger.Warn("collect state metrics", "error", err)
	}
	leader := float32(0)
	if srv.IsLeader() {
		leader = 1
	}
	m.SetGauge([]string{"nomadlike", "raft", "leader"}, leader)
	m.SetGauge([]string{"nomadlike", "raft", "last_contact_ms"}, float32(srv.LastContact().Milliseconds()))
	m.SetGauge([]string{"nomadlike", "raft", "peers"}, float32(len(srv.Peers())))
	if e, ok := srv.(MetricsEmitter); ok {
		e.EmitMetrics(m)
	}
}

// stateGauges counts the objects of the state store by status: jobs as
// Nomad's nomad.nomad.job_status.<status>, the rest under nomadlike.
func stateGauges(m *metrics.Metrics, st Store) error {
	byLabel := func(key []string, label string, counts map[string]int) {
		for k, n := range counts {
			m.SetGaugeWithLabels(key, float32(n), []metrics.Label{{Name: label, Value: k}})
		}
	}
	jobs, err := st.Jobs(nil, state.AllNamespaces, "")
	if err != nil {
		return err
	}
	counts := map[string]int{"pending": 0, "running": 0, "dead": 0}
	for _, j := range jobs {
		counts[j.Status]++
	}
	for status, n := range counts {
		m.SetGauge([]string{"nomad", "job_status", status}, float32(n))
	}
	allocs, err := st.Allocs(nil, "")
	if err != nil {
		return err
	}
	counts = map[string]int{"pending": 0, "running": 0, "complete": 0, "failed": 0, "lost": 0}
	for _, a := range allocs {
		counts[a.ClientStatus]++
	}
	byLabel([]string{"nomadlike", "allocs"}, "client_status", counts)
	evals, err := st.Evals(nil, "")
	if err != nil {
		return err
	}
	counts = map[string]int{"pending": 0, "blocked": 0, "complete": 0, "failed": 0, "canceled": 0}
	for _, e := range evals {
		counts[e.Status]++
	}
	byLabel([]string{"nomadlike", "evals"}, "status", counts)
	nodes, err := st.Nodes(nil, "")
	if err != nil {
		return err
	}
	counts = map[string]int{"ready": 0, "down": 0, "initializing": 0}
	for _, n := range nodes {
		counts[n.Status]++
	}
	byLabel([]string{"nomadlike", "nodes"}, "status", counts)
	idx, err := st.LatestIndex()
	if err != nil {
		return err
	}
	m.SetGauge([]string{"nomadlike", "state", "index"}, float32(idx))
	return nil
}

// metricsHandler serves GET /v1/metrics: Nomad's JSON, or with
// ?format=prometheus the Prometheus text format when the agent's
// telemetry.prometheus_metrics is on (415 otherwise, as Nomad).
func (h *Handler) metricsHandler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("format") == "prometheus" {
		if err := h.metrics.ServePrometheus(w, r); errors.Is(err, telemetry.ErrPrometheusDisabled) {
			http.Error(w, err.Error(), http.StatusUnsupportedMediaType)
		}
		return
	}
	writeJSON(w, r, h.metrics.Summary())
}
