package acl

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// labelSpec says what a rule block's label may be.
type labelSpec struct {
	required bool
	def      string // the label of a block without one, when not required
	re       *regexp.Regexp
	what     string // "namespace", for messages
	chars    string // the characters re allows, for messages
}

// Label syntax: Nomad's namespace names plus the * wildcard; host volume
// names; variable paths.
var (
	namespaceLabel = labelSpec{def: "default", what: "namespace",
		re: regexp.MustCompile(`^[a-zA-Z0-9*-]{1,128}$`), chars: "letters, digits, -"}
	hostVolumeLabel = labelSpec{required: true, what: "host volume name",
		re: regexp.MustCompile(`^[a-zA-Z0-9*._-]{1,128}$`), chars: "letters, digits, . _ -"}
	variablesPathLabel = labelSpec{required: true, what: "variables path",
		re: regexp.MustCompile(`^[a-zA-Z0-9*._~/-]{1,128}$`), chars: "letters, digits, . _ ~ / -"}
)

// Allowed coarse policies per rule.
var (
	namespacePolicies  = []string{PolicyDeny, PolicyRead, PolicyWrite, PolicyScale}
	simplePolicies     = []string{PolicyDeny, PolicyRead, PolicyWrite}
	pluginPolicies     = []string{PolicyDeny, PolicyList, PolicyRead, PolicyWrite}
	hostVolumePolicies = []string{PolicyDeny, PolicyRead, PolicyWrite}
	topLevelBlocks     = []string{"namespace", "host_volume", "node", "agent", "operator", "quota", "plugin"}
)

// Parse parses the HCL ACL policy src. name is the policy name and the file
// name in diagnostics. Every problem (HCL syntax, unknown block, attribute
// or capability, bad policy value, duplicate rule) comes back in a
// *ParseError (errors.Is(err, ErrInvalidPolicy)) as "name:line:col: message"
// diagnostics in source order. Parse is safe for concurrent use; the
// returned *Policy belongs to the caller.
func Parse(name string, src []byte) (*Policy, error) {
	p := &parser{name: name}
	pol := p.parse(src)
	if len(p.diags) > 0 {
		sort.SliceStable(p.diags, func(i, j int) bool {
			a, b := p.diags[i], p.diags[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Column < b.Column
		})
		return nil, &ParseError{Diagnostics: p.diags}
	}
	return pol, nil
}

// parser holds the state of one Parse call.
type parser struct {
	name  string
	diags []Diagnostic
}

func (p *parser) errorf(rng hcl.Range, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{
		Filename: p.name,
		Line:     rng.Start.Line,
		Column:   rng.Start.Column,
		Message:  fmt.Sprintf(format, args...),
	})
}

func (p *parser) hclDiags(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		var rng hcl.Range
		if d.Subject != nil {
			rng = *d.Subject
		}
		p.errorf(rng, "%s", msg)
	}
}

func (p *parser) parse(src []byte) *Policy {
	if trimmed := strings.TrimSpace(string(src)); strings.HasPrefix(trimmed, "{") {
		p.errorf(hcl.Range{Start: hcl.InitialPos}, "JSON policies are not supported; write the policy in HCL")
		return nil
	}
	file, diags := hclsyntax.ParseConfig(src, p.name, hcl.InitialPos)
	if diags.HasErrors() {
		p.hclDiags(diags)
		return nil
	}
	body := file.Body.(*hclsyntax.Body)
	pol := &Policy{Name: p.name}
	p.attributes(body, "an ACL policy")
	seen := map[string]hcl.Range{}
	for _, b := range body.Blocks {
		switch b.Type {
		case "namespace":
			if r := p.namespace(b, seen); r != nil {
				pol.Namespaces = append(pol.Namespaces, r)
			}
		case "host_volume":
			if r := p.hostVolume(b, seen); r != nil {
				pol.HostVolumes = append(pol.HostVolumes, r)
			}
		case "node":
			pol.Node = p.simple(b, seen, simplePolicies)
		case "agent":
			pol.Agent = p.simple(b, seen, simplePolicies)
		case "operator":
			pol.Operator = p.simple(b, seen, simplePolicies)
		case "quota":
			pol.Quota = p.simple(b, seen, simplePolicies)
		case "plugin":
			pol.Plugin = p.simple(b, seen, pluginPolicies)
		default:
			p.errorf(b.TypeRange, "unknown block type %q in an ACL policy; want one of %s", b.Type, quoteList(topLevelBlocks))
		}
	}
	if len(body.Blocks) == 0 && len(p.diags) == 0 {
		p.errorf(body.SrcRange, "the policy has no rules; add at least one block such as namespace \"default\" { policy = \"read\" }")
	}
	return pol
}

