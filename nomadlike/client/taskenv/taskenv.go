package taskenv

import (
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Paths are the task's directories as the task sees them: host paths for a
// driver without filesystem isolation, /alloc, /local and /secrets inside a
// chroot or image.
type Paths struct {
	AllocDir   string
	TaskDir    string
	SecretsDir string
}

// Env is a task's environment plus the node variables interpolation sees.
type Env struct {
	env  map[string]string
	node map[string]string
}

// Build returns the environment of task in alloc on node. The task's env
// block is interpolated against the NOMAD_* variables and the node.
func Build(node *nomadlike.Node, alloc *nomadlike.Allocation, task *nomadlike.Task, paths Paths) *Env {
	e := &Env{env: map[string]string{}, node: nodeVars(node)}
	set := func(k, v string) { e.env[k] = v }

	set("NOMAD_ALLOC_ID", alloc.ID)
	set("NOMAD_SHORT_ALLOC_ID", nomadlike.ShortID(alloc.ID))
	set("NOMAD_ALLOC_NAME", alloc.Name)
	set("NOMAD_ALLOC_INDEX", strconv.Itoa(alloc.Index()))
	set("NOMAD_GROUP_NAME", alloc.TaskGroup)
	set("NOMAD_TASK_NAME", task.Name)
	set("NOMAD_NAMESPACE", alloc.Namespace)
	set("NOMAD_ALLOC_DIR", paths.AllocDir)
	set("NOMAD_TASK_DIR", paths.TaskDir)
	set("NOMAD_SECRETS_DIR", paths.SecretsDir)
	if node != nil {
		set("NOMAD_DC", node.Datacenter)
	}
	var group *nomadlike.TaskGroup
	if j := alloc.Job; j != nil {
		set("NOMAD_JOB_ID", j.ID)
		set("NOMAD_JOB_NAME", j.Name)
		set("NOMAD_REGION", j.Region)
		if j.ParentID != "" {
			set("NOMAD_JOB_PARENT_ID", j.ParentID)
		}
		group = j.LookupTaskGroup(alloc.TaskGroup)
	}

	if ar := alloc.AllocatedResources; ar != nil {
		if tr := ar.Tasks[task.Name]; tr != nil {
			set("NOMAD_CPU_LIMIT", strconv.FormatInt(tr.Cpu.CpuShares, 10))
			set("NOMAD_MEMORY_LIMIT", strconv.FormatInt(tr.Memory.MemoryMB, 10))
			if tr.Memory.MemoryMaxMB > 0 {
				set("NOMAD_MEMORY_MAX_LIMIT", strconv.FormatInt(tr.Memory.MemoryMaxMB, 10))
			}
			addNetworkPorts(e.env, tr.Networks)
		}
		addNetworkPorts(e.env, ar.Shared.Networks)
		for _, p := range ar.Shared.Ports {
			addPort(e.env, p.Label, p.HostIP, p.Value, p.To)
		}
		if st := alloc.NetworkStatus; st != nil {
			for k, v := range AllocAddrEnv(alloc, st.Address) {
				e.env[k] = v
			}
		}
	} else if task.Resources != nil {
		set("NOMAD_CPU_LIMIT", strconv.Itoa(task.Resources.CPU))
		set("NOMAD_MEMORY_LIMIT", strconv.Itoa(task.Resources.MemoryMB))
	}

	meta := map[string]string{}
	if alloc.Job != nil {
		for k, v := range alloc.Job.Meta {
			meta[k] = v
		}
	}
	if group != nil {
		for k, v := range group.Meta {
			meta[k] = v
		}
	}
	for k, v := range task.Meta {
		meta[k] = v
	}
	for k, v := range meta {
		set("NOMAD_META_"+cleanKey(k), v)
		set("NOMAD_META_"+strings.ToUpper(cleanKey(k)), v)
	}

	// The env block sees the NOMAD_* variables and the node; keys are applied
	// in order so the result does not depend on map iteration.
	base := &Env{env: copyMap(e.env), node: e.node}
	keys := make([]string, 0, len(task.Env))
	for k := range task.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e.env[k] = base.ReplaceEnv(task.Env[k])
	}
	return e
}

func addNetworkPorts(env map[string]string, nets []*nomadlike.NetworkResource) {
	for _, n := range nets {
		if n == nil {
			continue
		}
		for _, p := range n.ReservedPorts {
			addPort(env, p.Label, n.IP, p.Value, p.To)
		}
		for _, p := range n.DynamicPorts {
			addPort(env, p.Label, n.IP, p.Value, p.To)
		}
	}
}

