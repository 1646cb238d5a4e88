package nomadlike

import "time"

// Migrate health check modes (a subset of the update block's: no manual).
const (
	MigrateHealthChecks     = "checks"
	MigrateHealthTaskStates = "task_states"
)

// MigrateStrategy is a group's migrate block: how the allocations of a
// service group leave a draining node. At most MaxParallel of them move
// at a time; the next move waits until the replacements have a health
// verdict, decided by the client from HealthCheck, MinHealthyTime and
// HealthyDeadline (as the update block's, without manual).
type MigrateStrategy struct {
	MaxParallel     int           `json:"MaxParallel"`
	HealthCheck     string        `json:"HealthCheck"`
	MinHealthyTime  time.Duration `json:"MinHealthyTime"`
	HealthyDeadline time.Duration `json:"HealthyDeadline"`
}

// DefaultMigrateStrategy returns Nomad's defaults: one at a time, checks,
// 10s healthy, 5m deadline.
func DefaultMigrateStrategy() *MigrateStrategy {
	return &MigrateStrategy{
		MaxParallel:     1,
		HealthCheck:     MigrateHealthChecks,
		MinHealthyTime:  10 * time.Second,
		HealthyDeadline: 5 * time.Minute,
	}
}

// MigrateOf returns the group's migrate strategy, the default when the
// group has none (a job registered before the block existed).
func MigrateOf(tg *TaskGroup) *MigrateStrategy {
	if tg == nil || tg.Migrate == nil {
		return DefaultMigrateStrategy()
	}
	return tg.Migrate
}

func validateMigrate(v validator, m *MigrateStrategy) {
	if m.MaxParallel < 0 {
		v.fail("MaxParallel", "must be >= 0")
	}
	switch m.HealthCheck {
	case "", MigrateHealthChecks, MigrateHealthTaskStates:
	default:
		v.fail("HealthCheck", "unknown health check %q (want checks or task_states)", m.HealthCheck)
	}
	if m.MinHealthyTime < 0 {
		v.fail("MinHealthyTime", "must be >= 0")
	}
	if m.HealthyDeadline > 0 && m.MinHealthyTime >= m.HealthyDeadline {
		v.fail("MinHealthyTime", "must be less than HealthyDeadline (%s)", m.HealthyDeadline)
	}
}
