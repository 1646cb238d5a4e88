package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/nomadlike/nomadlike/nomadlike"
)

var constraintSpec = blockSpec{
	name:   "constraint",
	fields: []field{{"attribute", "LTarget"}, {"operator", "Operand"}, {"value", "RTarget"}},
	attrs:  append([]string{"distinct_hosts", "distinct_property"}, shorthandOperators...),
}.build()

var affinitySpec = blockSpec{
	name:   "affinity",
	fields: []field{{"attribute", "LTarget"}, {"operator", "Operand"}, {"value", "RTarget"}, {"weight", "Weight"}},
	attrs:  shorthandOperators,
}.build()

var spreadSpec = blockSpec{
	name:     "spread",
	fields:   []field{{"attribute", "Attribute"}, {"weight", "Weight"}},
	blocks:   []hcl.BlockHeaderSchema{{Type: "target", LabelNames: []string{"value"}}},
	children: map[string]*blockSpec{"target": &spreadTargetSpec},
}.build()

var spreadTargetSpec = blockSpec{
	name:   "target",
	fields: []field{{"percent", "Percent"}},
}.build()

var restartSpec = blockSpec{
	name: "restart",
	fields: []field{
		{"attempts", "Attempts"},
		{"interval", "Interval"},
		{"delay", "Delay"},
		{"mode", "Mode"},
		{"render_templates", "RenderTemplates"},
	},
}.build()

var rescheduleSpec = blockSpec{
	name: "reschedule",
	fields: []field{
		{"attempts", "Attempts"},
		{"interval", "Interval"},
		{"delay", "Delay"},
		{"delay_function", "DelayFunction"},
		{"max_delay", "MaxDelay"},
		{"unlimited", "Unlimited"},
	},
}.build()

var updateSpec = blockSpec{
	name: "update",
	fields: []field{
		{"stagger", "Stagger"},
		{"max_parallel", "MaxParallel"},
		{"health_check", "HealthCheck"},
		{"min_healthy_time", "MinHealthyTime"},
		{"healthy_deadline", "HealthyDeadline"},
		{"progress_deadline", "ProgressDeadline"},
		{"auto_revert", "AutoRevert"},
		{"auto_promote", "AutoPromote"},
		{"canary", "Canary"},
	},
}.build()

// migrateSpec is the migrate block, at job and group level (migrate.go).
var migrateSpec = blockSpec{
	name: "migrate",
	fields: []field{
		{"max_parallel", "MaxParallel"},
		{"health_check", "HealthCheck"},
		{"min_healthy_time", "MinHealthyTime"},
		{"healthy_deadline", "HealthyDeadline"},
	},
}.build()

var periodicSpec = blockSpec{
	name: "periodic",
	fields: []field{
		{"cron", "Spec"},
		{"prohibit_overlap", "ProhibitOverlap"},
		{"time_zone", "TimeZone"},
		{"enabled", "Enabled"},
	},
	attrs: []string{"crons"},
}.build()

var parameterizedSpec = blockSpec{
	name: "parameterized",
	fields: []field{{"payload", "Payload"}, {"meta_required", "MetaRequired"}, {"meta_optional", "MetaOptional"},
		{"max_concurrent", "MaxConcurrent"}}, // max_concurrent: nomadlike only
}.build()

// shorthandOperators are the attributes that name an operator and give its
// value in one line: regexp = "^linux$".
var shorthandOperators = []string{
	nomadlike.ConstraintRegex,
	nomadlike.ConstraintVersion,
	nomadlike.ConstraintSemver,
	nomadlike.ConstraintSetContains,
	nomadlike.ConstraintSetContainsAll,
	nomadlike.ConstraintSetContainsAny,
}

// Default weights of affinities and spreads that set none.
const (
	defaultAffinityWeight = 50
	defaultSpreadWeight   = 50
)

func (p *parser) constraints(c *hcl.BodyContent, path string) []*nomadlike.Constraint {
	var out []*nomadlike.Constraint
	for i, b := range c.Blocks.OfType("constraint") {
		cpath := item(path, "Constraints", itoa(i))
		p.ranges[cpath] = b.DefRange
		con := &nomadlike.Constraint{}
		bc := p.content(b.Body, constraintSpec)
		p.decodeFields(bc, constraintSpec, cpath, con)
		p.shorthand(bc, cpath, &con.Operand, &con.RTarget)
		if a, ok := bc.Attributes["distinct_hosts"]; ok {
			if p.boolAttr(a, cpath) {
				p.setOperand(a, cpath, &con.Operand, nomadlike.ConstraintDistinctHosts)
			}
		}
		if a, ok := bc.Attributes["distinct_property"]; ok {
			if p.setOperand(a, cpath, &con.Operand, nomadlike.ConstraintDistinctProperty) {
				p.ranges[joinPath(cpath, "LTarget")] = a.Expr.Range()
				if v, ok := p.eval(a.Expr); ok {
					if s, ok := p.convertTo(v, cty.String, a.Expr.Range(), a.Name); ok && !s.IsNull() {
						con.LTarget = s.AsString()
					}
				}
			}
		}
		if con.Operand == "" {
			con.Operand = nomadlike.ConstraintEqual
		}
		out = append(out, con)
	}
	return out
}

func (p *parser) affinities(c *hcl.BodyContent, path string) []*nomadlike.Affinity {
	var out []*nomadlike.Affinity
	for i, b := range c.Blocks.OfType("affinity") {
		apath := item(path, "Affinities", itoa(i))
		p.ranges[apath] = b.DefRange
		a := &nomadlike.Affinity{Weight: defaultAffinityWeight}
		bc := p.content(b.Body, affinitySpec)
		p.decodeFields(bc, affinitySpec, apath, a)
		p.shorthand(bc, apath, &a.Operand, &a.RTarget)
		if a.Operand == "" {
			a.Operand = nomadlike.ConstraintEqual
		}
		out = append(out, a)
	}
	return out
}

