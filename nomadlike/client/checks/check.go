package checks

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// check is one registered check with its state. Fields below mu are
// guarded by the Manager's mutex.
type check struct {
	id      string
	allocID string
	group   string
	task    string // the task of a task-level service, or the check's task
	service string
	svcTask string // "" for a group service
	name    string
	def     *nomadlike.ServiceCheck
	restart *nomadlike.CheckRestart
	probe   prober
	owner   *allocChecks

	// scheduling (Manager.mu)
	next    time.Time
	index   int // in the heap; -1 when not in it
	running bool
	removed bool

	// state (Manager.mu)
	status       Status
	last         Result
	successes    int
	failures     int
	restartFails int
}

// checkID is the ID of a check in an allocation, stable across agent
// restarts, as Nomad derives it from where the check is.
func checkID(allocID, group, task, service, name string) string {
	h := sha256.New()
	for _, s := range []string{allocID, group, task, service, name} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// initialStatus is the status a check reports before its thresholds are met.
func initialStatus(def *nomadlike.ServiceCheck) Status {
	switch Status(def.InitialStatus) {
	case StatusPassing, StatusWarning, StatusCritical:
		return Status(def.InitialStatus)
	}
	return StatusPending
}

// apply records a result and updates the reported status per the
// thresholds; it reports whether the reported status changed.
func (c *check) apply(r Result) bool {
	c.last = r
	before := c.status
	if r.Status == StatusPassing {
		c.successes++
		c.failures = 0
		if c.successes >= max(1, c.def.SuccessBeforePassing) {
			c.status = StatusPassing
		}
	} else {
		c.failures++
		c.successes = 0
		if c.failures >= max(1, c.def.FailuresBeforeCritical) {
			c.status = r.Status
		}
	}
	return c.status != before
}

// reset returns the check to its initial state (its task restarted).
func (c *check) reset() {
	c.status = initialStatus(c.def)
	c.successes, c.failures, c.restartFails = 0, 0, 0
}

// restartDue counts the reported status against check_restart and
// reports whether the task must restart now. startedAt is when the
// task last started.
func (c *check) restartDue(now, startedAt time.Time) bool {
	cr := c.restart
	if cr == nil || cr.Limit <= 0 {
		return false
	}
	failing := c.status == StatusCritical || (c.status == StatusWarning && !cr.IgnoreWarnings)
	if !failing || now.Before(startedAt.Add(cr.Grace)) {
		c.restartFails = 0
		return false
	}
	c.restartFails++
	return c.restartFails >= cr.Limit
}

// mode is Nomad's check mode: a check ignored for deployment health only
// says whether the service is ready.
func (c *check) mode() string {
	if c.def.OnUpdate == nomadlike.CheckOnUpdateIgnore {
		return "readiness"
	}
	return "healthiness"
}

// healthy reports whether the check counts as passing for deployment
// health, per its on_update.
func (c *check) healthy() bool {
	switch c.def.OnUpdate {
	case nomadlike.CheckOnUpdateIgnore:
		return true
	case nomadlike.CheckOnUpdateIgnoreWarnings:
		return c.status == StatusPassing || c.status == StatusWarning
	}
	return c.status == StatusPassing
}
