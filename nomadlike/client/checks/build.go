package checks

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// serviceRef is a service with the task it belongs to ("" for a group
// service without task).
type serviceRef struct {
	svc  *nomadlike.Service
	task string
	// group is set for a group-level service.
	group bool
}

// services lists the group's and its tasks' services.
func services(a *nomadlike.Allocation) []serviceRef {
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return nil
	}
	var out []serviceRef
	for _, s := range tg.Services {
		out = append(out, serviceRef{svc: s, task: s.TaskName, group: true})
	}
	for _, t := range tg.Tasks {
		for _, s := range t.Services {
			out = append(out, serviceRef{svc: s, task: t.Name})
		}
	}
	return out
}

// portAddr finds label's address in the allocation: a port label of the
// group's or a task's network, or a number.
func portAddr(a *nomadlike.Allocation, task, label string) (string, error) {
	if label == "" {
		return "", ErrNoPort
	}
	if n, err := strconv.Atoi(label); err == nil && n > 0 && n < 65536 {
		return net.JoinHostPort(allocIP(a, task), label), nil
	}
	if r := a.AllocatedResources; r != nil {
		for _, p := range r.Shared.Ports {
			if p.Label == label {
				ip := p.HostIP
				if ip == "" {
					ip = allocIP(a, task)
				}
				return net.JoinHostPort(ip, strconv.Itoa(p.Value)), nil
			}
		}
		nets := append([]*nomadlike.NetworkResource(nil), r.Shared.Networks...)
		if tr := r.Tasks[task]; tr != nil {
			nets = append(nets, tr.Networks...)
		}
		for _, n := range nets {
			for _, p := range append(append([]nomadlike.Port(nil), n.ReservedPorts...), n.DynamicPorts...) {
				if p.Label == label {
					ip := n.IP
					if ip == "" {
						ip = "127.0.0.1"
					}
					return net.JoinHostPort(ip, strconv.Itoa(p.Value)), nil
				}
			}
		}
	}
	return "", fmt.Errorf("port label %q: %w", label, ErrNoPort)
}

// allocIP is the allocation's address: its network's IP (nomadlike has
// host networking only, so every address_mode resolves to it).
func allocIP(a *nomadlike.Allocation, task string) string {
	if r := a.AllocatedResources; r != nil {
		for _, n := range r.Shared.Networks {
			if n.IP != "" {
				return n.IP
			}
		}
		if tr := r.Tasks[task]; tr != nil {
			for _, n := range tr.Networks {
				if n.IP != "" {
					return n.IP
				}
			}
		}
	}
	return "127.0.0.1"
}

// newProber builds the probe of def, a check of ref.
func (m *Manager) newProber(a *nomadlike.Allocation, ref serviceRef, def *nomadlike.ServiceCheck, task string, tasks Tasks) (prober, error) {
	timeout := def.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if def.Type == TypeScript {
		if task == "" {
			return nil, ErrNoTask
		}
		return &scriptProbe{tasks: tasks, task: task, cmd: append([]string{def.Command}, def.Args...), timeout: timeout}, nil
	}
	label := def.PortLabel
	if label == "" {
		label = ref.svc.PortLabel
	}
	addr, err := portAddr(a, task, label)
	if err != nil {
		return nil, err
	}
	if ref.svc.Address != "" && def.PortLabel == "" {
		_, port, _ := net.SplitHostPort(addr)
		addr = net.JoinHostPort(ref.svc.Address, port)
	}
	switch def.Type {
	case TypeTCP:
		return &tcpProbe{addr: addr}, nil
	case TypeHTTP:
		return httpProber(def, addr)
	case TypeGRPC:
		p := &grpcProbe{addr: addr, service: def.GRPCService}
		if def.GRPCUseTLS {
			p.tlsConf = &tls.Config{InsecureSkipVerify: def.TLSSkipVerify, ServerName: def.TLSServerName} //nolint:gosec // the job asked for it
		}
		return p, nil
	}
	return nil, fmt.Errorf("%q: %w", def.Type, ErrUnknownType)
}

func httpProber(def *nomadlike.ServiceCheck, addr string) (prober, error) {
	scheme := "http"
	if def.Protocol == "https" {
		scheme = "https"
	}
	path := def.Path
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(scheme + "://" + addr + path)
	if err != nil {
		return nil, fmt.Errorf("check path %q: %w", def.Path, err)
	}
	method := def.Method
	if method == "" {
		method = http.MethodGet
	}
	h := http.Header{}
	for k, vs := range def.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	var tc *tls.Config
	if scheme == "https" {
		tc = &tls.Config{InsecureSkipVerify: def.TLSSkipVerify, ServerName: def.TLSServerName} //nolint:gosec // tls_skip_verify asked for it
		if tc.ServerName == "" {
			tc.ServerName, _, _ = net.SplitHostPort(addr)
		}
	}
	host := h.Get("Host")
	h.Del("Host")
	return newHTTPProbe(method, u.String(), addr, host, h, def.Body, tc)
}
