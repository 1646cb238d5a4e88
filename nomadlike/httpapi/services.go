package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// ServiceBackend is the optional capability of a Backend that writes the
// service catalog (*server.Server has it); every method returns after
// commit. See server.Server's methods of the same names for the rules.
type ServiceBackend interface {
	UpsertServiceRegistrations(secretID string, regs []*nomadlike.ServiceRegistration) (uint64, error)
	DeregisterServicesFromClient(secretID string, ids []string) (uint64, error)
	DeleteServiceRegistration(ns, id string) (uint64, error)
}

var errNoServiceWrites = errors.New("this server cannot write the service catalog")

// serviceRoutes registers the service catalog's endpoints, with Nomad's
// paths, shapes and ACL requirements (read-job on the namespace to read,
// submit-job to delete), and the clients' internal routes (node SecretID).
func (h *Handler) serviceRoutes() {
	// A client reads with its node's SecretID (its DNS interface and
	// templates), as Nomad's clients do.
	// A task reads them with its workload identity (its namespace only).
	h.get("/v1/services", orNodeSecret(serviceRead(nsList(acl.NamespaceCapabilityReadJob))), h.serverOnly(h.serviceList))
	h.get("/v1/service/{name}", orNodeSecret(serviceRead(ns(acl.NamespaceCapabilityReadJob))), h.serverOnly(h.serviceInfo))
	h.del("/v1/service/{name}/{id}", ns(acl.NamespaceCapabilitySubmitJob), h.serverOnly(h.serviceDelete))
	h.get("/v1/allocation/{id}/services", serviceRead(nsOf(nsAlloc, acl.NamespaceCapabilityReadJob)), h.serverOnly(h.allocServices))
	// Clients' registrations (Nomad's ServiceRegistration.Upsert and
	// DeleteByID RPCs), authenticated by the node's SecretID.
	h.write("/v1/client/services/upsert", nodeCall(), h.serverOnly(h.clientServicesUpsert))
	h.write("/v1/client/services/deregister", nodeCall(), h.serverOnly(h.clientServicesDeregister))
}

func (h *Handler) serviceBackend() (ServiceBackend, error) {
	sb, ok := h.cfg.Server.(ServiceBackend)
	if !ok {
		return nil, errNoServiceWrites
	}
	return sb, nil
}

// serviceList answers GET /v1/services: per namespace (?namespace=, "*"
// for every one the token may read), the services and their tags.
func (h *Handler) serviceList(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		regs, err := st.ServiceRegistrations(ws, q.namespace)
		if err != nil {
			return nil, 0, err
		}
		regs = filterServices(r, regs)
		idx, err := tableIndex(st, state.TableServiceRegistrations)
		return nomadlike.ServiceStubs(regs), idx, err
	})
}

// filterServices keeps the registrations of the namespaces whose services
// the caller may read (acl.ACL.AllowServiceRead): all of them with ACLs
// off or for a node.
func filterServices(r *http.Request, regs []*nomadlike.ServiceRegistration) []*nomadlike.ServiceRegistration {
	a := aclFrom(r)
	if a == nil || a.IsManagement() {
		return regs
	}
	return slices.DeleteFunc(slices.Clone(regs), func(s *nomadlike.ServiceRegistration) bool { return !a.AllowServiceRead(s.Namespace) })
}

// serviceInfo answers GET /v1/service/{name}: the instances of the service
// in ?namespace=, [] when none. ?choose=N|KEY keeps a consistent subset
// (Nomad's); ?passing=true (ours) keeps the instances whose checks pass.
func (h *Handler) serviceInfo(w http.ResponseWriter, r *http.Request) {
	choose := r.URL.Query().Get("choose")
	passing := false
	if v := r.URL.Query().Get("passing"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, badRequest("passing: %q is not a boolean", v))
			return
		}
		passing = b
	}
	name := r.PathValue("name")
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		regs, err := st.ServiceRegistrationsByName(ws, q.namespace, name)
		if err != nil {
			return nil, 0, err
		}
		if passing {
			regs = slices.DeleteFunc(slices.Clone(regs), func(s *nomadlike.ServiceRegistration) bool { return !s.Passing() })
		}
		if choose != "" {
			if regs, err = nomadlike.ChooseServices(regs, choose); err != nil {
				return nil, 0, badRequest("choose: %v", err)
			}
		}
		if regs == nil {
			regs = []*nomadlike.ServiceRegistration{}
		}
		idx, err := tableIndex(st, state.TableServiceRegistrations)
		return regs, idx, err
	})
}

// serviceDelete answers DELETE /v1/service/{name}/{id}.
func (h *Handler) serviceDelete(w http.ResponseWriter, r *http.Request) {
	q, err := h.parseQuery(r)
	if err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	h.writeOp(w, r, func() (any, uint64, error) {
		sb, err := h.serviceBackend()
		if err != nil {
			return nil, 0, err
		}
		index, err := sb.DeleteServiceRegistration(q.namespace, id)
		return nil, index, err
	})
}

// allocServices answers GET /v1/allocation/{id}/services: the allocation's
// registrations ([] when none; 404 for an unknown allocation).
func (h *Handler) allocServices(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		a, err := allocByPath(ws, st, r.PathValue("id"))
		if err != nil {
			return nil, 0, err
		}
		regs, err := st.ServiceRegistrationsByAlloc(ws, a.ID)
		if err != nil {
			return nil, 0, err
		}
		if regs == nil {
			regs = []*nomadlike.ServiceRegistration{}
		}
		idx, err := tableIndex(st, state.TableServiceRegistrations)
		return regs, idx, err
	})
}

// clientServicesUpsert answers PUT /v1/client/services/upsert {Services}.
func (h *Handler) clientServicesUpsert(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Services []*nomadlike.ServiceRegistration `json:"Services"`
	}
	h.clientServicesWrite(w, r, &req, func(sb ServiceBackend, secret string) (uint64, error) {
		return sb.UpsertServiceRegistrations(secret, req.Services)
	})
}

// clientServicesDeregister answers PUT /v1/client/services/deregister {IDs}.
func (h *Handler) clientServicesDeregister(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDs []string `json:"IDs"`
	}
	h.clientServicesWrite(w, r, &req, func(sb ServiceBackend, secret string) (uint64, error) {
		return sb.DeregisterServicesFromClient(secret, req.IDs)
	})
}

// clientServicesWrite decodes a node call's body into req and runs op with
// the node's secret, answering {"Index"}.
func (h *Handler) clientServicesWrite(w http.ResponseWriter, r *http.Request, req any, op func(sb ServiceBackend, secret string) (uint64, error)) {
	if err := decodeBody(r, req); err != nil {
		writeError(w, err)
		return
	}
	secret := requestToken(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		sb, err := h.serviceBackend()
		if err != nil {
			return nil, 0, err
		}
		index, err := op(sb, secret)
		return map[string]uint64{"Index": index}, index, err
	})
}

// serviceRead makes a read-job requirement a service catalog read, which a
// workload identity of the namespace also passes.
func serviceRead(n need) need {
	n.serviceRead = true
	return n
}

// orNodeSecret makes a namespace requirement also admit a node's SecretID.
func orNodeSecret(n need) need {
	n.orNodeSecret = true
	return n
}
