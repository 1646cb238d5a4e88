package httpapi

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
)

// ACL enforcement. Every route is registered through Handler.route with a
// need: what the caller's token must grant. Registering a route without one
// panics in New, and the route-matrix test walks the registry this keeps,
// so a route cannot be added unchecked. With Config.ACL nil (ACLs off) no
// need is checked and everything behaves as before.
//
// With ACLs on, the token is read from X-Nomad-Token or "Authorization:
// Bearer"; no token is the anonymous token (the "anonymous" policy, which
// grants nothing until an operator writes it). An unknown or expired
// secret is a 403 on every route but the public ones, as in Nomad. A
// request is checked by the agent that serves it: a request forwarded to
// the leader or to a node is checked again there.

// needKind is the kind of a route's requirement.
type needKind int

const (
	needInvalid       needKind = iota // the zero value: registering it panics
	needPublic                        // no token needed
	needToken                         // any token that resolves, not anonymous
	needResolved                      // any token that resolves, anonymous included; the handler decides
	needNamespace                     // a namespace capability
	needNodeRead                      // node:read
	needNodeWrite                     // node:write
	needAgentRead                     // agent:read
	needAgentWrite                    // agent:write
	needOperatorRead                  // operator:read
	needOperatorWrite                 // operator:write
	needManagement                    // a management token
	needNodeCall                      // a client node's call, authenticated by the backend with the node SecretID
	needNodeSecret                    // the token is a node's SecretID (of node {id} when the path names one)
	needSearch                        // node:read or namespace read-job; results filtered
	needClient                        // /v1/client/...: the capability the path needs (clientPathNeed)
)

// nsSource says where a namespace requirement takes its namespace from.
type nsSource int

const (
	nsQuery   nsSource = iota // ?namespace=, default "default"
	nsJobBody                 // the request body's Job.Namespace, else ?namespace=
	nsAlloc                   // the namespace of the allocation {id}, else ?namespace=
	nsEval                    // the namespace of the evaluation {id}, else ?namespace=
)

// need is a route's permission requirement. Build one with the functions
// below; the zero value is invalid.
type need struct {
	kind needKind
	// capability is the namespace capability (acl.NamespaceCapability*).
	capability string
	from       nsSource
	// list lets ?namespace=* through: the handler filters each item by
	// its namespace (aclFrom).
	list bool
	// orNodeRead (needNodeSecret) also admits a user token with node:read.
	orNodeRead bool
	// orNodeSecret (needNamespace) also admits any node's SecretID, as
	// Nomad's service reads admit a client (service catalog, services.go).
	orNodeSecret bool
	// orCapability (needNamespace), when set, is a second capability
	// that also grants the route (Nomad's "parse-job or submit-job").
	orCapability string
	// serviceRead (needNamespace, capability read-job) is a service
	// catalog read: a workload identity of the namespace also has it
	// (acl.ACL.AllowServiceRead), as Nomad lets workloads read services.
	serviceRead bool
}

func public() need           { return need{kind: needPublic} }
func anyToken() need         { return need{kind: needToken} }
func resolvedToken() need    { return need{kind: needResolved} }
func nodeRead() need         { return need{kind: needNodeRead} }
func nodeWrite() need        { return need{kind: needNodeWrite} }
func agentRead() need        { return need{kind: needAgentRead} }
func agentWrite() need       { return need{kind: needAgentWrite} }
func operatorRead() need     { return need{kind: needOperatorRead} }
func operatorWrite() need    { return need{kind: needOperatorWrite} }
func management() need       { return need{kind: needManagement} }
func nodeCall() need         { return need{kind: needNodeCall} }
func nodeSecret() need       { return need{kind: needNodeSecret} }
func nodeSecretOrRead() need { return need{kind: needNodeSecret, orNodeRead: true} }
func searchNeed() need       { return need{kind: needSearch, list: true} }
func clientNeed() need       { return need{kind: needClient} }

// ns needs capability in the namespace of ?namespace=.
func ns(capability string) need { return need{kind: needNamespace, capability: capability} }

// nsList is ns for a list: ?namespace=* is allowed and the handler filters.
func nsList(capability string) need {
	return need{kind: needNamespace, capability: capability, list: true}
}

// nsOf needs capability in the namespace taken from src.
func nsOf(src nsSource, capability string) need {
	return need{kind: needNamespace, capability: capability, from: src}
}

// nsEither needs capability or alt in the namespace of ?namespace=.
func nsEither(capability, alt string) need {
	return need{kind: needNamespace, capability: capability, orCapability: alt}
}

