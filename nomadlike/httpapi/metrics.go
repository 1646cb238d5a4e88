package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// metrics holds the HTTP request counters and latency samples.
type metrics struct {
	mu       sync.Mutex
	requests map[requestKey]uint64
	latency  map[string]*sample
}

type requestKey struct {
	route string
	code  int
}

// sample aggregates observations like go-metrics' in-memory sink.
type sample struct {
	Count uint64
	Sum   float64
	SumSq float64
	Min   float64
	Max   float64
}

func (s *sample) observe(v float64) {
	if s.Count == 0 || v < s.Min {
		s.Min = v
	}
	if s.Count == 0 || v > s.Max {
		s.Max = v
	}
	s.Count++
	s.Sum += v
	s.SumSq += v * v
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestKey]uint64{}, latency: map[string]*sample{}}
}

func (m *metrics) observeRequest(route string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, code}]++
	s := m.latency[route]
	if s == nil {
		s = &sample{}
		m.latency[route] = s
	}
	s.observe(float64(d) / float64(time.Millisecond))
}

// Gauge, Counter and Summary follow the JSON of Nomad's /v1/metrics.
type gaugeValue struct {
	Name   string            `json:"Name"`
	Value  float64           `json:"Value"`
	Labels map[string]string `json:"Labels"`
}

type sampledValue struct {
	Name   string            `json:"Name"`
	Count  uint64            `json:"Count"`
	Sum    float64           `json:"Sum"`
	Min    float64           `json:"Min"`
	Max    float64           `json:"Max"`
	Mean   float64           `json:"Mean"`
	Stddev float64           `json:"Stddev"`
	Labels map[string]string `json:"Labels"`
}

// MetricsSummary is the JSON reply of GET /v1/metrics.
type MetricsSummary struct {
	Timestamp string         `json:"Timestamp"`
	Gauges    []gaugeValue   `json:"Gauges"`
	Counters  []sampledValue `json:"Counters"`
	Samples   []sampledValue `json:"Samples"`
}

// appendGauges adds stats as gauges named prefix+key, in key order.
func appendGauges(out []gaugeValue, prefix string, stats map[string]int) []gaugeValue {
	for _, k := range sortedKeys(stats) {
		out = append(out, gaugeValue{Name: prefix + k, Value: float64(stats[k]), Labels: map[string]string{}})
	}
	return out
}

func toSampled(name string, labels map[string]string, s sample) sampledValue {
	v := sampledValue{Name: name, Count: s.Count, Sum: s.Sum, Min: s.Min, Max: s.Max, Labels: labels}
	if s.Count > 0 {
		v.Mean = s.Sum / float64(s.Count)
		if s.Count > 1 {
			variance := (s.SumSq - s.Sum*s.Sum/float64(s.Count)) / float64(s.Count-1)
			v.Stddev = math.Sqrt(math.Max(variance, 0))
		}
	}
	return v
}

func (h *Handler) collectMetrics() (*MetricsSummary, error) {
	out := &MetricsSummary{Timestamp: time.Now().UTC().Format("2006-01-02 15:04:05 -0700 MST")}
	if srv := h.cfg.Server; srv != nil {
		gauges, err := stateGauges(srv.State())
		if err != nil {
			return nil, err
		}
		out.Gauges = gauges
		leader := 0.0
		if srv.IsLeader() {
			leader = 1
		}
		out.Gauges = append(out.Gauges,
			gaugeValue{Name: "nomadlike.raft.leader", Value: leader, Labels: map[string]string{}},
			gaugeValue{Name: "nomadlike.raft.last_contact_ms", Value: float64(srv.LastContact().Milliseconds()), Labels: map[string]string{}},
			gaugeValue{Name: "nomadlike.raft.peers", Value: float64(len(srv.Peers())), Labels: map[string]string{}},
		)
		if bs, ok := srv.(BrokerStatser); ok {
			out.Gauges = appendGauges(out.Gauges, "nomadlike.broker.", bs.BrokerStats())
		}
		if ps, ok := srv.(PlanStatser); ok {
			out.Gauges = appendGauges(out.Gauges, "nomadlike.plan.", ps.PlanStats())
		}
	}
	h.metrics.mu.Lock()
	keys := make([]requestKey, 0, len(h.metrics.requests))
	for k := range h.metrics.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].route != keys[j].route {
			return keys[i].route < keys[j].route
		}
		return keys[i].code < keys[j].code
	})
	for _, k := range keys {
		n := h.metrics.requests[k]
		out.Counters = append(out.Counters, toSampled("nomadlike.http.requests",
			map[string]string{"route": k.route, "code": strconv.Itoa(k.code)},
			sample{Count: n, Sum: float64(n), Min: 1, Max: 1, SumSq: float64(n)}))
	}
	for _, route := range sortedKeys(h.metrics.latency) {
		out.Samples = append(out.Samples, toSampled("nomadlike.http.request_duration_ms",
			map[string]string{"route": route}, *h.metrics.latency[route]))
	}
	h.metrics.mu.Unlock()
	return out, nil
}

