package nomadlike

import (
	"fmt"
	"slices"
	"strings"
)

// Service providers. nomadlike has no Consul: a service with provider
// "consul" (Nomad's default) or no provider is registered in the servers'
// own catalog, as provider "nomad" is.
const (
	ServiceProviderNomad  = "nomad"
	ServiceProviderConsul = "consul"
)

// Check status of a registration (our extension of Nomad's shape, the
// aggregate of the service's checks on its client). A service without
// checks is passing.
const (
	ServiceStatusPassing  = "passing"
	ServiceStatusWarning  = "warning"
	ServiceStatusCritical = "critical"
)

// ServiceRegistration is one instance of a service in the servers' catalog,
// in Nomad's shape (api.ServiceRegistration). Status is ours: the aggregate
// status of the instance's checks ("passing", "warning", "critical"; ""
// read as passing), which Nomad's own catalog does not keep; Nomad's Go
// client ignores the field.
type ServiceRegistration struct {
	ID          string   `json:"ID"`
	ServiceName string   `json:"ServiceName"`
	Namespace   string   `json:"Namespace"`
	NodeID      string   `json:"NodeID"`
	Datacenter  string   `json:"Datacenter"`
	JobID       string   `json:"JobID"`
	AllocID     string   `json:"AllocID"`
	Tags        []string `json:"Tags"`
	Address     string   `json:"Address"`
	Port        int      `json:"Port"`
	// Status is our extension: the aggregate check status.
	Status      string `json:"Status,omitempty"`
	CreateIndex uint64 `json:"CreateIndex"`
	ModifyIndex uint64 `json:"ModifyIndex"`
}

// Passing reports whether the instance's checks pass (no status: passing).
func (r *ServiceRegistration) Passing() bool {
	return r.Status == "" || r.Status == ServiceStatusPassing
}

// Copy returns a deep copy.
func (r *ServiceRegistration) Copy() *ServiceRegistration {
	if r == nil {
		return nil
	}
	c := *r
	c.Tags = append([]string(nil), r.Tags...)
	return &c
}

// Equal reports whether a and b register the same instance the same way
// (indexes ignored).
func (r *ServiceRegistration) Equal(o *ServiceRegistration) bool {
	if r == nil || o == nil {
		return r == o
	}
	return r.ID == o.ID && r.ServiceName == o.ServiceName && r.Namespace == o.Namespace &&
		r.NodeID == o.NodeID && r.Datacenter == o.Datacenter && r.JobID == o.JobID &&
		r.AllocID == o.AllocID && r.Address == o.Address && r.Port == o.Port &&
		r.Status == o.Status && slices.Equal(r.Tags, o.Tags)
}

// Validate checks a registration a client sends; errors name the field
// under path (e.g. Services[0].Port).
func (r *ServiceRegistration) Validate(path string) error {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{Path: path + "." + field, Message: msg}) }
	if r == nil {
		return &ValidationError{Errors: []FieldError{{Path: path, Message: "must not be null"}}}
	}
	for _, f := range [][2]string{{"ID", r.ID}, {"ServiceName", r.ServiceName}, {"Namespace", r.Namespace},
		{"NodeID", r.NodeID}, {"JobID", r.JobID}, {"AllocID", r.AllocID}} {
		field, v := f[0], f[1]
		if v == "" {
			bad(field, "is required")
		} else if len(v) > 512 {
			bad(field, "is longer than 512 bytes")
		}
	}
	if r.Port < 0 || r.Port > 65535 {
		bad("Port", fmt.Sprintf("%d is not a port (0-65535)", r.Port))
	}
	if len(r.Tags) > 64 {
		bad("Tags", fmt.Sprintf("%d tags, at most 64", len(r.Tags)))
	}
	switch r.Status {
	case "", ServiceStatusPassing, ServiceStatusWarning, ServiceStatusCritical:
	default:
		bad("Status", fmt.Sprintf("%q is not passing, warning or critical", r.Status))
	}
	if strings.ContainsAny(r.ServiceName, " \t\n/") {
		bad("ServiceName", "must not contain spaces or slashes")
	}
	if len(errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: errs}
}

// ServiceRegistrationStub is one service of a namespace in the service
// list (Nomad's api.ServiceRegistrationStub): the union of its instances'
// tags.
type ServiceRegistrationStub struct {
	ServiceName string   `json:"ServiceName"`
	Tags        []string `json:"Tags"`
}

// ServiceRegistrationListStub is a namespace's services in GET
// /v1/services (Nomad's api.ServiceRegistrationListStub).
type ServiceRegistrationListStub struct {
	Namespace string                     `json:"Namespace"`
	Services  []*ServiceRegistrationStub `json:"Services"`
}

// ServiceRegistrationID is the ID of the registration of service (on the
// port labelled port) by a task (task != "") or group of an allocation,
// shaped as Nomad's: _nomad-task-<alloc>-<task>-<service>-<port>, or
// _nomad-group-<alloc>-<group>-<service>-<port>.
func ServiceRegistrationID(allocID, group, task, service, port string) string {
	if task != "" {
		return fmt.Sprintf("_nomad-task-%s-%s-%s-%s", allocID, task, service, port)
	}
	return fmt.Sprintf("_nomad-group-%s-%s-%s-%s", allocID, group, service, port)
}

// RegistersInCatalog reports whether a service block is registered in the
// servers' catalog: provider "nomad", and "consul" or none too, since
// nomadlike has no Consul.
func (s *Service) RegistersInCatalog() bool {
	switch s.Provider {
	case "", ServiceProviderNomad, ServiceProviderConsul:
		return true
	}
	return false
}