// needsServerState reports whether checking n needs the server's state
// (an object's namespace, a node's secret). Such routes must be server
// routes (serverOnly) or /v1/client/...: a client-only agent forwards them
// unchecked to the servers, which check them.
func (n need) needsServerState() bool {
	switch n.kind {
	case needClient, needNodeSecret:
		return true
	case needNamespace:
		return n.from == nsAlloc || n.from == nsEval
	}
	return false
}

// String is the requirement as the documentation's table shows it.
func (n need) String() string {
	switch n.kind {
	case needPublic:
		return "none"
	case needToken:
		return "any token (not anonymous)"
	case needResolved:
		return "any token, anonymous included (checked by the handler)"
	case needNamespace:
		s := "namespace:" + n.capability
		if n.orCapability != "" {
			s += " or " + n.orCapability
		}
		switch n.from {
		case nsJobBody:
			s += " (job's namespace)"
		case nsAlloc:
			s += " (allocation's namespace)"
		case nsEval:
			s += " (evaluation's namespace)"
		}
		if n.list {
			s += ", filtered"
		}
		if n.serviceRead {
			s += ", or a workload identity of the namespace"
		}
		if n.orNodeSecret {
			s += ", or a node SecretID"
		}
		return s
	case needNodeRead:
		return "node:read"
	case needNodeWrite:
		return "node:write"
	case needAgentRead:
		return "agent:read"
	case needAgentWrite:
		return "agent:write"
	case needOperatorRead:
		return "operator:read"
	case needOperatorWrite:
		return "operator:write"
	case needManagement:
		return "management"
	case needNodeCall:
		return "node SecretID (checked by the server)"
	case needNodeSecret:
		if n.orNodeRead {
			return "node SecretID, or node:read + namespace:read-job, filtered"
		}
		return "node SecretID"
	case needSearch:
		return "node:read or namespace:read-job, filtered"
	case needClient:
		return "by path, see the client agent table"
	}
	return "invalid"
}

// RouteInfo is one registered route and its requirement, for tests and
// the documentation table.
type RouteInfo struct {
	// Method is "" for a route that matches every method.
	Method, Pattern, Need string
	// Public is true for the routes that need no token.
	Public bool
	need   need
}

