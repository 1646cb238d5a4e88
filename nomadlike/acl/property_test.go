package acl

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Label and name pools for the generated policies: globs that overlap,
// tie and nest, and names that hit them in different ways.
var (
	propNSLabels   = []string{"default", "prod", "prod-web", "*", "prod-*", "*-web", "p*", "*o*", "dev"}
	propNSNames    = []string{"default", "prod", "prod-web", "prod-db", "dev", "web", "x-web", "p", "other", "proddev"}
	propHVLabels   = []string{"*", "data", "data-*", "*-ro"}
	propHVNames    = []string{"data", "data-1", "logs-ro", "data-ro", "x"}
	propPaths      = []string{"*", "a/*", "a/b", "*/b"}
	propPathNames  = []string{"a/b", "a/c", "x/b", "a"}
	propLevels     = []string{"", "read", "write", "deny"}
	propPlugLevels = []string{"", "list", "read", "write", "deny"}
	propVarCaps    = []string{"list", "read", "write", "destroy"}
	propHVCaps     = []string{"mount-readonly", "mount-readwrite"}
)

// gen builds random policies as HCL text, so Parse is exercised too.
type gen struct {
	r     *rand.Rand
	deny  bool                // may emit deny rules
	only  []string            // when set, namespace and host volume labels come from here
	paths map[string][]string // when set, variables path labels per namespace label come from here
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) subset(xs []string) []string {
	var out []string
	for _, x := range xs {
		if g.r.IntN(4) == 0 {
			out = append(out, fmt.Sprintf("%q", x))
		}
	}
	return out
}

func (g *gen) label(pool []string) string {
	if g.only != nil {
		var in []string
		for _, l := range pool {
			if slices.Contains(g.only, l) {
				in = append(in, l)
			}
		}
		if len(in) == 0 {
			return ""
		}
		pool = in
	}
	return g.pick(pool)
}

func (g *gen) policy() string {
	var b strings.Builder
	used := map[string]bool{}
	for range g.r.IntN(4) {
		l := g.label(propNSLabels)
		if l == "" || used["ns"+l] {
			continue
		}
		used["ns"+l] = true
		fmt.Fprintf(&b, "namespace %q {\n", l)
		policies := []string{"", "read", "write", "scale"}
		if g.deny {
			policies = append(policies, "deny")
		}
		if p := g.pick(policies); p != "" {
			fmt.Fprintf(&b, "  policy = %q\n", p)
		}
		caps := g.subset(namespaceKind.names[1:])
		if g.deny && g.r.IntN(8) == 0 {
			caps = append(caps, `"deny"`)
		}
		fmt.Fprintf(&b, "  capabilities = [%s]\n", strings.Join(caps, ", "))
		if g.r.IntN(2) == 0 {
			g.variables(&b, l)
		}
		b.WriteString("}\n")
	}
	for range g.r.IntN(3) {
		l := g.label(propHVLabels)
		if l == "" || used["hv"+l] {
			continue
		}
		used["hv"+l] = true
		caps := g.subset(propHVCaps)
		if g.deny && g.r.IntN(6) == 0 {
			caps = append(caps, `"deny"`)
		}
		fmt.Fprintf(&b, "host_volume %q {\n  capabilities = [%s]\n}\n", l, strings.Join(caps, ", "))
	}
	for _, rule := range []string{"node", "agent", "operator", "quota", "plugin"} {
		levels := propLevels
		if rule == "plugin" {
			levels = propPlugLevels
		}
		l := g.pick(levels)
		if l == "deny" && !g.deny {
			l = ""
		}
		if l != "" {
			fmt.Fprintf(&b, "%s {\n  policy = %q\n}\n", rule, l)
		}
	}
	if b.Len() == 0 {
		b.WriteString("namespace \"default\" {\n  capabilities = []\n}\n")
	}
	return b.String()
}

