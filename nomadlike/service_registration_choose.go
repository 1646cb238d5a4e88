package nomadlike

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// ErrBadChoose is the error of a malformed ?choose= value.
var ErrBadChoose = errors.New(`choose must be "N|KEY" with N a positive number`)

// ChooseServices returns a consistent subset of regs as Nomad's
// `?choose=N|KEY`: the N instances with the highest rendezvous hash of
// (KEY, instance ID), so that callers with the same KEY get the same
// instances, and an instance that comes or goes moves few callers. regs is
// not modified.
func ChooseServices(regs []*ServiceRegistration, spec string) ([]*ServiceRegistration, error) {
	nStr, key, ok := strings.Cut(spec, "|")
	n, err := strconv.Atoi(nStr)
	if !ok || err != nil || n <= 0 || key == "" {
		return nil, fmt.Errorf("%w: got %q", ErrBadChoose, spec)
	}
	type scored struct {
		reg   *ServiceRegistration
		score uint64
	}
	all := make([]scored, len(regs))
	for i, r := range regs {
		h := fnv.New64a()
		h.Write([]byte(key))
		h.Write([]byte{0})
		h.Write([]byte(r.ID))
		all[i] = scored{r, h.Sum64()}
	}
	slices.SortFunc(all, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return strings.Compare(a.reg.ID, b.reg.ID)
	})
	out := make([]*ServiceRegistration, 0, min(n, len(all)))
	for _, s := range all[:min(n, len(all))] {
		out = append(out, s.reg)
	}
	return out, nil
}

// ServiceStubs groups registrations (ordered by namespace then service
// name, as the store lists them) into the namespaces' service lists of GET
// /v1/services: one stub per service with the sorted union of its tags.
func ServiceStubs(regs []*ServiceRegistration) []*ServiceRegistrationListStub {
	out := []*ServiceRegistrationListStub{}
	var cur *ServiceRegistrationListStub
	var svc *ServiceRegistrationStub
	for _, r := range regs {
		if cur == nil || cur.Namespace != r.Namespace {
			cur = &ServiceRegistrationListStub{Namespace: r.Namespace, Services: []*ServiceRegistrationStub{}}
			out = append(out, cur)
			svc = nil
		}
		if svc == nil || svc.ServiceName != r.ServiceName {
			svc = &ServiceRegistrationStub{ServiceName: r.ServiceName, Tags: []string{}}
			cur.Services = append(cur.Services, svc)
		}
		for _, t := range r.Tags {
			if !slices.Contains(svc.Tags, t) {
				svc.Tags = append(svc.Tags, t)
			}
		}
	}
	for _, ns := range out {
		for _, s := range ns.Services {
			slices.Sort(s.Tags)
		}
	}
	return out
}