// Routes returns every registered route, sorted by pattern then method.
func (h *Handler) Routes() []RouteInfo {
	out := append([]RouteInfo(nil), h.registry...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// route registers fn for each method (none: every method) on pattern,
// behind the check of n. It is the only place that adds to the mux.
func (h *Handler) route(methods []string, pattern string, n need, fn http.HandlerFunc) {
	if n.kind == needInvalid {
		panic(fmt.Sprintf("httpapi: route %s %s registered without a permission requirement", strings.Join(methods, ","), pattern))
	}
	wrapped := h.authorize(n, fn)
	if len(methods) == 0 {
		h.registry = append(h.registry, RouteInfo{Pattern: pattern, Need: n.String(), Public: n.kind == needPublic, need: n})
		h.mux.HandleFunc(pattern, wrapped)
		return
	}
	for _, m := range methods {
		h.registry = append(h.registry, RouteInfo{Method: m, Pattern: pattern, Need: n.String(), Public: n.kind == needPublic, need: n})
		h.mux.HandleFunc(m+" "+pattern, wrapped)
	}
}

func (h *Handler) get(pattern string, n need, fn http.HandlerFunc) {
	h.route([]string{http.MethodGet}, pattern, n, fn)
}

func (h *Handler) write(pattern string, n need, fn http.HandlerFunc) {
	h.route(writes, pattern, n, fn)
}

func (h *Handler) del(pattern string, n need, fn http.HandlerFunc) {
	h.route([]string{http.MethodDelete}, pattern, n, fn)
}

// aclKey and nodeKey are the request context keys of the caller's ACL and
// of the node a node-secret request authenticated as.
type (
	aclKey  struct{}
	nodeKey struct{}
)

// aclFrom returns the caller's ACL, nil when ACLs are off or the caller is
// a node (no filtering then).
func aclFrom(r *http.Request) *acl.ACL {
	a, _ := r.Context().Value(aclKey{}).(*acl.ACL)
	return a
}

// nodeFrom returns the ID of the node whose SecretID the request carried
// ("" when it was not a node-secret request).
func nodeFrom(r *http.Request) string {
	id, _ := r.Context().Value(nodeKey{}).(string)
	return id
}

// allowNS reports whether the caller may use capability in namespace ns;
// always true with ACLs off.
func allowNS(r *http.Request, ns, capability string) bool {
	a := aclFrom(r)
	return a == nil || a.AllowNamespaceOperation(ns, capability)
}

// authorize wraps fn with the check of n.
func (h *Handler) authorize(n need, fn http.HandlerFunc) http.HandlerFunc {
	if n.kind == needPublic || n.kind == needNodeCall {
		// Node calls: the backend checks the node SecretID, ACLs or not.
		return fn
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.ACL == nil {
			fn(w, r)
			return
		}
		r, err := h.check(r, n)
		if err != nil {
			h.logger.Debug("request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "need", n.String(), "error", err)
			writeError(w, err)
			return
		}
		fn(w, r)
	}
}

// denied is the 403 of a token that lacks what the route needs.
func denied(r *http.Request, n need) error {
	return fmt.Errorf("%s %s: %w: the token does not grant %s", r.Method, r.URL.Path, nomadlike.ErrPermission, n.String())
}

// check returns r with the caller's ACL (or node) in its context when the
// request meets n, else an error mapping to 403 (500 when the resolver
// fails).
func (h *Handler) check(r *http.Request, n need) (*http.Request, error) {
	if h.cfg.Server == nil && n.needsServerState() {
		// A client-only agent cannot tell the allocation's namespace or
		// the node of a secret: the servers this route is forwarded to
		// check it (and the local client handler checks /v1/client/...).
		return r, nil
	}
	secret := requestToken(r)
	if n.orNodeSecret { // service catalog: a client reads services with its node's secret
		if ok, r2, err := h.checkNodeSecret(r, secret); ok || err != nil {
			return r2, err
		}
	}
	if n.kind == needNodeSecret {
		if ok, r2, err := h.checkNodeSecret(r, secret); ok || err != nil || !n.orNodeRead {
			if !ok && err == nil {
				err = fmt.Errorf("%s %s: %w: %s", r.Method, r.URL.Path, nomadlike.ErrPermission, errNodeSecret)
			}
			return r2, err
		}
	}
	a, err := h.cfg.ACL.ResolveToken(secret)
	if err != nil {
		return r, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err)
	}
	if a == nil {
		return r, fmt.Errorf("%s %s: ACL resolver returned no ACL", r.Method, r.URL.Path)
	}
	if !h.allows(r, a, secret, n) {
		return r, denied(r, n)
	}
	return r.WithContext(context.WithValue(r.Context(), aclKey{}, a)), nil
}

// allows decides n for the resolved ACL a.
func (h *Handler) allows(r *http.Request, a *acl.ACL, secret string, n need) bool {
	switch n.kind {
	case needToken:
		return secret != ""
	case needResolved:
		return true
	case needNamespace:
		ns := h.requestNamespace(r, n.from)
		if ns == "*" && n.list {
			return true
		}
		if n.serviceRead {
			return a.AllowServiceRead(ns)
		}
		return a.AllowNamespaceOperation(ns, n.capability) ||
			(n.orCapability != "" && a.AllowNamespaceOperation(ns, n.orCapability))
	case needNodeRead, needNodeSecret:
		// needNodeSecret reaches here only with orNodeRead.
		return a.AllowNodeRead()
	case needNodeWrite:
		return a.AllowNodeWrite()
	case needAgentRead:
		return a.AllowAgentRead()
	case needAgentWrite:
		return a.AllowAgentWrite()
	case needOperatorRead:
		return a.AllowOperatorRead()
	case needOperatorWrite:
		return a.AllowOperatorWrite()
	case needManagement:
		return a.IsManagement()
	case needSearch:
		ns := h.requestNamespace(r, nsQuery)
		return ns == "*" || a.AllowNodeRead() || a.AllowNamespaceOperation(ns, acl.NamespaceCapabilityReadJob)
	case needClient:
		return h.allowsClient(r, a)
	}
	return false
}

// errNodeSecret says what a node route wants.
const errNodeSecret = "this is a client node's route: the token must be the node's SecretID"

// checkNodeSecret reports whether secret is the SecretID of a known node
// (of node {id} when the path names one) and returns r with that node in
// its context. A client-only agent forwards these routes to the servers,
// which check them: it lets them through.
func (h *Handler) checkNodeSecret(r *http.Request, secret string) (bool, *http.Request, error) {
	if h.cfg.Server == nil {
		return true, r, nil
	}
	if secret == "" {
		return false, r, nil
	}
	node, err := h.cfg.Server.State().NodeBySecretID(nil, secret)
	if err != nil {
		return false, r, err
	}
	if node == nil || subtle.ConstantTimeCompare([]byte(node.SecretID), []byte(secret)) != 1 {
		return false, r, nil
	}
	if id := r.PathValue("id"); id != "" && id != node.ID {
		return false, r, nil
	}
	return true, r.WithContext(context.WithValue(r.Context(), nodeKey{}, node.ID)), nil
}

// requestNamespace returns the namespace a namespace requirement is
// checked in.
func (h *Handler) requestNamespace(r *http.Request, src nsSource) string {
	switch src {
	case nsJobBody:
		if ns := jobBodyNamespace(r); ns != "" {
			return ns
		}
	case nsAlloc:
		if ns := h.allocNamespace(r.PathValue("id")); ns != "" {
			return ns
		}
	case nsEval:
		if h.cfg.Server != nil {
			if e, err := evalByPath(nil, h.cfg.Server.State(), r.PathValue("id")); err == nil && e != nil {
				return e.Namespace
			}
		}
	}
	return namespaceParam(r)
}

// allocNamespace is the namespace of the allocation id (or unique prefix),
// "" when unknown here: the check then uses ?namespace=, so a caller
// without rights cannot tell a missing allocation from a forbidden one.
func (h *Handler) allocNamespace(id string) string {
	if h.cfg.Server == nil || id == "" {
		return ""
	}
	a, err := allocByPath(nil, h.cfg.Server.State(), id)
	if err != nil || a == nil {
		return ""
	}
	return a.Namespace
}

// jobBodyNamespace peeks at Job.Namespace in a register or plan body (""
// when absent or the body does not decode: the handler then reports the
// body's error). The body stays readable.
func jobBodyNamespace(r *http.Request) string {
	b, err := readBody(r)
	if err != nil || len(b) == 0 {
		return ""
	}
	var peek struct {
		Job *struct {
			Namespace string `json:"Namespace"`
		} `json:"Job"`
	}
	if jsonx.Unmarshal(b, &peek) != nil || peek.Job == nil {
		return ""
	}
	return peek.Job.Namespace
}

// clientPathNeed maps a /v1/client/... path (served by a node's client
// handler) to what it needs: the namespace capability on the allocation
// the path names, or node:read for the node-wide reads. It mirrors the
// client handler's own table (client.Handler), which checks again on the
// node; an unknown path needs a management token.
func clientPathNeed(path string) (capability, allocID string, nodeWide bool) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(path, "/v1/client/"), "/"), "/")
	switch {
	case len(parts) == 1 && (parts[0] == "stats" || parts[0] == "allocations"):
		return "", "", true
	case len(parts) >= 3 && parts[0] == "fs" && parts[1] == "logs":
		return acl.NamespaceCapabilityReadLogs, parts[2], false
	case len(parts) >= 3 && parts[0] == "fs":
		return acl.NamespaceCapabilityReadFS, parts[2], false
	case len(parts) == 3 && parts[0] == "allocation":
		switch parts[2] {
		case "stats", "checks": // checks: service health checks (issue #13)
			return acl.NamespaceCapabilityReadJob, parts[1], false
		case "exec":
			return acl.NamespaceCapabilityAllocExec, parts[1], false
		case "restart", "signal", "stop":
			return acl.NamespaceCapabilityAllocLifecycle, parts[1], false
		case "gc": // client GC (issue #14)
			return acl.NamespaceCapabilitySubmitJob, parts[1], false
		case "retained-logs":
			return acl.NamespaceCapabilityReadLogs, parts[1], false
		}
	}
	return "", "", false
}

