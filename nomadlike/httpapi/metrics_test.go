package httpapi_test

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// statsServer is the fake backend with broker and plan applier counters.
type statsServer struct {
	*httpapitest.Server
	broker, plan map[string]int
}

func (s statsServer) BrokerStats() map[string]int { return s.broker }
func (s statsServer) PlanStats() map[string]int   { return s.plan }

func TestMetricsBrokerAndPlanGauges(t *testing.T) {
	fake := httpapitest.NewServer()
	backend := statsServer{Server: fake,
		broker: map[string]int{"total_ready": 2, "total_blocked": 1},
		plan:   map[string]int{"applied": 7, "partial": 3, "rejected_nodes": 5}}
	ta := newTestAPI(t, fake, func(c *httpapi.Config) { c.Server = backend })
	var ms httpapi.MetricsSummary
	if _, err := ta.client.Query(testCtx(t), "/v1/metrics", &ms, nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, g := range ms.Gauges {
		got[g.Name] = g.Value
	}
	want := map[string]float64{
		"nomadlike.broker.total_ready":   2,
		"nomadlike.broker.total_blocked": 1,
		"nomadlike.plan.applied":         7,
		"nomadlike.plan.partial":         3,
		"nomadlike.plan.rejected_nodes":  5,
	}
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("gauge %s = %v (present %v), want %v", name, g, ok, v)
		}
	}
}
