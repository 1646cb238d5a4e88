package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// ACL enforcement on the client agent's own endpoints. Every route of
// Handler is in clientRoutes with its requirement; Handler registers them
// from that table only, and a route with the zero requirement panics. With
// Config.ACL nil (ACLs off) nothing is checked. The token comes from
// X-Nomad-Token or "Authorization: Bearer" (none: the anonymous token);
// Config.ACL resolves it, on a client-only agent by asking the servers and
// caching the answer (client/aclcache). Tasks get no token.

// ACLResolver turns a request's secret into its rights; it has the shape
// of httpapi.ACLResolver (an unknown secret is an error wrapping
// nomadlike.ErrTokenNotFound).
type ACLResolver interface {
	ResolveToken(secretID string) (*acl.ACL, error)
}

// RouteNeed is what a client route's caller must be granted.
type RouteNeed struct {
	// Capability is a namespace capability on the allocation the path
	// names (in the allocation's namespace); "" for NodeRead routes.
	Capability string
	// NodeRead requires node:read.
	NodeRead bool
	// NodeWrite requires node:write (client GC, issue #14).
	NodeWrite bool
}

func (n RouteNeed) valid() bool {
	k := 0
	for _, b := range []bool{n.Capability != "", n.NodeRead, n.NodeWrite} {
		if b {
			k++
		}
	}
	return k == 1
}

// String is the requirement as the documentation's table shows it.
func (n RouteNeed) String() string {
	if n.NodeRead {
		return "node:read"
	}
	if n.NodeWrite {
		return "node:write"
	}
	return "namespace:" + n.Capability + " (allocation's namespace)"
}

// Route is one route of the client's handler.
type Route struct {
	Methods []string
	Pattern string
	Need    RouteNeed
	fn      func(*Client, http.ResponseWriter, *http.Request)
}

var writeMethods = []string{http.MethodPut, http.MethodPost}

func allocNeed(capability string) RouteNeed { return RouteNeed{Capability: capability} }

// clientRoutes is the client handler's whole router.
var clientRoutes = []Route{
	{[]string{http.MethodGet}, "/v1/client/fs/logs/{alloc}", allocNeed(acl.NamespaceCapabilityReadLogs), (*Client).handleLogs},
	// The file system API (fs.go): read-fs in the allocation's namespace.
	{[]string{http.MethodGet}, "/v1/client/fs/ls/{alloc}", allocNeed(acl.NamespaceCapabilityReadFS), (*Client).handleFSList},
	{[]string{http.MethodGet}, "/v1/client/fs/stat/{alloc}", allocNeed(acl.NamespaceCapabilityReadFS), (*Client).handleFSStat},
	{[]string{http.MethodGet}, "/v1/client/fs/cat/{alloc}", allocNeed(acl.NamespaceCapabilityReadFS), (*Client).handleFSCat},
	{[]string{http.MethodGet}, "/v1/client/fs/readat/{alloc}", allocNeed(acl.NamespaceCapabilityReadFS), (*Client).handleFSReadAt},
	{[]string{http.MethodGet}, "/v1/client/fs/stream/{alloc}", allocNeed(acl.NamespaceCapabilityReadFS), (*Client).handleFSStream},
	{[]string{http.MethodGet}, "/v1/client/allocation/{alloc}/stats", allocNeed(acl.NamespaceCapabilityReadJob), (*Client).handleAllocStats},
	// Check results (issue #13, checks.go).
	{[]string{http.MethodGet}, "/v1/client/allocation/{alloc}/checks", allocNeed(acl.NamespaceCapabilityReadJob), (*Client).handleAllocChecks},
	{writeMethods, "/v1/client/allocation/{alloc}/restart", allocNeed(acl.NamespaceCapabilityAllocLifecycle), (*Client).handleRestart},
	{writeMethods, "/v1/client/allocation/{alloc}/signal", allocNeed(acl.NamespaceCapabilityAllocLifecycle), (*Client).handleSignal},
	{writeMethods, "/v1/client/allocation/{alloc}/exec", allocNeed(acl.NamespaceCapabilityAllocExec), (*Client).handleExec},
	// alloc exec (interactive): a websocket, as Nomad's (exec_stream.go).
	{[]string{http.MethodGet}, "/v1/client/allocation/{alloc}/exec", allocNeed(acl.NamespaceCapabilityAllocExec), (*Client).handleExecStream},
	{writeMethods, "/v1/client/allocation/{alloc}/stop", allocNeed(acl.NamespaceCapabilityAllocLifecycle), (*Client).handleStop},
	{[]string{http.MethodGet}, "/v1/client/stats", RouteNeed{NodeRead: true}, (*Client).handleHostStats},
	// The client's own view of its allocations, filtered by read-job.
	{[]string{http.MethodGet}, "/v1/client/allocations", RouteNeed{NodeRead: true}, (*Client).handleAllocations},
	// Client garbage collection (issue #14, gc.go): Nomad's routes and ACLs.
	{[]string{http.MethodPut}, "/v1/client/gc", RouteNeed{NodeWrite: true}, (*Client).handleGC},
	{[]string{http.MethodPut}, "/v1/client/allocation/{alloc}/gc", allocNeed(acl.NamespaceCapabilitySubmitJob), (*Client).handleAllocGC},
	// The index entry of an allocation whose logs outlive it (retained.go).
	{[]string{http.MethodGet}, "/v1/client/allocation/{alloc}/retained-logs", allocNeed(acl.NamespaceCapabilityReadLogs), (*Client).handleRetained},
}

