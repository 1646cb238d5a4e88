package acl

import (
	"fmt"
	"sort"
)

// ACL is the compiled, merged form of a token's policies. It is immutable
// and safe for concurrent use; lookups take a map access and, for names
// without an exact rule, a scan of the glob rules from most to least
// specific. Get one from Compile or ManagementACL; a nil *ACL is not an
// ACL (its methods panic), so "ACLs disabled" must be ManagementACL().
type ACL struct {
	management bool

	namespaces  table[capSet]
	variables   table[table[capSet]] // namespace label -> path rules; only rules with a variables block
	hostVolumes table[capSet]

	node, agent, operator, quota, plugin level

	// workload is the identity of a workload ACL (workload.go), nil for
	// tokens.
	workload *Workload
}

var management = &ACL{management: true}

// ManagementACL returns the ACL of a management token: every check passes.
func ManagementACL() *ACL { return management }

// Compile merges policies into one ACL. For each resource and each label,
// the rules of all policies are merged: capabilities are united, except that
// a deny anywhere leaves only deny. Which label applies to a name is decided
// at lookup (see the package documentation). Compile with no policies
// returns an ACL that allows nothing. A policy that Parse did not produce is
// checked the same way: an unknown capability or policy value is an error
// matching ErrInvalidPolicy.
func Compile(policies ...*Policy) (*ACL, error) {
	ns := map[string]capSet{}
	vars := map[string]map[string]capSet{}
	hv := map[string]capSet{}
	a := &ACL{}
	for _, pol := range policies {
		if pol == nil {
			return nil, fmt.Errorf("%w: nil policy", ErrInvalidPolicy)
		}
		if err := compileNamespaces(pol, ns, vars); err != nil {
			return nil, err
		}
		for _, r := range pol.HostVolumes {
			s, err := ruleSet(pol.Name, "host_volume "+r.Name, hostVolumeKind, r.Policy, r.Capabilities)
			if err != nil {
				return nil, err
			}
			hv[r.Name] = hv[r.Name].merge(s)
		}
		if err := a.mergeLevels(pol); err != nil {
			return nil, err
		}
	}
	a.namespaces = buildTable(ns)
	a.hostVolumes = buildTable(hv)
	byNS := map[string]table[capSet]{}
	for label, paths := range vars {
		byNS[label] = buildTable(paths)
	}
	a.variables = buildTable(byNS)
	return a, nil
}

func compileNamespaces(pol *Policy, ns map[string]capSet, vars map[string]map[string]capSet) error {
	for _, r := range pol.Namespaces {
		name := r.Name
		if name == "" {
			name = "default"
		}
		s, err := ruleSet(pol.Name, "namespace "+name, namespaceKind, r.Policy, r.Capabilities)
		if err != nil {
			return err
		}
		ns[name] = ns[name].merge(s)
		if r.Variables == nil {
			continue
		}
		paths := vars[name]
		if paths == nil {
			paths = map[string]capSet{}
			vars[name] = paths
		}
		for _, pr := range r.Variables {
			ps, err := ruleSet(pol.Name, "namespace "+name+" path "+pr.Path, variablesKind, "", pr.Capabilities)
			if err != nil {
				return err
			}
			paths[pr.Path] = paths[pr.Path].merge(ps)
		}
	}
	return nil
}

// ruleSet expands and checks one rule's policy and capabilities.
func ruleSet(policy, where string, kind *capKind, shorthand string, caps []string) (capSet, error) {
	if _, ok := kind.policies[shorthand]; shorthand != "" && !ok {
		return 0, fmt.Errorf("%w: policy %q, %s: invalid policy %q", ErrInvalidPolicy, policy, where, shorthand)
	}
	s, bad, ok := kind.set(kind.expand(shorthand, caps))
	if !ok {
		return 0, fmt.Errorf("%w: policy %q, %s: unknown %s capability %q", ErrInvalidPolicy, policy, where, kind.what, bad)
	}
	return s, nil
}

func (a *ACL) mergeLevels(pol *Policy) error {
	for _, f := range []struct {
		what    string
		value   string
		dst     *level
		allowed []string
	}{
		{"node", pol.Node, &a.node, simplePolicies},
		{"agent", pol.Agent, &a.agent, simplePolicies},
		{"operator", pol.Operator, &a.operator, simplePolicies},
		{"quota", pol.Quota, &a.quota, simplePolicies},
		{"plugin", pol.Plugin, &a.plugin, pluginPolicies},
	} {
		if f.value == "" {
			continue
		}
		ok := false
		for _, v := range f.allowed {
			ok = ok || v == f.value
		}
		if !ok {
			return fmt.Errorf("%w: policy %q: invalid %s policy %q", ErrInvalidPolicy, pol.Name, f.what, f.value)
		}
		*f.dst = f.dst.merge(parseLevel(f.value))
	}
	return nil
}