func (g *gen) variables(b *strings.Builder, label string) {
	pool := propPaths
	if g.paths != nil {
		pool = g.paths[label]
		if len(pool) == 0 {
			return
		}
	}
	b.WriteString("  variables {\n")
	seen := map[string]bool{}
	for range 1 + g.r.IntN(3) {
		p := g.pick(pool)
		if seen[p] {
			continue
		}
		seen[p] = true
		caps := g.subset(propVarCaps)
		if g.deny && g.r.IntN(6) == 0 {
			caps = append(caps, `"deny"`)
		}
		fmt.Fprintf(b, "    path %q {\n      capabilities = [%s]\n    }\n", p, strings.Join(caps, ", "))
	}
	b.WriteString("  }\n")
}

func parseAll(t testing.TB, srcs []string) []*Policy {
	t.Helper()
	var ps []*Policy
	for i, src := range srcs {
		p, err := Parse(fmt.Sprintf("p%d", i), []byte(src))
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		ps = append(ps, p)
	}
	return ps
}

func mustCompile(t testing.TB, ps []*Policy) *ACL {
	t.Helper()
	a, err := Compile(ps...)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return a
}

// rights lists every check the ACL allows over the name pools.
func rights(a *ACL) map[string]bool {
	out := map[string]bool{}
	for _, ns := range propNSNames {
		for _, op := range namespaceKind.names {
			if a.AllowNamespaceOperation(ns, op) {
				out["ns "+ns+" "+op] = true
			}
		}
		for _, p := range propPathNames {
			for _, op := range propVarCaps {
				if a.AllowVariableOperation(ns, p, op) {
					out["var "+ns+" "+p+" "+op] = true
				}
			}
		}
	}
	for _, hv := range propHVNames {
		for _, op := range propHVCaps {
			if a.AllowHostVolumeOperation(hv, op) {
				out["hv "+hv+" "+op] = true
			}
		}
	}
	for name, ok := range map[string]bool{
		"node read": a.AllowNodeRead(), "node write": a.AllowNodeWrite(),
		"agent read": a.AllowAgentRead(), "agent write": a.AllowAgentWrite(),
		"operator read": a.AllowOperatorRead(), "operator write": a.AllowOperatorWrite(),
		"quota read": a.AllowQuotaRead(), "quota write": a.AllowQuotaWrite(),
		"plugin list": a.AllowPluginList(), "plugin read": a.AllowPluginRead(),
	} {
		if ok {
			out[name] = true
		}
	}
	return out
}

// chosen is the reference for which labels apply to name: the exact label,
// else every matching glob with the most literal characters.
func chosen(labels []string, name string) []string {
	if slices.Contains(labels, name) {
		return []string{name}
	}
	best, out := -1, []string(nil)
	for _, l := range labels {
		if !strings.Contains(l, "*") || !globMatch(l, name) {
			continue
		}
		n := len(l) - strings.Count(l, "*")
		switch {
		case n > best:
			best, out = n, []string{l}
		case n == best:
			out = append(out, l)
		}
	}
	return out
}

// refNamespace is a brute-force reference for AllowNamespaceOperation.
func refNamespace(ps []*Policy, ns, op string) bool {
	var labels []string
	for _, p := range ps {
		for _, r := range p.Namespaces {
			labels = append(labels, r.Name)
		}
	}
	applies := chosen(labels, ns)
	caps := map[string]bool{}
	for _, p := range ps {
		for _, r := range p.Namespaces {
			if slices.Contains(applies, r.Name) {
				for _, c := range r.Capabilities {
					caps[c] = true
				}
			}
		}
	}
	return op != "deny" && !caps["deny"] && caps[op]
}

func TestPropertyMatchesReference(t *testing.T) {
	for seed := range uint64(300) {
		g := &gen{r: rand.New(rand.NewPCG(seed, 1)), deny: true}
		var srcs []string
		for range 1 + g.r.IntN(4) {
			srcs = append(srcs, g.policy())
		}
		ps := parseAll(t, srcs)
		a := mustCompile(t, ps)
		for _, ns := range propNSNames {
			for _, op := range namespaceKind.names {
				if got, want := a.AllowNamespaceOperation(ns, op), refNamespace(ps, ns, op); got != want {
					t.Fatalf("seed %d: AllowNamespaceOperation(%q, %q) = %v, reference %v; policies:\n%s",
						seed, ns, op, got, want, strings.Join(srcs, "---\n"))
				}
			}
		}
	}
}

