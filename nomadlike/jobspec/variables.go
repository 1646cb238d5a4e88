package jobspec

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Environment prefixes that set variables; the second wins.
const (
	envVarPrefixNomad     = "NOMAD_VAR_"
	envVarPrefixNomadlike = "NOMADLIKE_VAR_"
)

// variable is one declared input variable of a job file.
type variable struct {
	name        string
	typ         cty.Type // cty.DynamicPseudoType when the block sets no type
	defaults    *typeexpr.Defaults
	value       cty.Value // cty.NilVal until assigned
	invalid     bool      // a value was given but could not be used
	declRange   hcl.Range
	validations []validationRule
}

type validationRule struct {
	condition hcl.Expression
	message   hcl.Expression
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

// constCtx evaluates expressions that may call functions but see no variables.
func (p *parser) constCtx() *hcl.EvalContext {
	return &hcl.EvalContext{Functions: p.funcs}
}

// declareVariables reads variable "name" {...} and variables {...} blocks
// and sets each variable's default value.
func (p *parser) declareVariables(blocks hcl.Blocks) {
	for _, b := range blocks {
		switch b.Type {
		case "variable":
			p.declareVariable(b)
		case "variables":
			attrs, diags := b.Body.JustAttributes()
			p.addDiags(diags)
			for _, a := range sortedAttrs(attrs) {
				v := &variable{name: a.Name, typ: cty.DynamicPseudoType, declRange: a.NameRange}
				if !p.declare(v) {
					continue
				}
				if val, ok := p.evalConst(a.Expr); ok {
					v.value = val
				}
			}
		}
	}
}

func (p *parser) declare(v *variable) bool {
	if !hclsyntax.ValidIdentifier(v.name) {
		p.errorAt(v.declRange, "Invalid variable name", "%q is not a valid identifier: use letters, digits, underscores and dashes, starting with a letter.", v.name)
		return false
	}
	if prev, ok := p.vars[v.name]; ok {
		p.errorAt(v.declRange, "Duplicate variable", "Variable %q was already declared at %s.", v.name, prev.declRange)
		return false
	}
	p.vars[v.name] = v
	p.varOrder = append(p.varOrder, v.name)
	return true
}

func (p *parser) declareVariable(b *hcl.Block) {
	v := &variable{name: b.Labels[0], typ: cty.DynamicPseudoType, declRange: b.DefRange}
	content, diags := b.Body.Content(variableSchema)
	if p.addDiags(diags) {
		return
	}
	if !p.declare(v) {
		return
	}
	if a, ok := content.Attributes["type"]; ok {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		if p.addDiags(diags) {
			return
		}
		v.typ, v.defaults = ty, defaults
	}
	if a, ok := content.Attributes["description"]; ok {
		if val, ok := p.evalConst(a.Expr); ok {
			p.convertTo(val, cty.String, a.Expr.Range(), "description")
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		if val, ok := p.evalConst(a.Expr); ok && !val.IsNull() {
			v.value = p.typed(v, val, a.Expr.Range())
		}
		v.invalid = v.value == cty.NilVal
	}
	for _, vb := range content.Blocks {
		vc, diags := vb.Body.Content(validationSchema)
		if p.addDiags(diags) {
			continue
		}
		v.validations = append(v.validations, validationRule{
			condition: vc.Attributes["condition"].Expr,
			message:   vc.Attributes["error_message"].Expr,
		})
	}
}

// typed converts val to the variable's type, applying optional-attribute
// defaults; it records a diagnostic at rng and returns cty.NilVal on failure.
func (p *parser) typed(v *variable, val cty.Value, rng hcl.Range) cty.Value {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	out, err := convert.Convert(val, v.typ)
	if err != nil {
		p.errorAt(rng, "Invalid value for variable", "The value for var.%s is not a %s: %s.", v.name, typeexpr.TypeString(v.typ), err)
		return cty.NilVal
	}
	return out
}

func (p *parser) evalConst(expr hcl.Expression) (cty.Value, bool) {
	val, diags := expr.Value(p.constCtx())
	if p.addDiags(diags) {
		return cty.NilVal, false
	}
	return val, true
}

// assignVariables applies, in increasing precedence, the environment, the
// var files and the -var values, then checks every variable has a value.
func (p *parser) assignVariables() {
	env := p.opts.Environ
	if env == nil {
		env = os.Environ()
	}
	fromEnv := map[string]string{}
	for _, prefix := range []string{envVarPrefixNomad, envVarPrefixNomadlike} {
		for _, kv := range env {
			k, val, ok := strings.Cut(kv, "=")
			if ok && strings.HasPrefix(k, prefix) {
				fromEnv[strings.TrimPrefix(k, prefix)] = val
			}
		}
	}
	for _, name := range sortedKeys(fromEnv) {
		if v, ok := p.vars[name]; ok {
			p.assignRaw(v, fromEnv[name], "environment variable for var."+name)
		}
	}
	for _, path := range p.opts.VarFiles {
		p.readVarFile(path, nil)
	}
	for _, vs := range p.opts.VarSources {
		p.readVarFile(vs.Name, vs.Src)
	}
	for _, name := range sortedKeys(p.opts.Vars) {
		v, ok := p.vars[name]
		if !ok {
			p.diags = append(p.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Undefined variable",
				Detail:   fmt.Sprintf("-var %s=...: the job file declares no variable %q; add a variable %q block.", name, name, name),
			})
			continue
		}
		p.assignRaw(v, p.opts.Vars[name], "-var "+name)
	}
	for _, name := range p.varOrder {
		v := p.vars[name]
		if v.value == cty.NilVal && !v.invalid {
			p.errorAt(v.declRange, "Missing variable value", "var.%s has no default; set it with -var %s=..., a -var-file or NOMAD_VAR_%s.", name, name, name)
		}
	}
}

// assignRaw sets a variable from a string given on the command line or in
// the environment. Strings and primitive types take the text as it is;
// collections and objects parse it as an HCL expression.
func (p *parser) assignRaw(v *variable, raw, where string) {
	var val cty.Value
	if v.typ == cty.DynamicPseudoType || v.typ.IsPrimitiveType() {
		val = cty.StringVal(raw)
	} else {
		expr, diags := hclsyntax.ParseExpression([]byte(raw), where, hcl.InitialPos)
		if p.addDiags(diags) {
			v.invalid = true
			return
		}
		var ok bool
		if val, ok = p.evalConst(expr); !ok {
			v.invalid = true
			return
		}
	}
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	out, err := convert.Convert(val, v.typ)
	if err != nil {
		p.diags = append(p.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("%s: %q is not a %s: %s.", where, raw, typeexpr.TypeString(v.typ), err),
		})
		v.invalid = true
		return
	}
	v.value = out
}