// unique reports a second block with the same key and records the first.
func (p *parser) unique(seen map[string]hcl.Range, key, what string, rng hcl.Range) bool {
	if first, ok := seen[key]; ok {
		p.errorf(rng, "duplicate %s; the first is at %s:%d:%d", what, p.name, first.Start.Line, first.Start.Column)
		return false
	}
	seen[key] = rng
	return true
}

// ruleLabel returns the block's label (spec.def when it has none and may
// have none), checked against spec and for a duplicate under key+label.
func (p *parser) ruleLabel(b *hclsyntax.Block, seen map[string]hcl.Range, key string, spec labelSpec) (string, bool) {
	name := spec.def
	switch {
	case len(b.Labels) == 0 && spec.required:
		p.errorf(b.TypeRange, "%s block needs a label, as in %s \"name\" { ... }", b.Type, b.Type)
		return "", false
	case len(b.Labels) > 1:
		p.errorf(b.LabelRanges[1], "%s block takes one label, found %d", b.Type, len(b.Labels))
		return "", false
	case len(b.Labels) == 1:
		name = b.Labels[0]
		if !spec.re.MatchString(name) {
			p.errorf(b.LabelRanges[0], "invalid %s %q: use 1 to 128 %s or the * wildcard", spec.what, name, spec.chars)
			return "", false
		}
	}
	if !p.unique(seen, key+name, fmt.Sprintf("%s %q block", b.Type, name), b.TypeRange) {
		return "", false
	}
	return name, true
}

func (p *parser) noLabels(b *hclsyntax.Block) bool {
	if len(b.Labels) > 0 {
		p.errorf(b.LabelRanges[0], "%s block takes no label", b.Type)
		return false
	}
	return true
}

func (p *parser) namespace(b *hclsyntax.Block, seen map[string]hcl.Range) *NamespaceRule {
	name, ok := p.ruleLabel(b, seen, "namespace\x00", namespaceLabel)
	if !ok {
		return nil
	}
	r := &NamespaceRule{Name: name}
	r.Policy, r.Capabilities = p.grant(b, namespaceKind, namespacePolicies)
	var varsSeen bool
	for _, sub := range b.Body.Blocks {
		if sub.Type != "variables" {
			p.errorf(sub.TypeRange, "unknown block type %q in a namespace block; want variables", sub.Type)
			continue
		}
		if varsSeen {
			p.errorf(sub.TypeRange, "duplicate variables block; a namespace rule takes one")
			continue
		}
		varsSeen = true
		r.Variables = p.variables(sub)
	}
	return r
}

func (p *parser) variables(b *hclsyntax.Block) []*VariablesPathRule {
	if !p.noLabels(b) {
		return nil
	}
	p.attributes(b.Body, "a variables block")
	var out []*VariablesPathRule
	seen := map[string]hcl.Range{}
	for _, sub := range b.Body.Blocks {
		if sub.Type != "path" {
			p.errorf(sub.TypeRange, "unknown block type %q in a variables block; want path", sub.Type)
			continue
		}
		path, ok := p.ruleLabel(sub, seen, "", variablesPathLabel)
		if !ok {
			continue
		}
		attrs := p.attributes(sub.Body, "a path block", "capabilities")
		for _, bb := range sub.Body.Blocks {
			p.errorf(bb.TypeRange, "unknown block type %q in a path block", bb.Type)
		}
		a, ok := attrs["capabilities"]
		if !ok {
			p.errorf(sub.TypeRange, "path %q block needs capabilities, e.g. [\"read\"]", path)
			continue
		}
		caps := p.capabilities(a, variablesKind)
		out = append(out, &VariablesPathRule{Path: path, Capabilities: variablesKind.expand("", caps)})
	}
	if len(out) == 0 && len(b.Body.Blocks) == 0 {
		p.errorf(b.TypeRange, "variables block has no path blocks; add path \"*\" { capabilities = [...] }")
	}
	return out
}

