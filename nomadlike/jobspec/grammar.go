package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// typedAttr is an attribute of Nomad's grammar that nomadlike keeps no field
// for: its value is checked against ty (durations as duration strings) and
// dropped.
type typedAttr struct {
	name     string
	ty       cty.Type
	duration bool
}

// dropBlock is a nested block of Nomad's grammar that nomadlike keeps no
// struct for. spec describes its body; anyBody accepts any body (Nomad's
// free-form blocks such as a scaling policy) and mapBody any attributes.
type dropBlock struct {
	typ    string
	labels []string
	spec   *blockSpec
}

// Bodies of drop blocks whose content is not described further.
var (
	anyBody = &blockSpec{name: "(any)"}
	mapBody = &blockSpec{name: "(map)"}
)

func strAttr(n string) typedAttr  { return typedAttr{name: n, ty: cty.String} }
func numAttr(n string) typedAttr  { return typedAttr{name: n, ty: cty.Number} }
func boolAttr(n string) typedAttr { return typedAttr{name: n, ty: cty.Bool} }
func durAttr(n string) typedAttr  { return typedAttr{name: n, ty: cty.String, duration: true} }
func listAttr(n string) typedAttr { return typedAttr{name: n, ty: cty.List(cty.String)} }
func numsAttr(n string) typedAttr { return typedAttr{name: n, ty: cty.List(cty.Number)} }
func mapAttr(n string) typedAttr  { return typedAttr{name: n, ty: cty.Map(cty.String)} }
func anyAttr(n string) typedAttr  { return typedAttr{name: n, ty: cty.DynamicPseudoType} }
func drop(typ string, spec *blockSpec, labels ...string) dropBlock {
	return dropBlock{typ: typ, labels: labels, spec: spec}
}

// checkGrammar warns about every item of c that nomadlike does not act on
// (see noEffect), type-checks spec's extra attributes and checks the bodies
// of its drop blocks.
func (p *parser) checkGrammar(c *hcl.BodyContent, spec blockSpec) {
	for _, a := range sortedAttrs(c.Attributes) {
		if reason, ok := noEffect[spec.name+"."+a.Name]; ok {
			p.warnAt(a.NameRange, spec.name+"."+a.Name, reason)
		}
	}
	for _, b := range c.Blocks {
		if reason, ok := noEffect[spec.name+"."+b.Type]; ok {
			p.warnAt(b.TypeRange, spec.name+"."+b.Type, reason)
		}
	}
	for _, ta := range spec.extra {
		if a, ok := c.Attributes[ta.name]; ok {
			p.checkType(a, ta)
		}
	}
	for _, d := range spec.drop {
		for _, b := range c.Blocks.OfType(d.typ) {
			p.dropBody(b.Body, d.spec)
		}
	}
}

// checkType evaluates a and checks it has ta's type; the value is dropped.
func (p *parser) checkType(a *hcl.Attribute, ta typedAttr) {
	v, ok := p.eval(a.Expr)
	if !ok || v.IsNull() {
		return
	}
	if ta.duration {
		p.duration(v, a)
		return
	}
	if ta.ty == cty.DynamicPseudoType {
		return
	}
	p.convertTo(v, ta.ty, a.Expr.Range(), a.Name)
}

// dropBody checks the body of a block nomadlike keeps nothing of.
func (p *parser) dropBody(body hcl.Body, spec *blockSpec) {
	switch spec {
	case anyBody:
		return
	case mapBody:
		attrs, diags := body.JustAttributes()
		p.addDiags(diags)
		for _, a := range sortedAttrs(attrs) {
			p.eval(a.Expr)
		}
		return
	}
	p.content(body, *spec)
}

// warnAt records that the item named key (parent.item) at rng has no effect
// in nomadlike; one warning per place.
func (p *parser) warnAt(rng hcl.Range, key, reason string) {
	for _, d := range p.diags {
		if d.Severity == hcl.DiagWarning && d.Subject != nil && *d.Subject == rng {
			return
		}
	}
	r := rng
	p.diags = append(p.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  key + " has no effect in nomadlike",
		Detail:   reason,
		Subject:  &r,
	})
}

// checkValues warns about values nomadlike handles differently from Nomad
// (nomadlike.Job.CheckWarnings), placed at the attribute they name.
func (p *parser) checkValues(job *nomadlike.Job) {
	for _, w := range job.CheckWarnings() {
		rng := p.rangeOf(w.Path)
		p.diags = append(p.diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  w.String(),
			Subject:  &rng,
		})
	}
}
