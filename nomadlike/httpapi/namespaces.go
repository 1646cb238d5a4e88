package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// NamespaceBackend is the optional capability of a Backend that writes
// namespaces (*server.Server has it). Both return after commit; see
// server.Server.UpsertNamespaces and DeleteNamespaces for the rules.
type NamespaceBackend interface {
	UpsertNamespaces(namespaces []*nomadlike.Namespace) (index uint64, err error)
	DeleteNamespaces(names []string) (index uint64, err error)
}

// errNoNamespaceWrites is the answer of a backend without NamespaceBackend.
var errNoNamespaceWrites = errors.New("this server cannot write namespaces")

// namespaceRoutes registers the /v1/namespace(s) endpoints, with Nomad's
// shapes. ACL requirements (for the enforcement middleware):
//   - GET /v1/namespaces: any token; the list is filtered to the namespaces
//     the token has any capability on (a management token sees all).
//   - GET /v1/namespace/{name}: any capability on that namespace.
//   - PUT/POST /v1/namespace/{name}, PUT/POST /v1/namespace (name in the
//     body) and DELETE /v1/namespace/{name}: a management token.
func (h *Handler) namespaceRoutes() {
	h.get("/v1/namespaces", anyToken(), h.serverOnly(h.namespaceList))
	h.get("/v1/namespace/{name}", anyToken(), h.serverOnly(h.namespaceInfo))
	h.write("/v1/namespace", management(), h.serverOnly(h.namespaceUpsert))
	h.write("/v1/namespace/{name}", management(), h.serverOnly(h.namespaceUpsert))
	h.del("/v1/namespace/{name}", management(), h.serverOnly(h.namespaceDelete))
}

// namespaceList answers GET /v1/namespaces (?prefix=), sorted by name,
// the default namespace included.
func (h *Handler) namespaceList(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		out, err := st.Namespaces(ws, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		if a := aclFrom(r); a != nil {
			// Only the namespaces the token has some right in.
			out = slices.DeleteFunc(out, func(ns *nomadlike.Namespace) bool { return !a.AllowNamespace(ns.Name) })
		}
		if out == nil {
			out = []*nomadlike.Namespace{}
		}
		idx, err := tableIndex(st, state.TableNamespaces)
		return out, idx, err
	})
}

// namespaceInfo answers GET /v1/namespace/{name}: 404 for an unknown name.
func (h *Handler) namespaceInfo(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if a := aclFrom(r); a != nil && !a.AllowNamespace(name) {
		writeError(w, fmt.Errorf("read namespace: %w", nomadlike.ErrPermission))
		return
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableNamespaces)
		if err != nil {
			return nil, 0, err
		}
		ns, err := st.NamespaceByName(ws, name)
		if err == nil && ns == nil {
			err = fmt.Errorf("%s: %w", reqlimit.Quote(name), nomadlike.ErrNamespaceNotFound)
		}
		return ns, idx, err
	})
}

// namespaceUpsert answers PUT/POST /v1/namespace[/{name}] with a Namespace
// body (Nomad's api.Namespace); the path's name fills an empty Name and
// must match a given one. The reply is empty, with X-Nomad-Index.
func (h *Handler) namespaceUpsert(w http.ResponseWriter, r *http.Request) {
	var ns nomadlike.Namespace
	if err := decodeBody(r, &ns); err != nil {
		writeError(w, err)
		return
	}
	if name := r.PathValue("name"); name != "" {
		if ns.Name == "" {
			ns.Name = name
		} else if ns.Name != name {
			writeError(w, badRequest("Name: %s does not match the namespace %s in the path", reqlimit.Quote(ns.Name), reqlimit.Quote(name)))
			return
		}
	}
	ns.CreateIndex, ns.ModifyIndex = 0, 0
	h.writeOp(w, r, func() (any, uint64, error) {
		nb, ok := h.cfg.Server.(NamespaceBackend)
		if !ok {
			return nil, 0, errNoNamespaceWrites
		}
		index, err := nb.UpsertNamespaces([]*nomadlike.Namespace{&ns})
		return nil, index, err
	})
}

// namespaceDelete answers DELETE /v1/namespace/{name}.
func (h *Handler) namespaceDelete(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	h.writeOp(w, r, func() (any, uint64, error) {
		nb, ok := h.cfg.Server.(NamespaceBackend)
		if !ok {
			return nil, 0, errNoNamespaceWrites
		}
		index, err := nb.DeleteNamespaces([]string{name})
		return nil, index, err
	})
}

// inNamespace keeps the objects of namespace ns (all of them for "*"), in
// place.
func inNamespace[T any](objs []T, ns string, nsOf func(T) string) []T {
	if ns == nomadlike.AllNamespaces {
		return objs
	}
	out := objs[:0]
	for _, o := range objs {
		if nsOf(o) == ns {
			out = append(out, o)
		}
	}
	return out
}