// IsManagement reports whether this is the management ACL.
func (a *ACL) IsManagement() bool { return a.management }

func (a *ACL) namespaceSet(ns string) capSet {
	s, _ := a.namespaces.lookup(ns, capSet.merge)
	return s
}

// AllowNamespaceOperation reports whether the rule that applies to namespace
// ns grants capability op (a NamespaceCapability* name). An unknown op, and
// "deny", are never allowed.
func (a *ACL) AllowNamespaceOperation(ns, op string) bool {
	if a.management {
		return true
	}
	bit, ok := namespaceKind.bits[op]
	if !ok || bit == denyBit {
		return false
	}
	return a.namespaceSet(ns).allows(bit)
}

// AllowNamespace reports whether the rule that applies to ns grants any
// capability at all (Nomad's check for reading the namespace itself).
func (a *ACL) AllowNamespace(ns string) bool {
	if a.management {
		return true
	}
	s := a.namespaceSet(ns)
	return s != 0 && !s.denied()
}

// NamespaceCapabilities returns the sorted capabilities the rule that
// applies to ns grants: ["deny"] for a denied namespace, nil for none. It
// is meant for diagnostics and the token self-inspection API.
func (a *ACL) NamespaceCapabilities(ns string) []string {
	s := a.namespaceSet(ns)
	if a.management {
		s = ^denyBit
	}
	var out []string
	for _, name := range namespaceKind.names {
		if s&namespaceKind.bits[name] != 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// AllowVariableOperation reports whether op ("list", "read", "write" or
// "destroy") is allowed on the variable at path in namespace ns. The path
// rule comes from the namespace rules that have a variables block (exact
// namespace, else closest glob), then the closest path within them. A
// namespace whose applicable namespace rule is deny allows no variable
// operation either.
func (a *ACL) AllowVariableOperation(ns, path, op string) bool {
	if a.management {
		return true
	}
	bit, ok := variablesKind.bits[op]
	if !ok || bit == denyBit {
		return false
	}
	if a.namespaceSet(ns).denied() {
		return false
	}
	var s capSet
	a.variables.each(ns, func(paths table[capSet]) {
		if ps, ok := paths.lookup(path, capSet.merge); ok {
			s = s.merge(ps)
		}
	})
	return s.allows(bit)
}

// AllowHostVolumeOperation reports whether the host_volume rule that
// applies to the volume name grants op ("mount-readonly" or
// "mount-readwrite").
func (a *ACL) AllowHostVolumeOperation(name, op string) bool {
	if a.management {
		return true
	}
	bit, ok := hostVolumeKind.bits[op]
	if !ok || bit == denyBit {
		return false
	}
	s, _ := a.hostVolumes.lookup(name, capSet.merge)
	return s.allows(bit)
}

// AllowHostVolume reports whether the host_volume rule that applies to the
// volume name grants any capability.
func (a *ACL) AllowHostVolume(name string) bool {
	if a.management {
		return true
	}
	s, _ := a.hostVolumes.lookup(name, capSet.merge)
	return s != 0 && !s.denied()
}

// AllowNodeRead reports whether the node rule grants read (read or write).
func (a *ACL) AllowNodeRead() bool { return a.management || a.node.atLeast(levelRead) }

// AllowNodeWrite reports whether the node rule grants write.
func (a *ACL) AllowNodeWrite() bool { return a.management || a.node.atLeast(levelWrite) }

// AllowAgentRead reports whether the agent rule grants read.
func (a *ACL) AllowAgentRead() bool { return a.management || a.agent.atLeast(levelRead) }

// AllowAgentWrite reports whether the agent rule grants write.
func (a *ACL) AllowAgentWrite() bool { return a.management || a.agent.atLeast(levelWrite) }

// AllowOperatorRead reports whether the operator rule grants read.
func (a *ACL) AllowOperatorRead() bool { return a.management || a.operator.atLeast(levelRead) }

// AllowOperatorWrite reports whether the operator rule grants write.
func (a *ACL) AllowOperatorWrite() bool { return a.management || a.operator.atLeast(levelWrite) }

// AllowQuotaRead reports whether the quota rule grants read.
func (a *ACL) AllowQuotaRead() bool { return a.management || a.quota.atLeast(levelRead) }

// AllowQuotaWrite reports whether the quota rule grants write.
func (a *ACL) AllowQuotaWrite() bool { return a.management || a.quota.atLeast(levelWrite) }

// AllowPluginList reports whether the plugin rule grants list (list, read
// or write).
func (a *ACL) AllowPluginList() bool { return a.management || a.plugin.atLeast(levelList) }

// AllowPluginRead reports whether the plugin rule grants read (read or
// write).
func (a *ACL) AllowPluginRead() bool { return a.management || a.plugin.atLeast(levelRead) }
