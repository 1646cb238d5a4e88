package jobspec

import (
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// groupScalingSpec is a group's scaling block. Its policy body is read as
// a free-form map (Nomad's shape) and checked by Job.Validate through
// nomadlike.ParseAutoscalePolicy, whose errors land on the ranges
// recorded here.
var groupScalingSpec = blockSpec{
	name:   "scaling",
	attrs:  []string{"enabled", "min", "max", "type"},
	blocks: []hcl.BlockHeaderSchema{{Type: "policy"}},
}.build()

// taskScalingSpec is a task's scaling "cpu"/"mem" block (Nomad
// Enterprise's vertical scaling), checked and dropped.
var taskScalingSpec = blockSpec{name: "scaling",
	extra: []typedAttr{numAttr("min"), numAttr("max"), boolAttr("enabled")},
	drop:  []dropBlock{drop("policy", anyBody)},
}.build()

// scaling decodes a group's scaling block. A group without count takes
// the block's min as its count, as in Nomad.
func (p *parser) scaling(b *hcl.Block, tg *nomadlike.TaskGroup, countSet bool, path string) {
	p.ranges[path] = b.DefRange
	c := p.content(b.Body, groupScalingSpec)
	s := &nomadlike.ScalingPolicy{}
	s.Min = p.scalingInt(c, "min", joinPath(path, "Min"))
	s.Max = p.scalingInt(c, "max", joinPath(path, "Max"))
	if a, ok := c.Attributes["enabled"]; ok {
		p.ranges[joinPath(path, "Enabled")] = a.Expr.Range()
		if v, ok := p.eval(a.Expr); ok && !v.IsNull() {
			if bv, ok := p.convertTo(v, cty.Bool, a.Expr.Range(), a.Name); ok {
				e := bv.True()
				s.Enabled = &e
			}
		}
	}
	if a, ok := c.Attributes["type"]; ok {
		p.ranges[joinPath(path, "Type")] = a.Expr.Range()
		if v, ok := p.eval(a.Expr); ok && !v.IsNull() {
			if sv, ok := p.convertTo(v, cty.String, a.Expr.Range(), a.Name); ok {
				s.Type = sv.AsString()
			}
		}
	}
	if pb := p.single(c, "policy"); pb != nil {
		s.Policy = p.policyBody(pb.Body, "policy", joinPath(path, "Policy"))
		p.ranges[joinPath(path, "Policy")] = pb.DefRange
	}
	if !countSet && s.Min != nil {
		tg.Count = int(*s.Min)
	}
	tg.Scaling = s
}

func (p *parser) scalingInt(c *hcl.BodyContent, name, path string) *int64 {
	a, ok := c.Attributes[name]
	if !ok {
		return nil
	}
	p.ranges[path] = a.Expr.Range()
	v, ok := p.eval(a.Expr)
	if !ok || v.IsNull() {
		return nil
	}
	nv, ok := p.convertTo(v, cty.Number, a.Expr.Range(), name)
	if !ok {
		return nil
	}
	n, acc := nv.AsBigFloat().Int64()
	if acc != big.Exact {
		p.errorAt(a.Expr.Range(), "Invalid value", "%s must be a whole number.", name)
		return nil
	}
	return &n
}

// policyLevel is the grammar of one level of a policy body (the Nomad
// Autoscaler's policy, check and strategy blocks): its attributes (those
// the built-in autoscaler refuses too, so that the refusal says why) and
// its labeled child block.
type policyLevel struct {
	attrs []string
	child string
	// refused are labeled blocks of the Nomad Autoscaler's syntax that the
	// built-in autoscaler refuses (through Job.Validate, so the error says
	// why); their bodies are not read.
	refused []string
}

var policyLevels = map[string]policyLevel{
	"policy": {attrs: []string{"cooldown", "cooldown_on_scale_up", "evaluation_interval", "on_check_error"}, child: "check",
		refused: []string{"target"}},
	"check": {attrs: []string{"source", "query", "query_window", "query_window_offset", "on_error", "group"}, child: "strategy"},
	"strategy": {attrs: []string{"target", "threshold", "max_scale_up", "max_scale_down", "lower_bound", "upper_bound",
		"delta", "percentage", "value", "within_bounds_trigger"}},
}

// policyBody reads a policy body into Nomad's map shape: attributes by
// name, nested blocks as a list of {label: [body]} maps, recording the
// range of each item under path (check[cpu].strategy[target-value].target).
// Values are checked later by nomadlike.ParseAutoscalePolicy (through
// Job.Validate), whose errors land on these ranges.
func (p *parser) policyBody(body hcl.Body, level, path string) map[string]any {
	out := map[string]any{}
	l := policyLevels[level]
	schema := &hcl.BodySchema{}
	for _, a := range l.attrs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: a})
	}
	if l.child != "" {
		schema.Blocks = []hcl.BlockHeaderSchema{{Type: l.child, LabelNames: []string{"name"}}}
	}
	for _, r := range l.refused {
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: r, LabelNames: []string{"name"}})
	}
	c, diags := body.Content(schema)
	p.addDiags(diags)
	if c == nil {
		return out
	}
	for name, a := range c.Attributes {
		out[name] = p.policyValue(a.Expr, joinPath(path, name))
	}
	for _, blk := range c.Blocks {
		bpath := item(path, blk.Type, blk.Labels[0])
		p.ranges[joinPath(path, blk.Type)] = blk.TypeRange
		p.ranges[bpath] = blk.LabelRanges[0]
		body := map[string]any{}
		if blk.Type == l.child {
			body = p.policyBody(blk.Body, l.child, bpath)
		}
		list, _ := out[blk.Type].([]any)
		out[blk.Type] = append(list, map[string]any{blk.Labels[0]: []any{body}})
	}
	return out
}

// policyValue evaluates a policy attribute into a JSON-like value: string,
// float64, bool, or lists and maps of them.
func (p *parser) policyValue(expr hcl.Expression, path string) any {
	p.ranges[path] = expr.Range()
	v, ok := p.eval(expr)
	if !ok || v.IsNull() {
		return nil
	}
	return ctyToAny(v)
}

func ctyToAny(v cty.Value) any {
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case t == cty.Bool:
		return v.True()
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var out []any
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ctyToAny(e))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = ctyToAny(e)
		}
		return out
	}
	return nil
}