// shorthand applies regexp = "...", version = "..." and the like.
func (p *parser) shorthand(c *hcl.BodyContent, path string, operand, rtarget *string) {
	for _, op := range shorthandOperators {
		a, ok := c.Attributes[op]
		if !ok || !p.setOperand(a, path, operand, op) {
			continue
		}
		p.ranges[joinPath(path, "RTarget")] = a.Expr.Range()
		if v, ok := p.eval(a.Expr); ok {
			if s, ok := p.convertTo(v, cty.String, a.Expr.Range(), a.Name); ok && !s.IsNull() {
				*rtarget = s.AsString()
			}
		}
	}
}

// setOperand sets the operand from a shorthand attribute unless another
// one already set it, which is an error.
func (p *parser) setOperand(a *hcl.Attribute, path string, operand *string, op string) bool {
	if *operand != "" && *operand != op {
		p.errorAt(a.NameRange, "Conflicting operator", "%s sets the operator to %q, but it is already %q; use one.", a.Name, op, *operand)
		return false
	}
	*operand = op
	p.ranges[joinPath(path, "Operand")] = a.NameRange
	return true
}

func (p *parser) boolAttr(a *hcl.Attribute, path string) bool {
	v, ok := p.eval(a.Expr)
	if !ok {
		return false
	}
	b, ok := p.convertTo(v, cty.Bool, a.Expr.Range(), a.Name)
	return ok && !b.IsNull() && b.True()
}

func (p *parser) spreads(c *hcl.BodyContent, path string) []*nomadlike.Spread {
	var out []*nomadlike.Spread
	for i, b := range c.Blocks.OfType("spread") {
		spath := item(path, "Spreads", itoa(i))
		p.ranges[spath] = b.DefRange
		s := &nomadlike.Spread{Weight: defaultSpreadWeight}
		bc := p.content(b.Body, spreadSpec)
		p.decodeFields(bc, spreadSpec, spath, s)
		for _, tb := range bc.Blocks.OfType("target") {
			t := &nomadlike.SpreadTarget{Value: tb.Labels[0]}
			tpath := item(spath, "SpreadTarget", t.Value)
			p.ranges[tpath] = tb.DefRange
			p.decodeFields(p.content(tb.Body, spreadTargetSpec), spreadTargetSpec, tpath, t)
			s.SpreadTarget = append(s.SpreadTarget, t)
		}
		out = append(out, s)
	}
	return out
}

// restart overlays the block on base (the defaults) and returns base.
func (p *parser) restart(b *hcl.Block, base *nomadlike.RestartPolicy, path string) *nomadlike.RestartPolicy {
	p.ranges[path] = b.DefRange
	p.decodeFields(p.content(b.Body, restartSpec), restartSpec, path, base)
	return base
}

// reschedule overlays the block on base, which may be nil for system jobs.
func (p *parser) reschedule(b *hcl.Block, base *nomadlike.ReschedulePolicy, path string) *nomadlike.ReschedulePolicy {
	rp := &nomadlike.ReschedulePolicy{}
	if base != nil {
		*rp = *base
	}
	p.ranges[path] = b.DefRange
	p.decodeFields(p.content(b.Body, rescheduleSpec), rescheduleSpec, path, rp)
	return rp
}

func (p *parser) update(b *hcl.Block, base *nomadlike.UpdateStrategy, path string) *nomadlike.UpdateStrategy {
	p.ranges[path] = b.DefRange
	p.decodeFields(p.content(b.Body, updateSpec), updateSpec, path, base)
	return base
}

// migrate overlays the block on base (the defaults, or the job's block).
func (p *parser) migrate(b *hcl.Block, base *nomadlike.MigrateStrategy, path string) *nomadlike.MigrateStrategy {
	p.ranges[path] = b.DefRange
	p.decodeFields(p.content(b.Body, migrateSpec), migrateSpec, path, base)
	return base
}

func (p *parser) periodic(b *hcl.Block) *nomadlike.PeriodicConfig {
	const path = "Periodic"
	p.ranges[path] = b.DefRange
	pc := &nomadlike.PeriodicConfig{Enabled: true, SpecType: nomadlike.PeriodicSpecCron}
	c := p.content(b.Body, periodicSpec)
	p.decodeFields(c, periodicSpec, path, pc)
	if a, ok := c.Attributes["crons"]; ok {
		p.ranges[joinPath(path, "Spec")] = a.Expr.Range()
		if _, both := c.Attributes["cron"]; both {
			p.errorAt(a.NameRange, "Conflicting attributes", "Set cron or crons, not both.")
			return pc
		}
		var crons []string
		v, ok := p.eval(a.Expr)
		if !ok {
			return pc
		}
		lv, ok := p.convertTo(v, cty.List(cty.String), a.Expr.Range(), a.Name)
		if !ok || lv.IsNull() {
			return pc
		}
		for it := lv.ElementIterator(); it.Next(); {
			_, e := it.Element()
			crons = append(crons, e.AsString())
		}
		if len(crons) != 1 {
			p.errorAt(a.Expr.Range(), "Unsupported crons", "crons must list exactly one cron expression, got %d; nomadlike runs one schedule per job.", len(crons))
			return pc
		}
		pc.Spec = crons[0]
	}
	return pc
}

func (p *parser) parameterized(b *hcl.Block) *nomadlike.ParameterizedJobConfig {
	const path = "ParameterizedJob"
	p.ranges[path] = b.DefRange
	pj := &nomadlike.ParameterizedJobConfig{}
	p.decodeFields(p.content(b.Body, parameterizedSpec), parameterizedSpec, path, pj)
	return pj
}
