package nomadlike

// Constraint operands.
const (
	ConstraintEqual             = "="
	ConstraintEqualAlt          = "=="
	ConstraintIs                = "is"
	ConstraintNotEqual          = "!="
	ConstraintNot               = "not"
	ConstraintLess              = "<"
	ConstraintLessEqual         = "<="
	ConstraintGreater           = ">"
	ConstraintGreaterEqual      = ">="
	ConstraintRegex             = "regexp"
	ConstraintVersion           = "version"
	ConstraintSemver            = "semver"
	ConstraintSetContains       = "set_contains"
	ConstraintSetContainsAll    = "set_contains_all"
	ConstraintSetContainsAny    = "set_contains_any"
	ConstraintDistinctHosts     = "distinct_hosts"
	ConstraintDistinctProperty  = "distinct_property"
	ConstraintAttributeIsSet    = "is_set"
	ConstraintAttributeIsNotSet = "is_not_set"
)

// knownOperands lists every operand a constraint or affinity may use.
var knownOperands = map[string]bool{
	ConstraintEqual: true, ConstraintEqualAlt: true, ConstraintIs: true,
	ConstraintNotEqual: true, ConstraintNot: true,
	ConstraintLess: true, ConstraintLessEqual: true, ConstraintGreater: true, ConstraintGreaterEqual: true,
	ConstraintRegex: true, ConstraintVersion: true, ConstraintSemver: true,
	ConstraintSetContains: true, ConstraintSetContainsAll: true, ConstraintSetContainsAny: true,
	ConstraintDistinctHosts: true, ConstraintDistinctProperty: true,
	ConstraintAttributeIsSet: true, ConstraintAttributeIsNotSet: true,
}

// Constraint restricts the nodes a job, group or task may be placed on.
type Constraint struct {
	LTarget string `json:"LTarget"`
	RTarget string `json:"RTarget"`
	Operand string `json:"Operand"`
}

// String renders the constraint as the CLI shows it.
func (c *Constraint) String() string {
	return c.LTarget + " " + c.Operand + " " + c.RTarget
}

// Affinity expresses a weighted preference for nodes.
type Affinity struct {
	LTarget string `json:"LTarget"`
	RTarget string `json:"RTarget"`
	Operand string `json:"Operand"`
	Weight  int8   `json:"Weight"`
}

// String renders the affinity as the CLI shows it.
func (a *Affinity) String() string {
	return a.LTarget + " " + a.Operand + " " + a.RTarget
}

// Spread spreads allocations across the values of a node attribute.
type Spread struct {
	Attribute    string          `json:"Attribute"`
	Weight       int8            `json:"Weight"`
	SpreadTarget []*SpreadTarget `json:"SpreadTarget"`
}

// SpreadTarget is the desired share of allocations for one attribute value.
type SpreadTarget struct {
	Value   string `json:"Value"`
	Percent uint8  `json:"Percent"`
}

func validateConstraint(v validator, c *Constraint) {
	if c == nil {
		v.fail("", "must not be null")
		return
	}
	if !knownOperands[c.Operand] {
		v.fail("Operand", "unknown operand %q", c.Operand)
		return
	}
	switch c.Operand {
	case ConstraintDistinctHosts:
		return
	case ConstraintDistinctProperty, ConstraintAttributeIsSet, ConstraintAttributeIsNotSet:
		if c.LTarget == "" {
			v.fail("LTarget", "%s needs an attribute", c.Operand)
		}
		return
	}
	if c.LTarget == "" && c.RTarget == "" {
		v.fail("", "constraint needs an attribute and a value")
		return
	}
	validateOperandTarget(v, c.Operand, c.RTarget)
}

func validateAffinity(v validator, a *Affinity) {
	if a == nil {
		v.fail("", "must not be null")
		return
	}
	switch a.Operand {
	case ConstraintDistinctHosts, ConstraintDistinctProperty:
		v.fail("Operand", "operand %q is not allowed in an affinity", a.Operand)
		return
	}
	if !knownOperands[a.Operand] {
		v.fail("Operand", "unknown operand %q", a.Operand)
		return
	}
	if a.Weight == 0 || a.Weight < -100 || a.Weight > 100 {
		v.fail("Weight", "must be between -100 and 100 and not 0, got %d", a.Weight)
	}
	if a.LTarget == "" {
		v.fail("LTarget", "must not be empty")
	}
	validateOperandTarget(v, a.Operand, a.RTarget)
}

func validateSpread(v validator, s *Spread) {
	if s == nil {
		v.fail("", "must not be null")
		return
	}
	if s.Attribute == "" {
		v.fail("Attribute", "must not be empty")
	}
	if s.Weight <= 0 || s.Weight > 100 {
		v.fail("Weight", "must be between 1 and 100, got %d", s.Weight)
	}
	sum := 0
	seen := map[string]bool{}
	for _, t := range s.SpreadTarget {
		if seen[t.Value] {
			v.item("SpreadTarget", t.Value).fail("", "duplicate target value")
		}
		seen[t.Value] = true
		sum += int(t.Percent)
	}
	if sum > 100 {
		v.fail("SpreadTarget", "percentages add up to %d, more than 100", sum)
	}
}
