package server

import (
	"context"
	"fmt"
	"log/slog"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// SetSchedulerConfig stores the scheduler configuration through raft (PUT
// /v1/operator/scheduler/configuration). With cas it is written only when
// the stored configuration's ModifyIndex is casIndex (0: none stored);
// updated is false when it was not. The schedulers use it from the next
// evaluation on.
func (s *Server) SetSchedulerConfig(cfg *nomadlike.SchedulerConfiguration, cas bool, casIndex uint64) (updated bool, index uint64, err error) {
	if !s.IsLeader() {
		return false, 0, notLeader("set scheduler configuration")
	}
	if err := cfg.Validate(); err != nil {
		return false, 0, err
	}
	index, err = s.raftApply(fsm.SchedulerConfigRequestType, &fsm.SchedulerConfigRequest{Config: cfg, CAS: cas, CASIndex: casIndex})
	switch {
	case err == fsm.ErrSchedulerConfigCAS:
		return false, index, nil
	case err != nil:
		return false, index, fmt.Errorf("set scheduler configuration: %w", err)
	}
	return true, index, nil
}

// schedulerConfig is the scheduler's config for an evaluation on snap: the
// stored configuration over the defaults, and the server's logger.
func (s *Server) schedulerConfig(snap *state.Snapshot) scheduler.Config {
	cfg := scheduler.DefaultConfig()
	cfg.Logger = s.schedLogger
	stored, err := snap.SchedulerConfig(nil)
	if err != nil {
		s.logger.Warn("read scheduler configuration; using the defaults", "error", err)
		return cfg
	}
	if stored != nil {
		cfg.Algorithm = stored.Algorithm()
		if stored.CandidateLimit > 0 {
			cfg.CandidateLimit = stored.CandidateLimit
		}
	}
	return cfg
}

// slogToHclog is a slog.Handler that writes to an hclog logger: the
// scheduler logs through log/slog (it imports nothing but the domain), the
// server through hclog.
type slogToHclog struct {
	l    hclog.Logger
	args []any
}

func newSchedulerLogger(l hclog.Logger) *slog.Logger {
	return slog.New(&slogToHclog{l: l})
}

func (h *slogToHclog) Enabled(_ context.Context, level slog.Level) bool {
	switch {
	case level >= slog.LevelError:
		return h.l.IsError()
	case level >= slog.LevelWarn:
		return h.l.IsWarn()
	case level >= slog.LevelInfo:
		return h.l.IsInfo()
	default:
		return h.l.IsDebug()
	}
}

func (h *slogToHclog) Handle(_ context.Context, r slog.Record) error {
	args := append([]any(nil), h.args...)
	r.Attrs(func(a slog.Attr) bool {
		args = append(args, a.Key, a.Value.Any())
		return true
	})
	switch {
	case r.Level >= slog.LevelError:
		h.l.Error(r.Message, args...)
	case r.Level >= slog.LevelWarn:
		h.l.Warn(r.Message, args...)
	case r.Level >= slog.LevelInfo:
		h.l.Info(r.Message, args...)
	default:
		h.l.Debug(r.Message, args...)
	}
	return nil
}

func (h *slogToHclog) WithAttrs(attrs []slog.Attr) slog.Handler {
	args := append([]any(nil), h.args...)
	for _, a := range attrs {
		args = append(args, a.Key, a.Value.Any())
	}
	return &slogToHclog{l: h.l, args: args}
}

func (h *slogToHclog) WithGroup(name string) slog.Handler {
	return &slogToHclog{l: h.l.Named(name), args: h.args}
}
