package telemetry

import (
	armon "github.com/armon/go-metrics"
	metrics "github.com/hashicorp/go-metrics"
)

// SetGlobal makes t the process's metrics: go-metrics' global functions and
// armon/go-metrics' (which hashicorp/raft v1.6 emits through, so that
// "nomad.raft.*" appears) both reach t's sinks. There is one global per
// process: with several agents in one process (tests), the last one to
// call SetGlobal receives every agent's raft metrics.
func (t *Telemetry) SetGlobal() error {
	metrics.NewGlobal(&t.m.Config, t.sink) //nolint:errcheck // New fails only on a bad sink URL
	ac := armon.DefaultConfig(t.m.ServiceName)
	ac.HostName = t.m.HostName
	ac.EnableHostname = t.m.EnableHostname
	ac.EnableHostnameLabel = t.m.EnableHostnameLabel
	ac.EnableRuntimeMetrics = false
	_, err := armon.NewGlobal(ac, armonSink{t.sink})
	return err
}

// armonSink forwards what armon/go-metrics emits (names already prefixed)
// to a go-metrics sink.
type armonSink struct{ s metrics.MetricSink }

func labels(ls []armon.Label) []metrics.Label {
	if len(ls) == 0 {
		return nil
	}
	out := make([]metrics.Label, len(ls))
	for i, l := range ls {
		out[i] = metrics.Label{Name: l.Name, Value: l.Value}
	}
	return out
}

func (a armonSink) SetGauge(key []string, v float32) { a.s.SetGauge(key, v) }
func (a armonSink) SetGaugeWithLabels(key []string, v float32, ls []armon.Label) {
	a.s.SetGaugeWithLabels(key, v, labels(ls))
}
func (a armonSink) EmitKey(key []string, v float32)     { a.s.EmitKey(key, v) }
func (a armonSink) IncrCounter(key []string, v float32) { a.s.IncrCounter(key, v) }
func (a armonSink) IncrCounterWithLabels(key []string, v float32, ls []armon.Label) {
	a.s.IncrCounterWithLabels(key, v, labels(ls))
}
func (a armonSink) AddSample(key []string, v float32) { a.s.AddSample(key, v) }
func (a armonSink) AddSampleWithLabels(key []string, v float32, ls []armon.Label) {
	a.s.AddSampleWithLabels(key, v, labels(ls))
}
