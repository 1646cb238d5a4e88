package agent

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

func TestMonitorLogs(t *testing.T) {
	il := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "agent", Level: hclog.Info, Output: io.Discard})
	a := &Agent{logger: il}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lines, err := a.MonitorLogs(ctx, hclog.Debug, false)
	if err != nil {
		t.Fatal(err)
	}
	il.Named("server").Debug("below the logger's level, at the monitor's", "k", "v")
	il.Trace("below the monitor's level")
	select {
	case l := <-lines:
		if s := string(l); !strings.Contains(s, "[DEBUG] agent.server: below the logger's level, at the monitor's: k=v") {
			t.Errorf("line = %q", s)
		}
	case <-ctx.Done():
		t.Fatal("no line")
	}
	// A reader that does not read loses lines, never blocks the logger;
	// the next line it gets says how many it lost.
	for i := 0; i < monitorBuffer+10; i++ {
		il.Info("flood")
	}
	for i := 0; i < monitorBuffer; i++ {
		<-lines
	}
	il.Info("after")
	if l := string(<-lines); !strings.Contains(l, "dropped 10 log lines") {
		t.Errorf("line after the flood = %q, want the dropped count", l)
	}
	if _, err := (&Agent{logger: hclog.NewNullLogger()}).MonitorLogs(ctx, hclog.Info, false); !errors.Is(err, errNoIntercept) {
		t.Errorf("MonitorLogs on a plain logger = %v, want errNoIntercept", err)
	}
}
