package drivers

import (
	"context"
	"os"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/stats"
)

// OrphanGraceEnv sets how long a plugin process with no task and no host
// connected waits before it exits (a Go duration; DefaultOrphanGrace when
// unset, "0" never exits). A plugin outlives its host on purpose, so that
// the next agent reattaches to it and its tasks; but one whose agent was
// killed and never came back would otherwise stay forever.
const OrphanGraceEnv = "NOMADLIKE_PLUGIN_ORPHAN_GRACE"

// DefaultOrphanGrace is the grace when OrphanGraceEnv is unset: longer
// than an agent restart, so a restarted agent finds its plugins.
const DefaultOrphanGrace = 5 * time.Minute

// liveness tracks what keeps a plugin process alive: host connections (a
// gRPC stats handler sees them come and go) and the tasks it started or
// recovered and has not destroyed. A task that exited but was not
// destroyed still counts: its exit status waits for the host.
type liveness struct {
	mu        sync.Mutex
	conns     int
	tasks     map[string]bool
	idleSince time.Time // when conns and tasks last both became zero
}

func newLiveness(now time.Time) *liveness {
	return &liveness{tasks: map[string]bool{}, idleSince: now}
}

func (l *liveness) changedLocked(now time.Time) {
	if l.conns == 0 && len(l.tasks) == 0 {
		l.idleSince = now
	}
}

// taskStarted and taskGone record tasks; nil-safe.
func (l *liveness) taskStarted(id string) {
	if l == nil || id == "" {
		return
	}
	l.mu.Lock()
	l.tasks[id] = true
	l.mu.Unlock()
}

func (l *liveness) taskGone(id string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.tasks, id)
	l.changedLocked(time.Now())
	l.mu.Unlock()
}

// orphanedFor is how long the plugin has had no connection and no task
// (0 while it has either).
func (l *liveness) orphanedFor(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns > 0 || len(l.tasks) > 0 {
		return 0
	}
	return now.Sub(l.idleSince)
}

// TagConn, HandleConn, TagRPC and HandleRPC make liveness a gRPC
// stats.Handler that counts connections.
func (l *liveness) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (l *liveness) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (l *liveness) HandleRPC(context.Context, stats.RPCStats)                         {}
func (l *liveness) HandleConn(_ context.Context, s stats.ConnStats) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch s.(type) {
	case *stats.ConnBegin:
		l.conns++
	case *stats.ConnEnd:
		l.conns--
		l.changedLocked(time.Now())
	}
}

// orphanGrace reads OrphanGraceEnv; 0 means never exit.
func orphanGrace(logger hclog.Logger) time.Duration {
	v := os.Getenv(OrphanGraceEnv)
	if v == "" {
		return DefaultOrphanGrace
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		logger.Warn("ignoring an invalid orphan grace; using the default", "env", OrphanGraceEnv, "value", v, "default", DefaultOrphanGrace)
		return DefaultOrphanGrace
	}
	return d
}

// watchOrphaned calls exit once the plugin has had no host connection and
// no task for grace. It checks every grace/4 (at most every second).
func watchOrphaned(l *liveness, grace time.Duration, logger hclog.Logger, exit func()) {
	if grace <= 0 {
		return
	}
	t := time.NewTicker(min(max(grace/4, time.Millisecond), time.Second))
	defer t.Stop()
	for now := range t.C {
		if l.orphanedFor(now) >= grace {
			logger.Info("no agent connected and no task for the orphan grace; exiting", "grace", grace)
			exit()
			return
		}
	}
}
