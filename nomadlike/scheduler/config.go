package scheduler

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// DefaultCandidateLimit is how many nodes that fit are scored per
// placement by default. BENCHMARKS.md ("Scheduler") measures the trade-off:
// at 64 the packing on a 1,000-node cluster is within a few percent of
// best-fit-decreasing, while scoring every node costs about an order of
// magnitude more per placement on large clusters. Nomad scores 2 nodes for
// batch jobs and log2(n) for services, which packs visibly worse.
const DefaultCandidateLimit = 64

// DefaultMaxPlanAttempts is how many times a scheduler retries an
// evaluation whose plan was only partly committed.
const DefaultMaxPlanAttempts = 5

// Config tunes a scheduler. The zero value is not valid; start from
// DefaultConfig.
type Config struct {
	// CandidateLimit is how many feasible nodes that fit are scored for
	// each placement; 0 scores every feasible node. Lower is faster, higher
	// packs better (see DefaultCandidateLimit).
	CandidateLimit int
	// MaxPlanAttempts bounds the retries after partial commits; when they
	// run out the evaluation fails and a blocked evaluation takes over.
	MaxPlanAttempts int
	// Algorithm is nomadlike.SchedulerAlgorithmBinpack (the default when
	// empty: the fullest node that fits scores best) or
	// nomadlike.SchedulerAlgorithmSpread (the emptiest does), as Nomad's
	// scheduler_algorithm.
	Algorithm string
	// Logger receives debug records; nil discards them.
	Logger *slog.Logger
	// Now is the clock for reschedule delays and create times; nil means
	// time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{CandidateLimit: DefaultCandidateLimit, MaxPlanAttempts: DefaultMaxPlanAttempts}
}

// ErrInvalidConfig is wrapped by Config.Validate errors.
var ErrInvalidConfig = errors.New("invalid scheduler config")

// ErrUnknownJobType is returned by NewScheduler for a job type it has no
// scheduler for.
var ErrUnknownJobType = errors.New("unknown job type")

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.CandidateLimit < 0:
		return fmt.Errorf("%w: CandidateLimit must be >= 0 (0 scores every node), got %d", ErrInvalidConfig, c.CandidateLimit)
	case c.MaxPlanAttempts < 1:
		return fmt.Errorf("%w: MaxPlanAttempts must be >= 1, got %d", ErrInvalidConfig, c.MaxPlanAttempts)
	case c.Algorithm != "" && c.Algorithm != nomadlike.SchedulerAlgorithmBinpack && c.Algorithm != nomadlike.SchedulerAlgorithmSpread:
		return fmt.Errorf("%w: Algorithm must be %q or %q, got %q", ErrInvalidConfig, nomadlike.SchedulerAlgorithmBinpack, nomadlike.SchedulerAlgorithmSpread, c.Algorithm)
	}
	return nil
}

// NewScheduler returns the scheduler for jobType ("service", "batch",
// "system", "sysbatch") with the default config and logger (nil discards).
func NewScheduler(jobType string, state State, planner Planner, logger *slog.Logger) (Scheduler, error) {
	cfg := DefaultConfig()
	cfg.Logger = logger
	return NewSchedulerWithConfig(jobType, state, planner, cfg)
}

// NewSchedulerWithConfig is NewScheduler with a config.
func NewSchedulerWithConfig(jobType string, state State, planner Planner, cfg Config) (Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch jobType {
	case nomadlike.JobTypeService, nomadlike.JobTypeBatch, nomadlike.JobTypeSystem, nomadlike.JobTypeSysBatch:
	default:
		return nil, fmt.Errorf("new scheduler: %w %q", ErrUnknownJobType, jobType)
	}
	return &genericScheduler{cfg: cfg, jobType: jobType, state: state, planner: planner}, nil
}