// Routes returns the client handler's routes with their requirements.
func Routes() []Route { return append([]Route(nil), clientRoutes...) }

// registerRoutes adds every route of clientRoutes to mux behind its check.
func (c *Client) registerRoutes(mux *http.ServeMux) {
	for _, rt := range clientRoutes {
		if !rt.Need.valid() {
			panic(fmt.Sprintf("client: route %s registered without a valid permission requirement", rt.Pattern))
		}
		rt := rt
		h := func(w http.ResponseWriter, r *http.Request) {
			if c.cfg.ACL != nil {
				a, err := c.authorize(r, rt.Need)
				if err != nil {
					c.logger.Debug("request refused", "method", r.Method, "path", r.URL.Path, "need", rt.Need.String(), "error", err)
					httpError(w, err)
					return
				}
				r = r.WithContext(withACL(r.Context(), a))
			}
			rt.fn(c, w, r)
		}
		for _, m := range rt.Methods {
			mux.HandleFunc(m+" "+rt.Pattern, h)
		}
	}
}

// authorize resolves the request's token and checks n. An allocation this
// node does not run is checked in ?namespace= (default "default"), so a
// caller without rights cannot tell it from a forbidden one.
func (c *Client) authorize(r *http.Request, n RouteNeed) (*acl.ACL, error) {
	a, err := c.cfg.ACL.ResolveToken(api.RequestToken(r))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err)
	}
	if a == nil {
		return nil, fmt.Errorf("%s %s: ACL resolver returned no ACL", r.Method, r.URL.Path)
	}
	ok := false
	switch {
	case n.NodeRead:
		ok = a.AllowNodeRead()
	case n.NodeWrite:
		ok = a.AllowNodeWrite()
	default:
		ns := r.URL.Query().Get("namespace")
		if ar, found := c.runner(r.PathValue("alloc")); found {
			ns = ar.Alloc().Namespace
		} else if ra, found := c.retained.Lookup(r.PathValue("alloc")); found {
			ns = ra.Namespace
		}
		if ns == "" {
			ns = nomadlike.DefaultNamespace
		}
		ok = a.AllowNamespaceOperation(ns, n.Capability)
	}
	if !ok {
		return nil, fmt.Errorf("%s %s: %w: the token does not grant %s", r.Method, r.URL.Path, nomadlike.ErrPermission, n.String())
	}
	return a, nil
}

func (c *Client) handleAllocations(w http.ResponseWriter, r *http.Request) {
	all := c.Allocations()
	a := aclOf(r.Context())
	if a == nil {
		writeJSON(w, all)
		return
	}
	out := make([]*nomadlike.Allocation, 0, len(all))
	for _, al := range all {
		if a.AllowNamespaceOperation(al.Namespace, acl.NamespaceCapabilityReadJob) {
			out = append(out, al)
		}
	}
	writeJSON(w, out)
}

type aclCtxKey struct{}

func withACL(ctx context.Context, a *acl.ACL) context.Context {
	return context.WithValue(ctx, aclCtxKey{}, a)
}

// aclOf returns the caller's ACL, nil with ACLs off.
func aclOf(ctx context.Context) *acl.ACL {
	a, _ := ctx.Value(aclCtxKey{}).(*acl.ACL)
	return a
}

// nodeCtx is the client's context carrying the node's SecretID as the
// token of the allocation reads, which the servers check when ACLs are on.
func (c *Client) nodeCtx() context.Context {
	c.nodeMu.RLock()
	secret := c.node.SecretID
	c.nodeMu.RUnlock()
	return api.WithAuthToken(c.ctx, secret)
}
