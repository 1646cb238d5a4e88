package ui

import (
	"errors"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// pageDefs are the UI's pages, in nav order where they have a nav entry.
// Deployments and services read endpoints that other work adds: their
// pages say "not available" on an agent without them (pending.go,
// services.go).
var pageDefs []pageDef

func init() {
	pageDefs = []pageDef{
		{path: "/ui/jobs", tmpl: "jobs", title: "Jobs", nav: "jobs", load: (*Handler).loadJobs, watch: watchJobs},
		{path: "/ui/job", tmpl: "job", title: "Job", nav: "jobs", load: (*Handler).loadJob, watch: watchJob},
		{path: "/ui/allocations/{id}", tmpl: "alloc", title: "Allocation", nav: "jobs", load: (*Handler).loadAlloc, watch: watchAlloc},
		{path: "/ui/nodes", tmpl: "nodes", title: "Clients", nav: "nodes", load: (*Handler).loadNodes, watch: watchNodes},
		{path: "/ui/topology", tmpl: "topology", title: "Topology", nav: "topology", load: (*Handler).loadNodes, watch: watchNodes},
		{path: "/ui/evaluations", tmpl: "evals", title: "Evaluations", nav: "evaluations", load: (*Handler).loadEvals, watch: watchEvals},
		{path: "/ui/servers", tmpl: "servers", title: "Servers", nav: "servers", load: (*Handler).loadServers},
		{path: "/ui/variables", tmpl: "vars", title: "Variables", nav: "variables", load: (*Handler).loadVars},
		{path: "/ui/deployments", tmpl: "pending", title: "Deployments", nav: "deployments",
			load: fixed(pendingPage("/v1/deployments", "ID", "JobID", "Namespace", "Status", "StatusDescription"))},
		{path: "/ui/services", tmpl: "services", title: "Services", nav: "services", load: (*Handler).loadServices, watch: watchServices},
		{path: "/ui/settings/tokens", tmpl: "tokens", title: "ACL token", nav: "tokens", load: (*Handler).loadToken},
	}
}

func fixed(fn func(c *call, r *http.Request) (any, error)) func(*Handler, *call, *http.Request) (any, error) {
	return func(_ *Handler, c *call, r *http.Request) (any, error) { return fn(c, r) }
}

// tokenData is the token page.
type tokenData struct {
	Token       *nomadlike.ACLToken
	ACLDisabled bool
	Problem     string
}

// loadToken describes the session's token: its name and policies, or that
// ACLs are off (every page is open then).
func (h *Handler) loadToken(c *call, r *http.Request) (any, error) {
	d := &tokenData{}
	if r.URL.Query().Get("bad") == "1" {
		d.Problem = "That is not a token of this cluster (the API refused it). Check it and try again."
	}
	if c.token == "" {
		return d, nil
	}
	var t nomadlike.ACLToken
	_, err := c.query("/v1/acl/token/self", &t, nil)
	var se *api.StatusError
	switch {
	case err == nil:
		d.Token = &t
	case errors.As(err, &se) && (se.Code == http.StatusBadRequest || se.Code == http.StatusNotImplemented):
		d.ACLDisabled = true
	case errors.As(err, &se) && se.Code == http.StatusForbidden:
		d.Problem = "The stored token is not valid any more. Enter another one."
	default:
		return d, err
	}
	return d, nil
}

// setToken stores (or with clear=1 forgets) the session's token:
// POST /ui/settings/tokens. A token the cluster rejects is not stored.
func (h *Handler) setToken(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("clear") == "1" {
		h.sess.setToken(w, r, "")
		http.Redirect(w, r, "/ui/settings/tokens", http.StatusSeeOther)
		return
	}
	tok := r.PostFormValue("token")
	if !validToken(tok) {
		http.Redirect(w, r, "/ui/settings/tokens?bad=1", http.StatusSeeOther)
		return
	}
	c, _ := api.NewClient(api.Config{Address: "http://agent.internal", HTTPClient: h.http, Token: tok})
	var t nomadlike.ACLToken
	_, err := c.Query(ctxOf(r), "/v1/acl/token/self", &t, nil)
	var se *api.StatusError
	if errors.As(err, &se) && se.Code == http.StatusForbidden {
		http.Redirect(w, r, "/ui/settings/tokens?bad=1", http.StatusSeeOther)
		return
	}
	h.sess.setToken(w, r, tok)
	next := r.PostFormValue("next")
	if !isLocalUIPath(next) {
		next = "/ui/jobs"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// isLocalUIPath accepts only a path of this UI as a redirect target.
func isLocalUIPath(p string) bool {
	return len(p) > 4 && p[:4] == "/ui/" && (len(p) < 5 || (p[4] != '/' && p[4] != '\\'))
}
