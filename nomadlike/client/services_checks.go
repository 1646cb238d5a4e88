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
// allocation, without the allocation: see AllocServiceStatus.
func (s checkStatus) ServiceStatus(allocID, service string) string {
	return s.status(allocID, nil, service)
}

// AllocServiceStatus is the aggregate status of service's checks in a:
// passing for a service without checks; critical while a service with
// checks has no result yet (its checks have not started, or one is still
// pending), so an instance is never passing before its checks say so. It
// must not take the allocation runner's lock: the runner calls the
// services manager with it held.
func (s checkStatus) AllocServiceStatus(a *nomadlike.Allocation, service string) string {
	return s.status(a.ID, a, service)
}

// status is the aggregate status of service in allocation allocID (a, when
// known, tells whether the service declares checks).
func (s checkStatus) status(allocID string, a *nomadlike.Allocation, service string) string {
	worst, seen := "", false
	for _, st := range s.c.checks.ServiceStatuses(allocID) {
		if st.Service != service || st.Removed {
			continue
		}
		seen = true
		worst = worse(worst, catalogStatus(st.Status))
	}
	if seen {
		return worst
	}
	if serviceHasChecks(a, service) {
		return nomadlike.ServiceStatusCritical
	}
	return nomadlike.ServiceStatusPassing
}

// serviceHasChecks reports whether a service of a's group (or of one of
// its tasks) named service declares checks.
func serviceHasChecks(a *nomadlike.Allocation, service string) bool {
	if a == nil || a.Job == nil {
		return false
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return false
	}
	has := func(list []*nomadlike.Service) bool {
		for _, svc := range list {
			if len(svc.Checks) > 0 && svc.Name == service {
				return true
			}
		}
		return false
	}
	if has(tg.Services) {
		return true
	}
	for _, t := range tg.Tasks {
		if has(t.Services) {
			return true
		}
	}
	return false
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
	// The watcher must not block the check runner: the recompute (which
	// reads the current statuses, so order does not matter) runs on its own.
	c.checks.Watch(func(st checks.ServiceStatus) { go c.services.ChecksChanged(st.AllocID) })
}