func (p *parser) hostVolume(b *hclsyntax.Block, seen map[string]hcl.Range) *HostVolumeRule {
	name, ok := p.ruleLabel(b, seen, "host_volume\x00", hostVolumeLabel)
	if !ok {
		return nil
	}
	for _, sub := range b.Body.Blocks {
		p.errorf(sub.TypeRange, "unknown block type %q in a host_volume block", sub.Type)
	}
	r := &HostVolumeRule{Name: name}
	r.Policy, r.Capabilities = p.grant(b, hostVolumeKind, hostVolumePolicies)
	return r
}

// simple parses node, agent, operator, quota and plugin blocks, which hold
// only a required policy.
func (p *parser) simple(b *hclsyntax.Block, seen map[string]hcl.Range, allowed []string) string {
	if !p.noLabels(b) || !p.unique(seen, b.Type, b.Type+" rule (a policy takes one)", b.TypeRange) {
		return ""
	}
	attrs := p.attributes(b.Body, "a "+b.Type+" block", "policy")
	for _, sub := range b.Body.Blocks {
		p.errorf(sub.TypeRange, "unknown block type %q in a %s block", sub.Type, b.Type)
	}
	a, ok := attrs["policy"]
	if !ok {
		p.errorf(b.TypeRange, "%s block needs policy = one of %s", b.Type, quoteList(allowed))
		return ""
	}
	return p.policy(a, b.Type, allowed)
}

// grant reads a block's optional policy and capabilities attributes
// (reporting any other attribute) and returns the policy as written and the
// expanded capabilities.
func (p *parser) grant(b *hclsyntax.Block, kind *capKind, allowed []string) (string, []string) {
	attrs := p.attributes(b.Body, "a "+b.Type+" block", "policy", "capabilities")
	var policy string
	var caps []string
	if a, ok := attrs["policy"]; ok {
		policy = p.policy(a, kind.what, allowed)
	}
	if a, ok := attrs["capabilities"]; ok {
		caps = p.capabilities(a, kind)
	}
	return policy, kind.expand(policy, caps)
}

func (p *parser) policy(a *hclsyntax.Attribute, what string, allowed []string) string {
	v, ok := p.str(a.Expr)
	if !ok {
		return ""
	}
	for _, ok := range allowed {
		if v == ok {
			return v
		}
	}
	p.errorf(a.Expr.Range(), "invalid %s policy %q; want one of %s", what, v, quoteList(allowed))
	return ""
}

func (p *parser) capabilities(a *hclsyntax.Attribute, kind *capKind) []string {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		p.hclDiags(diags)
		return nil
	}
	t := v.Type()
	if !v.IsWhollyKnown() || v.IsNull() || !(t.IsTupleType() || t.IsListType()) {
		p.errorf(a.Expr.Range(), "capabilities must be a list of strings, as in [\"read-job\"]")
		return nil
	}
	var elems []hclsyntax.Expression
	if tc, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
		elems = tc.Exprs
	}
	var out []string
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		rng := a.Expr.Range()
		if i < len(elems) {
			rng = elems[i].Range()
		}
		if ev.IsNull() || ev.Type() != cty.String {
			p.errorf(rng, "capabilities must be a list of strings")
			continue
		}
		c := ev.AsString()
		if _, ok := kind.bits[c]; !ok {
			p.errorf(rng, "unknown %s capability %q; want one of %s", kind.what, c, quoteList(kind.names))
			continue
		}
		out = append(out, c)
	}
	return out
}

// str evaluates a literal string expression.
func (p *parser) str(e hclsyntax.Expression) (string, bool) {
	v, diags := e.Value(nil)
	if diags.HasErrors() {
		p.hclDiags(diags)
		return "", false
	}
	if !v.IsWhollyKnown() || v.IsNull() || v.Type() != cty.String {
		p.errorf(e.Range(), "want a string")
		return "", false
	}
	return v.AsString(), true
}

// attributes reports every attribute of body not in allowed and returns
// the allowed ones by name.
func (p *parser) attributes(body *hclsyntax.Body, where string, allowed ...string) map[string]*hclsyntax.Attribute {
	out := map[string]*hclsyntax.Attribute{}
	for name, a := range body.Attributes {
		ok := false
		for _, al := range allowed {
			ok = ok || name == al
		}
		if !ok {
			want := "it takes no attributes"
			if len(allowed) > 0 {
				want = "want " + quoteList(allowed)
			}
			p.errorf(a.NameRange, "unknown attribute %q in %s; %s", name, where, want)
			continue
		}
		out[name] = a
	}
	return out
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
