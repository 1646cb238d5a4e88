package render

import (
	"errors"
	"fmt"
	"strings"
)

// Dependency kinds: the server reads a template can make.
const (
	DepVar      = "var"      // GET /v1/var/:path (nomadVar, nomadVarExists)
	DepVarList  = "var_list" // GET /v1/vars?prefix= (nomadVarList)
	DepService  = "service"  // GET /v1/service/:name (nomadService)
	DepServices = "services" // GET /v1/services (nomadServices)
)

// ErrNoData is returned by the Nomad data functions when the template is
// rendered without a data source (Execute).
var ErrNoData = errors.New("no Nomad data source for this template")

// ErrBadQuery is wrapped by the errors of malformed function arguments.
var ErrBadQuery = errors.New("bad template query")

// Dep is one piece of server data a template reads. Dep values are
// comparable: equal Deps are one watch, however many templates use them.
type Dep struct {
	Kind      string
	Name      string // variable path, list prefix or service name
	Namespace string
}

// String names the dependency as Nomad's task events do
// ("nomad.var.block(nomad/jobs/app@default)").
func (d Dep) String() string {
	switch d.Kind {
	case DepVar:
		return fmt.Sprintf("nomad.var.block(%s@%s)", d.Name, d.Namespace)
	case DepVarList:
		return fmt.Sprintf("nomad.var.list(%s@%s)", d.Name, d.Namespace)
	case DepService:
		return fmt.Sprintf("nomad.service(%s@%s)", d.Name, d.Namespace)
	default:
		return fmt.Sprintf("nomad.services(@%s)", d.Namespace)
	}
}

// Data answers the template functions from watched server data.
type Data interface {
	// Lookup returns the current value of d and whether it is known yet.
	// Values: *api.TmplVariable (nil when the variable does not exist) for
	// DepVar, []*api.TmplVariableMeta, []*api.TmplService and
	// []*api.TmplServiceList for the others.
	Lookup(d Dep) (value any, known bool)
}

// splitNamespace cuts a trailing "@namespace" off q; def is used without.
func splitNamespace(q, def string) (string, string) {
	if i := strings.LastIndexByte(q, '@'); i >= 0 {
		if ns := q[i+1:]; ns != "" {
			return q[:i], ns
		}
		return q[:i], def
	}
	return q, def
}

// parseVarQuery parses "path[@namespace]".
func parseVarQuery(kind, q, defNS string) (Dep, error) {
	p, ns := splitNamespace(strings.TrimSpace(q), defNS)
	p = strings.Trim(p, "/")
	if p == "" && kind == DepVar {
		return Dep{}, fmt.Errorf("%w: empty variable path in %q", ErrBadQuery, q)
	}
	return Dep{Kind: kind, Name: p, Namespace: ns}, nil
}

// parseServiceQuery parses "[tag.]name[@namespace]".
func parseServiceQuery(q, defNS string) (Dep, string, error) {
	s, ns := splitNamespace(strings.TrimSpace(q), defNS)
	tag := ""
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		tag, s = s[:i], s[i+1:]
	}
	if s == "" {
		return Dep{}, "", fmt.Errorf("%w: empty service name in %q", ErrBadQuery, q)
	}
	return Dep{Kind: DepService, Name: s, Namespace: ns}, tag, nil
}

// recorder collects what one execution read and what it lacked.
type recorder struct {
	data    Data
	ns      string
	deps    []Dep
	missing []Dep
	seen    map[Dep]bool
}

// lookup records d and returns its value; ok is false while d is unknown
// (the render is then incomplete).
func (r *recorder) lookup(d Dep) (any, bool, error) {
	if r.data == nil {
		return nil, false, fmt.Errorf("%s: %w", d, ErrNoData)
	}
	if !r.seen[d] {
		r.seen[d] = true
		r.deps = append(r.deps, d)
	}
	v, known := r.data.Lookup(d)
	if !known {
		r.addMissing(d)
	}
	return v, known, nil
}

func (r *recorder) addMissing(d Dep) {
	for _, m := range r.missing {
		if m == d {
			return
		}
	}
	r.missing = append(r.missing, d)
}
