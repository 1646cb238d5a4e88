package ui

import (
	"net/http"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// varsData is the variables page: paths only; a variable's items are read
// when the user asks for them (varValue), with the same token.
type varsData struct {
	Vars   []*nomadlike.VariableMetadata
	Next   string
	Prefix string
}

func (h *Handler) loadVars(c *call, r *http.Request) (any, error) {
	d := &varsData{Prefix: r.URL.Query().Get("prefix")}
	q := &api.QueryOptions{Namespace: "*", Prefix: d.Prefix, Params: map[string]string{"per_page": "50"}}
	if n := r.URL.Query().Get("next"); n != "" {
		q.Params["next_token"] = n
	}
	qm, err := c.query("/v1/vars", &d.Vars, q)
	if err != nil {
		return d, err
	}
	d.Next = qm.NextToken
	return d, nil
}

// varValueData is one variable's items.
type varValueData struct {
	Var *nomadlike.Variable
}

// varValue shows one variable's items (GET /ui/variables/value?path=&namespace=).
func (h *Handler) varValue(w http.ResponseWriter, r *http.Request) {
	c := &call{ctx: ctxOf(r), c: h.client(r), token: h.sess.token(r)}
	p, ns := r.URL.Query().Get("path"), r.URL.Query().Get("namespace")
	v := &view{Title: "Variable " + p, Nav: "variables", CSRF: h.sess.csrf(r), Signed: c.token != "", Version: h.pages.version}
	d := &varValueData{}
	_, err := c.query("/v1/var/"+escapePath(p), &d.Var, &api.QueryOptions{Namespace: ns})
	v.Data = d
	code := http.StatusOK
	if err != nil {
		v.Error = h.explain(err, r)
		code = v.Error.Code
	}
	h.render(w, "var", v, false, code)
}

// escapePath escapes each segment of a variable path.
func escapePath(p string) string {
	u := url.URL{Path: p}
	return u.EscapedPath()
}
