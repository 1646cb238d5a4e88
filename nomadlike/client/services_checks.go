package client

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/checks"
	"github.com/nomadlike/nomadlike/nomadlike/client/services"
)

// checkStatus joins the check runner (checks.Manager) to service
// registration (services.Manager): an instance in the catalog carries the
// worst status of its service's checks.
type checkStatus struct {
	c *Client
}

var _ services.CheckStatus = checkStatus{}

// ServiceStatus is the aggregate status of service's checks in the
// allocation, "" when none has reported (services.Registrations then
// counts a service that declares checks as critical, so an instance is
// never passing before its checks say so). It must not call into the
// allocation runner: the service manager calls it while the runner
// reports a state change under its lock.
func (s checkStatus) ServiceStatus(allocID, service string) string {
	worst := ""
	for _, st := range s.c.checks.ServiceStatuses(allocID) {
		if st.Service != service || st.Removed {
			continue
		}
		worst = worse(worst, catalogStatus(st.Status))
	}
	return worst
}

// catalogStatus maps a check status to the catalog's: pending counts as
// critical (not passing).
func catalogStatus(st checks.Status) string {
	switch st {
	case checks.StatusPassing:
		return nomadlike.ServiceStatusPassing
	case checks.StatusWarning:
		return nomadlike.ServiceStatusWarning
	default:
		return nomadlike.ServiceStatusCritical
	}
}

// worse returns the worse of two catalog statuses ("" is none yet).
func worse(a, b string) string {
	rank := map[string]int{"": 0, nomadlike.ServiceStatusPassing: 1, nomadlike.ServiceStatusWarning: 2, nomadlike.ServiceStatusCritical: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// wireChecksToServices makes the catalog follow the checks: the check
// runner's status changes recompute the allocation's instances.
func (c *Client) wireChecksToServices() {
	if c.services == nil || c.checks == nil {
		return
	}
	c.services.SetChecks(checkStatus{c: c})
	// The watcher must not block the check runner: ChecksChanged only marks
	// the allocation; the service manager's own goroutine recomputes it
	// (reading the current statuses, so a burst of changes coalesces).
	c.checks.Watch(func(st checks.ServiceStatus) { c.services.ChecksChanged(st.AllocID) })
}
