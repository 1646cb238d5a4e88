package render

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"text/template"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// VarItem is one item of a variable: it prints as its value, as in Nomad's
// templates ({{ .password }}), and has .Key and .Value.
type VarItem struct {
	Key, Value string
}

func (i VarItem) String() string { return i.Value }

// VarItems are the items of a variable (what nomadVar returns): index them
// by key ({{ .password }}) or range over them (sorted by key).
type VarItems map[string]VarItem

// Keys returns the item keys, sorted.
func (v VarItems) Keys() []string {
	out := make([]string, 0, len(v))
	for k := range v {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Values returns the items sorted by key.
func (v VarItems) Values() []VarItem {
	out := make([]VarItem, 0, len(v))
	for _, k := range v.Keys() {
		out = append(out, v[k])
	}
	return out
}

// Tuples is Values (consul-template's name for key/value pairs).
func (v VarItems) Tuples() []VarItem { return v.Values() }

// VarMeta describes a variable without its items (what nomadVarList
// returns); it prints as its path.
type VarMeta struct {
	Namespace   string
	Path        string
	CreateIndex uint64
	ModifyIndex uint64
	CreateTime  int64
	ModifyTime  int64
}

func (m *VarMeta) String() string { return m.Path }

// Service is one instance of a service (what nomadService returns).
type Service struct {
	ID         string
	Name       string
	Namespace  string
	Node       string // the node's ID, as consul-template names it
	NodeID     string
	Datacenter string
	JobID      string
	AllocID    string
	Tags       []string
	Address    string
	Port       int
}

// ServiceSummary names a service and its tags (what nomadServices returns).
type ServiceSummary struct {
	Name      string
	Namespace string
	Tags      []string
}

func (s *ServiceSummary) String() string { return s.Name }

// nomadFuncs returns the Nomad data functions reading through r.
func nomadFuncs(r *recorder) template.FuncMap {
	return template.FuncMap{
		"nomadVar":       r.nomadVar,
		"nomadVarExists": r.nomadVarExists,
		"nomadVarList":   r.nomadVarList,
		"nomadService":   r.nomadService,
		"nomadServices":  r.nomadServices,
	}
}

func (r *recorder) variable(q string) (*api.TmplVariable, bool, error) {
	d, err := parseVarQuery(DepVar, q, r.ns)
	if err != nil {
		return nil, false, err
	}
	v, known, err := r.lookup(d)
	if err != nil || !known {
		return nil, known, err
	}
	tv, _ := v.(*api.TmplVariable)
	return tv, true, nil
}

// nomadVar returns the items of a variable; a variable that does not exist
// (yet) keeps the render waiting, as Nomad's nomad.var.block does.
func (r *recorder) nomadVar(q string) (VarItems, error) {
	v, known, err := r.variable(q)
	out := VarItems{}
	if err != nil || !known {
		return out, err
	}
	if v == nil {
		d, _ := parseVarQuery(DepVar, q, r.ns)
		r.addMissing(d)
		return out, nil
	}
	for k, val := range v.Items {
		out[k] = VarItem{Key: k, Value: val}
	}
	return out, nil
}

// nomadVarExists reports whether a variable exists.
func (r *recorder) nomadVarExists(q string) (bool, error) {
	v, _, err := r.variable(q)
	return v != nil, err
}

// nomadVarList lists the variables under a prefix ("" lists all).
func (r *recorder) nomadVarList(args ...string) ([]*VarMeta, error) {
	q := ""
	if len(args) > 1 {
		return nil, fmt.Errorf("%w: nomadVarList takes at most one prefix", ErrBadQuery)
	}
	if len(args) == 1 {
		q = args[0]
	}
	d, err := parseVarQuery(DepVarList, q, r.ns)
	if err != nil {
		return nil, err
	}
	v, known, err := r.lookup(d)
	if err != nil || !known {
		return nil, err
	}
	list, _ := v.([]*api.TmplVariableMeta)
	out := make([]*VarMeta, 0, len(list))
	for _, m := range list {
		out = append(out, &VarMeta{Namespace: m.Namespace, Path: m.Path, CreateIndex: m.CreateIndex,
			ModifyIndex: m.ModifyIndex, CreateTime: m.CreateTime, ModifyTime: m.ModifyTime})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// nomadService lists the instances of "[tag.]name[@namespace]"; with three
// arguments (count, key, query) it picks a consistent subset of count
// instances for key, as Nomad's choose does.
func (r *recorder) nomadService(args ...any) ([]*Service, error) {
	var (
		q     string
		n     int
		key   string
		isStr bool
	)
	switch len(args) {
	case 1:
		q, isStr = args[0].(string)
	case 3:
		var ok1, ok2 bool
		n, ok1 = toInt(args[0])
		key, ok2 = args[1].(string)
		q, isStr = args[2].(string)
		isStr = isStr && ok1 && ok2 && n > 0
	}
	if !isStr {
		return nil, fmt.Errorf("%w: nomadService takes \"[tag.]name[@namespace]\" or count, key, \"name\"", ErrBadQuery)
	}
	d, tag, err := parseServiceQuery(q, r.ns)
	if err != nil {
		return nil, err
	}
	v, known, err := r.lookup(d)
	if err != nil || !known {
		return nil, err
	}
	regs, _ := v.([]*api.TmplService)
	out := make([]*Service, 0, len(regs))
	for _, s := range regs {
		if tag != "" && !hasTag(s.Tags, tag) {
			continue
		}
		out = append(out, &Service{ID: s.ID, Name: s.ServiceName, Namespace: s.Namespace, Node: s.NodeID, NodeID: s.NodeID,
			Datacenter: s.Datacenter, JobID: s.JobID, AllocID: s.AllocID, Tags: s.Tags, Address: s.Address, Port: s.Port})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if n > 0 {
		out = choose(out, n, key)
	}
	return out, nil
}

// nomadServices lists the services of the task's namespace (or "@ns").
func (r *recorder) nomadServices(args ...string) ([]*ServiceSummary, error) {
	ns := r.ns
	if len(args) > 1 {
		return nil, fmt.Errorf("%w: nomadServices takes at most \"@namespace\"", ErrBadQuery)
	}
	if len(args) == 1 {
		_, ns = splitNamespace(args[0], r.ns)
	}
	v, known, err := r.lookup(Dep{Kind: DepServices, Namespace: ns})
	if err != nil || !known {
		return nil, err
	}
	lists, _ := v.([]*api.TmplServiceList)
	var out []*ServiceSummary
	for _, l := range lists {
		for _, s := range l.Services {
			out = append(out, &ServiceSummary{Name: s.ServiceName, Namespace: l.Namespace, Tags: s.Tags})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func hasTag(tags []string, t string) bool {
	for _, x := range tags {
		if x == t {
			return true
		}
	}
	return false
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case string:
		var i int
		_, err := fmt.Sscan(n, &i)
		return i, err == nil
	}
	return 0, false
}

// choose keeps n instances by rendezvous hashing on key: the same key picks
// the same instances, and an instance coming or going moves few others.
func choose(in []*Service, n int, key string) []*Service {
	if n >= len(in) {
		return in
	}
	type scored struct {
		s     *Service
		score uint64
	}
	sc := make([]scored, len(in))
	for i, s := range in {
		h := sha256.Sum256([]byte(key + "\x00" + s.ID))
		sc[i] = scored{s, binary.BigEndian.Uint64(h[:8])}
	}
	sort.Slice(sc, func(i, j int) bool { return sc[i].score > sc[j].score })
	out := make([]*Service, n)
	for i := range out {
		out[i] = sc[i].s
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