// stateGauges counts the objects of the state store by status.
func stateGauges(st *state.StateStore) ([]gaugeValue, error) {
	var out []gaugeValue
	add := func(name, label string, counts map[string]int) {
		for _, k := range sortedKeys(counts) {
			out = append(out, gaugeValue{Name: name, Value: float64(counts[k]), Labels: map[string]string{label: k}})
		}
	}
	jobs, err := st.Jobs(nil, state.AllNamespaces, "")
	if err != nil {
		return nil, err
	}
	counts := map[string]int{"pending": 0, "running": 0, "dead": 0}
	for _, j := range jobs {
		counts[j.Status]++
	}
	add("nomadlike.jobs", "status", counts)
	allocs, err := st.Allocs(nil, "")
	if err != nil {
		return nil, err
	}
	counts = map[string]int{"pending": 0, "running": 0, "complete": 0, "failed": 0, "lost": 0}
	for _, a := range allocs {
		counts[a.ClientStatus]++
	}
	add("nomadlike.allocs", "client_status", counts)
	evals, err := st.Evals(nil, "")
	if err != nil {
		return nil, err
	}
	counts = map[string]int{"pending": 0, "blocked": 0, "complete": 0, "failed": 0, "canceled": 0}
	for _, e := range evals {
		counts[e.Status]++
	}
	add("nomadlike.evals", "status", counts)
	nodes, err := st.Nodes(nil, "")
	if err != nil {
		return nil, err
	}
	counts = map[string]int{"ready": 0, "down": 0, "initializing": 0}
	for _, n := range nodes {
		counts[n.Status]++
	}
	add("nomadlike.nodes", "status", counts)
	idx, err := st.LatestIndex()
	if err != nil {
		return nil, err
	}
	out = append(out, gaugeValue{Name: "nomadlike.state.index", Value: float64(idx), Labels: map[string]string{}})
	return out, nil
}

func (h *Handler) metricsHandler(w http.ResponseWriter, r *http.Request) {
	m, err := h.collectMetrics()
	if err != nil {
		writeError(w, err)
		return
	}
	if r.URL.Query().Get("format") == "prometheus" {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		writePrometheus(w, m)
		return
	}
	writeJSON(w, r, m)
}

func promName(name string) string {
	return strings.NewReplacer(".", "_", "-", "_").Replace(name)
}

func promLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	parts := make([]string, 0, len(labels))
	for _, k := range sortedKeys(labels) {
		parts = append(parts, fmt.Sprintf("%s=%q", promName(k), labels[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// writePrometheus writes m in the Prometheus text exposition format.
func writePrometheus(w http.ResponseWriter, m *MetricsSummary) {
	typed := map[string]bool{}
	typeLine := func(name, kind string) {
		if !typed[name] {
			typed[name] = true
			fmt.Fprintf(w, "# TYPE %s %s\n", name, kind)
		}
	}
	for _, g := range m.Gauges {
		n := promName(g.Name)
		typeLine(n, "gauge")
		fmt.Fprintf(w, "%s%s %s\n", n, promLabels(g.Labels), strconv.FormatFloat(g.Value, 'g', -1, 64))
	}
	for _, c := range m.Counters {
		n := promName(c.Name) + "_total"
		typeLine(n, "counter")
		fmt.Fprintf(w, "%s%s %d\n", n, promLabels(c.Labels), c.Count)
	}
	for _, s := range m.Samples {
		n := promName(s.Name)
		typeLine(n, "summary")
		fmt.Fprintf(w, "%s_sum%s %s\n", n, promLabels(s.Labels), strconv.FormatFloat(s.Sum, 'g', -1, 64))
		fmt.Fprintf(w, "%s_count%s %d\n", n, promLabels(s.Labels), s.Count)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
