package feasible

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// ResolveTarget returns the value a constraint target names on a node:
// ${attr.X}, ${meta.X}, ${node.unique.id}, ${node.unique.name},
// ${node.datacenter}, ${node.class}, ${node.pool}; anything not in ${...}
// is a literal. ok is false when the node has no such value.
func ResolveTarget(target string, node *nomadlike.Node) (string, bool) {
	if !strings.HasPrefix(target, "${") || !strings.HasSuffix(target, "}") {
		return target, true
	}
	key := target[2 : len(target)-1]
	switch key {
	case "node.unique.id":
		return node.ID, true
	case "node.unique.name":
		return node.Name, true
	case "node.datacenter":
		return node.Datacenter, true
	case "node.class":
		return node.NodeClass, true
	case "node.pool":
		if node.NodePool == "" {
			return nomadlike.DefaultNodePool, true
		}
		return node.NodePool, true
	}
	switch {
	case strings.HasPrefix(key, "attr."):
		v, ok := node.Attributes[key[len("attr."):]]
		return v, ok
	case strings.HasPrefix(key, "meta."):
		v, ok := node.Meta[key[len("meta."):]]
		return v, ok
	}
	return "", false
}

// Checker evaluates constraint operands, caching compiled regular
// expressions and version constraints. It is not safe for concurrent use;
// a scheduler uses one per evaluation.
type Checker struct {
	regexps  map[string]*regexp.Regexp
	versions map[string]*nomadlike.VersionConstraint
}

// NewChecker returns a Checker with empty caches.
func NewChecker() *Checker {
	return &Checker{
		regexps:  map[string]*regexp.Regexp{},
		versions: map[string]*nomadlike.VersionConstraint{},
	}
}

// Constraint checks one constraint against a node. distinct_hosts and
// distinct_property depend on other allocations and pass here; JobChecks
// enforces them.
func (c *Checker) Constraint(node *nomadlike.Node, con *nomadlike.Constraint) (bool, string) {
	if c.Match(node, con.LTarget, con.Operand, con.RTarget) {
		return true, ""
	}
	return false, ConstraintReason(con)
}

// Match reports whether the node satisfies "ltarget operand rtarget"; used
// by constraints and affinities.
func (c *Checker) Match(node *nomadlike.Node, ltarget, operand, rtarget string) bool {
	switch operand {
	case nomadlike.ConstraintDistinctHosts, nomadlike.ConstraintDistinctProperty:
		return true
	}
	l, lok := ResolveTarget(ltarget, node)
	r, rok := ResolveTarget(rtarget, node)
	return c.check(operand, l, lok, r, rok)
}

func (c *Checker) check(operand, l string, lok bool, r string, rok bool) bool {
	switch operand {
	case nomadlike.ConstraintAttributeIsSet:
		return lok
	case nomadlike.ConstraintAttributeIsNotSet:
		return !lok
	case nomadlike.ConstraintNotEqual, nomadlike.ConstraintNot:
		return !(lok && rok && l == r) && (lok || rok)
	}
	if !lok || !rok {
		return false
	}
	switch operand {
	case nomadlike.ConstraintEqual, nomadlike.ConstraintEqualAlt, nomadlike.ConstraintIs:
		return l == r
	case nomadlike.ConstraintLess, nomadlike.ConstraintLessEqual, nomadlike.ConstraintGreater, nomadlike.ConstraintGreaterEqual:
		return compare(operand, l, r)
	case nomadlike.ConstraintRegex:
		re := c.regexp(r)
		return re != nil && re.MatchString(l)
	case nomadlike.ConstraintVersion, nomadlike.ConstraintSemver:
		vc := c.version(r)
		if vc == nil {
			return false
		}
		v, err := nomadlike.ParseVersion(l)
		return err == nil && vc.Check(v)
	case nomadlike.ConstraintSetContains, nomadlike.ConstraintSetContainsAll:
		have := set(l)
		for _, want := range split(r) {
			if !have[want] {
				return false
			}
		}
		return true
	case nomadlike.ConstraintSetContainsAny:
		have := set(l)
		for _, want := range split(r) {
			if have[want] {
				return true
			}
		}
		return false
	}
	return false
}

// compare orders numerically when both sides parse as numbers, else
// lexically.
func compare(operand, l, r string) bool {
	var cmp int
	lf, lerr := strconv.ParseFloat(l, 64)
	rf, rerr := strconv.ParseFloat(r, 64)
	if lerr == nil && rerr == nil {
		switch {
		case lf < rf:
			cmp = -1
		case lf > rf:
			cmp = 1
		}
	} else {
		cmp = strings.Compare(l, r)
	}
	switch operand {
	case nomadlike.ConstraintLess:
		return cmp < 0
	case nomadlike.ConstraintLessEqual:
		return cmp <= 0
	case nomadlike.ConstraintGreater:
		return cmp > 0
	}
	return cmp >= 0
}

func (c *Checker) regexp(expr string) *regexp.Regexp {
	if re, ok := c.regexps[expr]; ok {
		return re
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		re = nil
	}
	c.regexps[expr] = re
	return re
}

func (c *Checker) version(expr string) *nomadlike.VersionConstraint {
	if vc, ok := c.versions[expr]; ok {
		return vc
	}
	vc, err := nomadlike.ParseVersionConstraint(expr)
	if err != nil {
		vc = nil
	}
	c.versions[expr] = vc
	return vc
}

func split(s string) []string {
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func set(s string) map[string]bool {
	out := map[string]bool{}
	for _, p := range split(s) {
		out[p] = true
	}
	return out
}