// allowsClient checks a /v1/client/... request on a server: against the
// namespace of the allocation it names (known from the state).
func (h *Handler) allowsClient(r *http.Request, a *acl.ACL) bool {
	capability, allocID, nodeWide := clientPathNeed(r.URL.Path)
	switch {
	case strings.Trim(strings.TrimPrefix(r.URL.Path, "/v1/client/"), "/") == "gc":
		return a.AllowNodeWrite() // PUT /v1/client/gc (issue #14)
	case nodeWide:
		return a.AllowNodeRead()
	case capability == "":
		return a.IsManagement()
	}
	ns := h.allocNamespace(allocID)
	if ns == "" {
		ns = namespaceParam(r)
	}
	return a.AllowNamespaceOperation(ns, capability)
}

// filterNS keeps the items whose namespace (nsOf) the caller may use
// capability in: all of them with ACLs off, or for a node. It returns a
// new slice when it drops any.
func filterNS[T any](r *http.Request, items []T, capability string, nsOf func(T) string) []T {
	a := aclFrom(r)
	if a == nil || a.IsManagement() {
		return items
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		if a.AllowNamespaceOperation(nsOf(it), capability) {
			out = append(out, it)
		}
	}
	return out
}

func allocNS(a *nomadlike.Allocation) string { return a.Namespace }
