package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// monitorBuffer is how many log lines a /v1/agent/monitor reader may be
// behind before lines are dropped (and a warning saying how many is sent).
const monitorBuffer = 512

// errNoIntercept: the agent's logger cannot take sinks (it is not an
// hclog.InterceptLogger, as in tests that pass their own logger).
var errNoIntercept = errors.New("this agent's logger cannot be monitored")

// MonitorLogs streams the agent's log lines at level and above (as JSON
// with asJSON) until ctx ends, for /v1/agent/monitor. The agent's logger
// must be an hclog.InterceptLogger (the CLI's is). A reader that falls
// monitorBuffer lines behind loses lines, never blocks the agent.
func (a *Agent) MonitorLogs(ctx context.Context, level hclog.Level, asJSON bool) (<-chan []byte, error) {
	il, ok := a.logger.(hclog.InterceptLogger)
	if !ok {
		return nil, errNoIntercept
	}
	m := &logMonitor{ch: make(chan []byte, monitorBuffer)}
	sink := hclog.NewSinkAdapter(&hclog.LoggerOptions{Level: level, JSONFormat: asJSON, Output: m})
	il.RegisterSink(sink)
	go func() {
		<-ctx.Done()
		il.DeregisterSink(sink)
	}()
	return m.ch, nil
}

// logMonitor is a sink's output: lines go to ch, or are counted as dropped
// while ch is full.
type logMonitor struct {
	mu      sync.Mutex
	ch      chan []byte
	dropped int
}

func (m *logMonitor) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dropped > 0 {
		note := fmt.Appendf(nil, "[WARN]  monitor: dropped %d log lines: the reader is too slow\n", m.dropped)
		select {
		case m.ch <- note:
			m.dropped = 0
		default:
		}
	}
	select {
	case m.ch <- append([]byte(nil), p...):
	default:
		m.dropped++
	}
	return len(p), nil
}
