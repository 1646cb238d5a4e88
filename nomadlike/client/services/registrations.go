package services

import (
	"net"
	"strconv"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
)

// StatusFunc returns the aggregate check status of one service of an
// allocation ("passing", "warning", "critical"), "" when no check of it
// has reported: the instance is then critical if the service declares
// checks, else passing.
type StatusFunc func(service string) string

// Registrations returns the instances allocation a (its client view, with
// TaskStates and ClientStatus) should have in the catalog on node: none
// unless it should run; its group's services once the allocation runs;
// each task's services while that task runs. Services of another provider
// than the catalog's are skipped.
func Registrations(a *nomadlike.Allocation, node *nomadlike.Node, status StatusFunc) []*nomadlike.ServiceRegistration {
	if a == nil || a.Job == nil || node == nil || a.DesiredStatus != nomadlike.AllocDesiredStatusRun || a.ClientTerminalStatus() {
		return nil
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return nil
	}
	var out []*nomadlike.ServiceRegistration
	if a.ClientStatus == nomadlike.AllocClientStatusRunning {
		for _, s := range tg.Services {
			out = appendReg(out, a, node, interpolate(s, a, node, &nomadlike.Task{}), tg.Name, "", status)
		}
	}
	for _, t := range tg.Tasks {
		ts := a.TaskStates[t.Name]
		if ts == nil || ts.State != nomadlike.TaskStateRunning {
			continue
		}
		for _, s := range t.Services {
			out = appendReg(out, a, node, interpolate(s, a, node, t), tg.Name, t.Name, status)
		}
	}
	return out
}

func appendReg(out []*nomadlike.ServiceRegistration, a *nomadlike.Allocation, node *nomadlike.Node, s *nomadlike.Service, group, task string, status StatusFunc) []*nomadlike.ServiceRegistration {
	if s == nil || s.Name == "" || !s.RegistersInCatalog() {
		return out
	}
	addr, port := serviceAddress(a, node, s)
	tags := s.Tags
	if a.DeploymentStatus != nil && a.DeploymentStatus.Canary && len(s.CanaryTags) > 0 {
		tags = s.CanaryTags
	}
	st := nomadlike.ServiceStatusPassing
	if len(s.Checks) > 0 {
		st = nomadlike.ServiceStatusCritical // until its checks report
	}
	if status != nil {
		if v := status(s.Name); v != "" {
			st = v
		}
	}
	return append(out, &nomadlike.ServiceRegistration{
		ID:          nomadlike.ServiceRegistrationID(a.ID, group, task, s.Name, s.PortLabel),
		ServiceName: s.Name,
		Namespace:   a.Namespace,
		NodeID:      node.ID,
		Datacenter:  node.Datacenter,
		JobID:       a.JobID,
		AllocID:     a.ID,
		Tags:        append([]string(nil), tags...),
		Address:     addr,
		Port:        port,
		Status:      st,
	})
}

// serviceAddress resolves the address and port of a service from the
// allocation's networks: address_mode "auto", "host" and "driver" (no
// driver advertises its own network yet) give the host IP and the host
// port; "alloc" gives the port inside the allocation's network (to) when
// one is mapped. A numeric port label is the port itself; a service with
// an address uses it.
func serviceAddress(a *nomadlike.Allocation, node *nomadlike.Node, s *nomadlike.Service) (string, int) {
	ip, port, to := "", 0, 0
	if p, ok := findPort(a, s.PortLabel); ok {
		ip, port, to = p.HostIP, p.Value, p.To
	} else if n, err := strconv.Atoi(s.PortLabel); err == nil {
		port = n
	}
	if s.AddressMode == "alloc" && to > 0 {
		port = to
	}
	if ip == "" {
		ip = allocIP(a)
	}
	if ip == "" && node != nil {
		ip = node.Attributes["unique.network.ip-address"]
	}
	if s.Address != "" {
		ip = s.Address
	}
	if ip == "" {
		ip = "127.0.0.1"
	}
	return ip, port
}

func findPort(a *nomadlike.Allocation, label string) (nomadlike.AllocatedPort, bool) {
	ar := a.AllocatedResources
	if ar == nil || label == "" {
		return nomadlike.AllocatedPort{}, false
	}
	for _, p := range ar.Shared.Ports {
		if p.Label == label {
			return p, true
		}
	}
	nets := append([]*nomadlike.NetworkResource(nil), ar.Shared.Networks...)
	for _, t := range ar.Tasks {
		nets = append(nets, t.Networks...)
	}
	for _, n := range nets {
		for _, p := range append(append([]nomadlike.Port(nil), n.ReservedPorts...), n.DynamicPorts...) {
			if p.Label == label {
				return nomadlike.AllocatedPort{Label: p.Label, Value: p.Value, To: p.To, HostIP: n.IP}, true
			}
		}
	}
	return nomadlike.AllocatedPort{}, false
}

func allocIP(a *nomadlike.Allocation) string {
	if a.AllocatedResources == nil {
		return ""
	}
	for _, n := range a.AllocatedResources.Shared.Networks {
		if net.ParseIP(n.IP) != nil {
			return n.IP
		}
	}
	return ""
}

// interpolate returns s with ${...} runtime variables (NOMAD_*, node
// attributes, the task's env) replaced in its name, port, tags and
// address, as Nomad does; task is empty for a group service.
func interpolate(s *nomadlike.Service, a *nomadlike.Allocation, node *nomadlike.Node, task *nomadlike.Task) *nomadlike.Service {
	if s == nil || !hasVar(s) {
		return s
	}
	env := taskenv.Build(node, a, task, taskenv.Paths{})
	c := *s
	c.Name, c.PortLabel, c.Address = env.ReplaceEnv(s.Name), env.ReplaceEnv(s.PortLabel), env.ReplaceEnv(s.Address)
	c.Tags, c.CanaryTags = env.ReplaceAll(s.Tags), env.ReplaceAll(s.CanaryTags)
	return &c
}

func hasVar(s *nomadlike.Service) bool {
	all := append([]string{s.Name, s.PortLabel, s.Address}, s.Tags...)
	for _, v := range append(all, s.CanaryTags...) {
		if strings.Contains(v, "${") {
			return true
		}
	}
	return false
}
