package agent

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// devServer starts an in-memory dev server (no client) on free ports,
// with mutate applied to its config.
func devServer(t *testing.T, mutate ...func(*Config)) (*Agent, *api.Client) {
	t.Helper()
	cfg := DevConfig()
	cfg.Name = "test-" + t.Name()
	cfg.Client.Enabled = false
	cfg.Ports.HTTP, cfg.Ports.RPC = 0, 0
	for _, m := range mutate {
		m(cfg)
	}
	a, err := New(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}}))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { a.Shutdown() })
	c, err := api.NewClient(api.Config{Address: a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func waitLeader(ctx context.Context, t *testing.T, c *api.Client) {
	t.Helper()
	for {
		if l, err := c.Status().Leader(ctx); err == nil && l != "" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("no leader before the deadline")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestDevServerServesTheAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, c := devServer(t)
	waitLeader(ctx, t, c)

	job := fixture.Job()
	reg, _, err := c.Jobs().Register(ctx, job, nil)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	got, qm, err := c.Jobs().Info(ctx, job.ID, nil)
	if err != nil || got.ID != job.ID || qm.LastIndex < reg.Index || !qm.KnownLeader {
		t.Fatalf("Info = %v, %+v, %v", got, qm, err)
	}
	eval, _, err := c.Evaluations().Info(ctx, reg.EvalID, nil)
	if err != nil || eval.JobID != job.ID {
		t.Fatalf("eval = %+v, %v", eval, err)
	}

	health, err := c.Agent().Health(ctx)
	if err != nil || health.Server == nil || !health.Server.OK || health.Client != nil {
		t.Errorf("Health = %+v, %v", health, err)
	}
	m, err := c.Agent().Members(ctx)
	if err != nil || len(m.Members) != 1 || m.Members[0].Status != "alive" || m.Members[0].Tags["leader"] != "true" {
		t.Errorf("Members = %+v, %v", m, err)
	}
	self, err := c.Agent().Self(ctx)
	if err != nil || self.Member == nil || self.Stats["nomad"]["leader"] != "true" {
		t.Errorf("Self = %+v, %v", self, err)
	}

	if err := a.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := net.DialTimeout("tcp", a.HTTPAddr(), time.Second); err == nil {
		t.Errorf("HTTP listener still accepts after Shutdown")
	}
	if err := a.Shutdown(); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	cfg := DevConfig()
	cfg.LogLevel = "loud"
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "log_level") {
		t.Fatalf("New(bad log level) = %v, want a log_level error", err)
	}
	// A port in use is a clear error and leaves nothing running.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg = DevConfig()
	cfg.Ports.HTTP = ln.Addr().(*net.TCPAddr).Port
	cfg.Ports.RPC = 0
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "listen for HTTP") {
		t.Fatalf("New(port in use) = %v, want a listen error", err)
	}
}
