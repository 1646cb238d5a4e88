package agent

import (
	"fmt"
	"time"

	metrics "github.com/hashicorp/go-metrics"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/telemetry"
)

// startTelemetry builds the agent's metrics (the telemetry block) and makes
// them the process's, before the server starts so that raft's own metrics
// reach them; the collection loop runs until Shutdown.
func (a *Agent) startTelemetry() error {
	for _, w := range a.cfg.TelemetryWarnings {
		a.logger.Warn("telemetry setting has no effect", "setting", w)
	}
	t, err := telemetry.New(a.cfg.Telemetry.WithDefaults())
	if err != nil {
		return err
	}
	if err := t.SetGlobal(); err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	t.Start()
	a.telemetry = t
	return nil
}

// clientMetrics adds the client's gauges: its allocations by status as
// Nomad's nomad.client.allocations.{pending,running,terminal}, labelled
// with the node's ID and datacenter, and nomad.client.uptime.
func (a *Agent) clientMetrics(cl clientRole) {
	if a.telemetry == nil {
		return
	}
	start := time.Now()
	dc := a.cfg.Datacenter
	a.telemetry.AddCollector(func(m *metrics.Metrics) {
		labels := []metrics.Label{{Name: "node_id", Value: cl.NodeID()}, {Name: "datacenter", Value: dc}}
		counts := map[string]float32{"pending": 0, "running": 0, "terminal": 0}
		for _, al := range cl.Allocations() {
			switch al.ClientStatus {
			case nomadlike.AllocClientStatusPending, nomadlike.AllocClientStatusRunning:
				counts[al.ClientStatus]++
			default:
				counts["terminal"]++
			}
		}
		for status, n := range counts {
			m.SetGaugeWithLabels([]string{"client", "allocations", status}, n, labels)
		}
		m.SetGaugeWithLabels([]string{"client", "uptime"}, float32(time.Since(start).Seconds()), labels)
	})
}