func addPort(env map[string]string, label, ip string, value, to int) {
	if label == "" {
		return
	}
	l := cleanKey(label)
	inside := value
	if to > 0 {
		inside = to
	}
	env["NOMAD_PORT_"+l] = strconv.Itoa(inside)
	env["NOMAD_ALLOC_PORT_"+l] = strconv.Itoa(inside)
	env["NOMAD_HOST_PORT_"+l] = strconv.Itoa(value)
	if ip != "" {
		env["NOMAD_IP_"+l] = ip
		env["NOMAD_HOST_IP_"+l] = ip
		env["NOMAD_ADDR_"+l] = net.JoinHostPort(ip, strconv.Itoa(value))
		env["NOMAD_HOST_ADDR_"+l] = net.JoinHostPort(ip, strconv.Itoa(value))
	}
}

// cleanKey makes s usable in a variable name: characters other than
// letters, digits, '_' and '.' become '_', as Nomad does.
func cleanKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

func nodeVars(n *nomadlike.Node) map[string]string {
	m := map[string]string{}
	if n == nil {
		return m
	}
	m["node.unique.id"] = n.ID
	m["node.unique.name"] = n.Name
	m["node.datacenter"] = n.Datacenter
	m["node.class"] = n.NodeClass
	m["node.pool"] = n.NodePool
	for k, v := range n.Attributes {
		m["attr."+k] = v
		m["node.attr."+k] = v
	}
	for k, v := range n.Meta {
		m["meta."+k] = v
		m["node.meta."+k] = v
	}
	return m
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// With returns a copy of e with extra variables set (template env files).
func (e *Env) With(extra map[string]string) *Env {
	out := &Env{env: copyMap(e.env), node: e.node}
	for k, v := range extra {
		out.env[k] = v
	}
	return out
}

// Map returns a copy of the environment variables.
func (e *Env) Map() map[string]string { return copyMap(e.env) }

// Get returns one environment variable.
func (e *Env) Get(k string) (string, bool) {
	v, ok := e.env[k]
	return v, ok
}

// lookup resolves the inside of a ${...}.
func (e *Env) lookup(key string) (string, bool) {
	key = strings.TrimSpace(key)
	if strings.HasPrefix(key, "env[") && strings.HasSuffix(key, "]") {
		name := strings.TrimSpace(key[4 : len(key)-1])
		if uq, err := strconv.Unquote(name); err == nil {
			name = uq
		}
		v, ok := e.env[name]
		return v, ok
	}
	if v, ok := e.node[key]; ok {
		return v, true
	}
	v, ok := e.env[key]
	return v, ok
}

// ReplaceEnv interpolates ${...} variables in s. Unknown variables are left
// as written, so a typo shows up in the task's output instead of vanishing.
func (e *Env) ReplaceEnv(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i+2:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		ref := s[i+2 : i+2+j]
		if v, ok := e.lookup(ref); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+3+j])
		}
		s = s[i+3+j:]
	}
}

// ReplaceAll interpolates every string in a list.
func (e *Env) ReplaceAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = e.ReplaceEnv(s)
	}
	return out
}

// ReplaceConfig returns a deep copy of a driver config with every string
// (map values, list elements, at any depth) interpolated. Keys are kept.
func (e *Env) ReplaceConfig(cfg map[string]any) map[string]any {
	if cfg == nil {
		return nil
	}
	out, _ := e.replaceValue(cfg).(map[string]any)
	return out
}

func (e *Env) replaceValue(v any) any {
	switch x := v.(type) {
	case string:
		return e.ReplaceEnv(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, vv := range x {
			m[k] = e.replaceValue(vv)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, vv := range x {
			l[i] = e.replaceValue(vv)
		}
		return l
	case []string:
		return e.ReplaceAll(x)
	case []map[string]any:
		l := make([]map[string]any, len(x))
		for i, vv := range x {
			l[i], _ = e.replaceValue(vv).(map[string]any)
		}
		return l
	}
	return v
}

// AllocAddrEnv returns NOMAD_ALLOC_IP_<label> and NOMAD_ALLOC_ADDR_<label>
// for every port of the allocation's group network, given the allocation's
// own address (bridge mode: its address on the bridge). The address pairs
// with the port inside the namespace ("to", else the host port), as Nomad.
func AllocAddrEnv(alloc *nomadlike.Allocation, address string) map[string]string {
	env := map[string]string{}
	ar := alloc.AllocatedResources
	if ar == nil || address == "" {
		return env
	}
	for _, p := range ar.Shared.Ports {
		if p.Label == "" {
			continue
		}
		inside := p.Value
		if p.To > 0 {
			inside = p.To
		}
		l := cleanKey(p.Label)
		env["NOMAD_ALLOC_IP_"+l] = address
		env["NOMAD_ALLOC_ADDR_"+l] = net.JoinHostPort(address, strconv.Itoa(inside))
	}
	return env
}