// readVarFile applies a -var-file (src nil: read from path) or a variables
// source (src, named path): HCL, or JSON when the name ends in .json.
func (p *parser) readVarFile(path string, src []byte) {
	parser := hclparse.NewParser()
	var file *hcl.File
	var diags hcl.Diagnostics
	switch json := strings.HasSuffix(path, ".json"); {
	case src != nil && json:
		file, diags = parser.ParseJSON(src, path)
	case src != nil:
		file, diags = parser.ParseHCL(src, path)
	case json:
		file, diags = parser.ParseJSONFile(path)
	default:
		file, diags = parser.ParseHCLFile(path)
	}
	for name, src := range parser.Sources() {
		p.sources[name] = src
	}
	if p.addDiags(diags) {
		return
	}
	if body, ok := file.Body.(*hclsyntax.Body); ok {
		keepRuntimeInterpolations(body, file.Bytes)
	}
	attrs, diags := file.Body.JustAttributes()
	if p.addDiags(diags) {
		return
	}
	for _, a := range sortedAttrs(attrs) {
		v, ok := p.vars[a.Name]
		if !ok {
			p.errorAt(a.NameRange, "Undefined variable", "The job file declares no variable %q; add a variable %q block or remove this line.", a.Name, a.Name)
			continue
		}
		val, ok := p.evalConst(a.Expr)
		if !ok {
			continue
		}
		if out := p.typed(v, val, a.Expr.Range()); out != cty.NilVal {
			v.value = out
		} else {
			v.invalid = true
		}
	}
}

// validateVariables runs every validation block against its variable.
func (p *parser) validateVariables() {
	for _, name := range p.varOrder {
		v := p.vars[name]
		if v.value == cty.NilVal {
			continue
		}
		ctx := &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{name: v.value})},
			Functions: p.funcs,
		}
		for _, rule := range v.validations {
			for _, tr := range rule.condition.Variables() {
				if tr.RootName() != "var" || len(tr) < 2 {
					continue
				}
				if a, ok := tr[1].(hcl.TraverseAttr); ok && a.Name != name {
					p.errorAt(tr.SourceRange(), "Invalid validation condition", "The condition for var.%s may refer only to var.%s, not var.%s.", name, name, a.Name)
				}
			}
			if p.diags.HasErrors() {
				return
			}
			cond, diags := rule.condition.Value(ctx)
			if p.addDiags(diags) {
				continue
			}
			cond, err := convert.Convert(cond, cty.Bool)
			if err != nil || cond.IsNull() {
				p.errorAt(rule.condition.Range(), "Invalid validation condition", "The condition for var.%s must be true or false.", name)
				continue
			}
			if cond.True() {
				continue
			}
			msg, diags := rule.message.Value(ctx)
			if p.addDiags(diags) {
				continue
			}
			text := "the value is not valid"
			if m, err := convert.Convert(msg, cty.String); err == nil && !m.IsNull() {
				text = m.AsString()
			}
			p.errorAt(rule.condition.Range(), "Invalid value for variable", "var.%s: %s", name, text)
		}
	}
}

// evalLocals evaluates every locals block; locals may refer to variables
// and to each other in any order, but not in a cycle.
func (p *parser) evalLocals(blocks hcl.Blocks) {
	pending := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		attrs, diags := b.Body.JustAttributes()
		p.addDiags(diags)
		for name, a := range attrs {
			if prev, ok := pending[name]; ok {
				p.errorAt(a.NameRange, "Duplicate local", "local.%s was already defined at %s.", name, prev.NameRange)
				continue
			}
			pending[name] = a
		}
	}
	for len(pending) > 0 {
		progress := false
		for _, a := range sortedAttrs(pending) {
			ready := true
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() != "local" || len(tr) < 2 {
					continue
				}
				ta, ok := tr[1].(hcl.TraverseAttr)
				if !ok {
					continue
				}
				if _, done := p.locals[ta.Name]; done {
					continue
				}
				if _, later := pending[ta.Name]; later {
					ready = false
				}
			}
			if !ready {
				continue
			}
			delete(pending, a.Name)
			progress = true
			p.ctx = p.evalContext()
			if val, ok := p.eval(a.Expr); ok {
				p.locals[a.Name] = val
			} else {
				p.locals[a.Name] = cty.DynamicVal
			}
		}
		if !progress {
			for _, a := range sortedAttrs(pending) {
				p.errorAt(a.NameRange, "Cycle in locals", "local.%s depends on itself through other locals.", a.Name)
			}
			return
		}
	}
}

func sortedAttrs(attrs map[string]*hcl.Attribute) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].NameRange.Start.Byte != out[j].NameRange.Start.Byte {
			return out[i].NameRange.Start.Byte < out[j].NameRange.Start.Byte
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