func TestPropertyDenyWins(t *testing.T) {
	for seed := range uint64(300) {
		g := &gen{r: rand.New(rand.NewPCG(seed, 2)), deny: true}
		var srcs []string
		for range 1 + g.r.IntN(4) {
			srcs = append(srcs, g.policy())
		}
		nsLabel, hvLabel := g.pick(propNSLabels), g.pick(propHVLabels)
		coarse := g.pick([]string{"node", "agent", "operator", "quota", "plugin"})
		deny := fmt.Sprintf("namespace %q {\n  policy = \"deny\"\n}\nhost_volume %q {\n  capabilities = [\"deny\"]\n}\n%s {\n  policy = \"deny\"\n}\n",
			nsLabel, hvLabel, coarse)
		// The deny policy goes at a random position: order must not matter.
		at := g.r.IntN(len(srcs) + 1)
		srcs = slices.Insert(srcs, at, deny)
		ps := parseAll(t, srcs)
		a := mustCompile(t, ps)
		fail := func(format string, args ...any) {
			t.Fatalf("seed %d: %s; policies:\n%s", seed, fmt.Sprintf(format, args...), strings.Join(srcs, "---\n"))
		}
		var nsLabels, hvLabels []string
		for _, p := range ps {
			for _, r := range p.Namespaces {
				nsLabels = append(nsLabels, r.Name)
			}
			for _, r := range p.HostVolumes {
				hvLabels = append(hvLabels, r.Name)
			}
		}
		for _, ns := range append(propNSNames, strings.ReplaceAll(nsLabel, "*", "zz")) {
			if !slices.Contains(chosen(nsLabels, ns), nsLabel) {
				continue
			}
			if a.AllowNamespace(ns) {
				fail("AllowNamespace(%q) = true under namespace %q deny", ns, nsLabel)
			}
			for _, op := range namespaceKind.names {
				if a.AllowNamespaceOperation(ns, op) {
					fail("AllowNamespaceOperation(%q, %q) = true under namespace %q deny", ns, op, nsLabel)
				}
			}
			for _, p := range propPathNames {
				for _, op := range propVarCaps {
					if a.AllowVariableOperation(ns, p, op) {
						fail("AllowVariableOperation(%q, %q, %q) = true under namespace %q deny", ns, p, op, nsLabel)
					}
				}
			}
		}
		for _, hv := range append(propHVNames, strings.ReplaceAll(hvLabel, "*", "zz")) {
			if slices.Contains(chosen(hvLabels, hv), hvLabel) && a.AllowHostVolume(hv) {
				fail("AllowHostVolume(%q) = true under host_volume %q deny", hv, hvLabel)
			}
		}
		for r := range rights(a) {
			if strings.HasPrefix(r, coarse+" ") {
				fail("%s allowed under %s deny", r, coarse)
			}
		}
	}
}

// TestPropertyAddingNeverRemoves: adding a policy without deny whose labels
// all appear in the policies already held never removes a right. (A new,
// more specific label may shadow a broader rule: that is Nomad's documented
// closest-match behaviour, tested in TestGlobPrecedence.)
func TestPropertyAddingNeverRemoves(t *testing.T) {
	for seed := range uint64(300) {
		g := &gen{r: rand.New(rand.NewPCG(seed, 3)), deny: true}
		var srcs []string
		for range 1 + g.r.IntN(3) {
			srcs = append(srcs, g.policy())
		}
		base := parseAll(t, srcs)
		before := rights(mustCompile(t, base))

		var labels []string
		paths := map[string][]string{} // variables blocks only where the base has them, with its paths
		for _, p := range base {
			for _, r := range p.Namespaces {
				labels = append(labels, r.Name)
				for _, v := range r.Variables {
					paths[r.Name] = append(paths[r.Name], v.Path)
				}
			}
			for _, r := range p.HostVolumes {
				labels = append(labels, r.Name)
			}
		}
		add := &gen{r: g.r, only: labels, paths: paths}
		extra := add.policy()
		after := rights(mustCompile(t, append(base, parseAll(t, []string{extra})...)))
		for r := range before {
			if !after[r] {
				t.Fatalf("seed %d: adding a policy removed %q; base:\n%s\nadded:\n%s", seed, r, strings.Join(srcs, "---\n"), extra)
			}
		}
	}
}
