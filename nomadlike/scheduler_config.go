package nomadlike

import "fmt"

// Scheduler algorithms (SchedulerConfiguration.SchedulerAlgorithm), as
// Nomad's: binpack fills the fullest nodes that fit, spread the emptiest.
const (
	SchedulerAlgorithmBinpack = "binpack"
	SchedulerAlgorithmSpread  = "spread"
)

// SchedulerConfiguration is the cluster-wide scheduler configuration,
// stored in raft (GET/PUT /v1/operator/scheduler/configuration, Nomad's
// shape). The zero value is the default.
type SchedulerConfiguration struct {
	// SchedulerAlgorithm is "binpack" (the default when empty) or "spread".
	SchedulerAlgorithm string `json:"SchedulerAlgorithm"`
	// CandidateLimit is how many feasible nodes are scored per placement
	// (a nomadlike extension; Nomad scores 2 for batch and log2(n) for
	// services); 0 means the scheduler's default (64, see BENCHMARKS.md).
	CandidateLimit int `json:"CandidateLimit,omitempty"`

	CreateIndex uint64 `json:"CreateIndex"`
	ModifyIndex uint64 `json:"ModifyIndex"`
}

// Algorithm returns the algorithm, "binpack" when unset.
func (c *SchedulerConfiguration) Algorithm() string {
	if c == nil || c.SchedulerAlgorithm == "" {
		return SchedulerAlgorithmBinpack
	}
	return c.SchedulerAlgorithm
}

// Validate reports the first invalid field as a *ValidationError.
func (c *SchedulerConfiguration) Validate() error {
	switch c.SchedulerAlgorithm {
	case "", SchedulerAlgorithmBinpack, SchedulerAlgorithmSpread:
	default:
		return &ValidationError{Errors: []FieldError{{Path: "SchedulerAlgorithm", Message: fmt.Sprintf("must be %q or %q, got %q", SchedulerAlgorithmBinpack, SchedulerAlgorithmSpread, c.SchedulerAlgorithm)}}}
	}
	if c.CandidateLimit < 0 {
		return &ValidationError{Errors: []FieldError{{Path: "CandidateLimit", Message: fmt.Sprintf("must be >= 0 (0: the default), got %d", c.CandidateLimit)}}}
	}
	return nil
}
