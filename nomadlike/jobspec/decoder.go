package jobspec

import (
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// field maps an HCL attribute to the Go struct field it sets.
type field struct {
	attr string
	name string
}

// blockSpec describes what a block may contain: attributes set by reflection
// (fields), attributes decoded by hand (attrs), nested blocks decoded by hand
// (blocks, with the spec of each in children when it has one), and the parts
// of Nomad's grammar nomadlike has no field for: extra attributes and drop
// blocks are type-checked and then dropped (see noEffect for their warning).
type blockSpec struct {
	// name is the block type, the first part of the keys of noEffect.
	name     string
	fields   []field
	attrs    []string
	blocks   []hcl.BlockHeaderSchema
	children map[string]*blockSpec
	extra    []typedAttr
	drop     []dropBlock
	schema   *hcl.BodySchema
}

// build fills in the schema; call once when defining the spec.
func (s blockSpec) build() blockSpec {
	sc := &hcl.BodySchema{Blocks: append([]hcl.BlockHeaderSchema(nil), s.blocks...)}
	for _, f := range s.fields {
		sc.Attributes = append(sc.Attributes, hcl.AttributeSchema{Name: f.attr})
	}
	for _, a := range s.attrs {
		sc.Attributes = append(sc.Attributes, hcl.AttributeSchema{Name: a})
	}
	for _, a := range s.extra {
		sc.Attributes = append(sc.Attributes, hcl.AttributeSchema{Name: a.name})
	}
	for _, d := range s.drop {
		sc.Blocks = append(sc.Blocks, hcl.BlockHeaderSchema{Type: d.typ, LabelNames: d.labels})
	}
	s.schema = sc
	return s
}

// content decodes body against spec; unknown attributes and blocks are
// reported, as are (as warnings) the items nomadlike does not act on.
// Extra attributes and drop blocks are checked here. It returns what
// matched even when there are errors.
func (p *parser) content(body hcl.Body, spec blockSpec) *hcl.BodyContent {
	c, diags := body.Content(spec.schema)
	p.addDiags(diags)
	if c == nil {
		c = &hcl.BodyContent{Attributes: hcl.Attributes{}}
	}
	p.checkGrammar(c, spec)
	return c
}

// decodeFields sets dst's fields (dst is a pointer to a struct) from the
// attributes in c and records each attribute's range under path.
func (p *parser) decodeFields(c *hcl.BodyContent, spec blockSpec, path string, dst any) {
	rv := reflect.ValueOf(dst).Elem()
	for _, f := range spec.fields {
		a, ok := c.Attributes[f.attr]
		if !ok {
			continue
		}
		p.setField(rv.FieldByName(f.name), a, joinPath(path, f.name))
	}
}

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	durationPtrType = reflect.TypeOf((*time.Duration)(nil))
)

func (p *parser) setField(fv reflect.Value, a *hcl.Attribute, path string) {
	if !fv.IsValid() {
		panic("jobspec: no field for " + path)
	}
	p.ranges[path] = a.Expr.Range()
	v, ok := p.eval(a.Expr)
	if !ok || v.IsNull() {
		return
	}
	switch fv.Type() {
	case durationType:
		if d, ok := p.duration(v, a); ok {
			fv.SetInt(int64(d))
		}
		return
	case durationPtrType:
		if d, ok := p.duration(v, a); ok {
			fv.Set(reflect.ValueOf(&d))
		}
		return
	}
	var ty cty.Type
	switch fv.Kind() {
	case reflect.String:
		ty = cty.String
	case reflect.Bool:
		ty = cty.Bool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		ty = cty.Number
	case reflect.Slice:
		ty = cty.List(cty.String)
	case reflect.Map:
		if fv.Type().Elem().Kind() == reflect.Slice {
			ty = cty.Map(cty.List(cty.String))
		} else {
			ty = cty.Map(cty.String)
		}
	default:
		panic(fmt.Sprintf("jobspec: unsupported field type %s for %s", fv.Type(), path))
	}
	cv, ok := p.convertTo(v, ty, a.Expr.Range(), a.Name)
	if !ok {
		return
	}
	if ty == cty.Number && !cv.IsNull() && !cv.AsBigFloat().IsInt() {
		p.errorAt(a.Expr.Range(), "Invalid value", "Inappropriate value for attribute %q: a whole number is required, not %s.", a.Name, cv.AsBigFloat().Text('g', -1))
		return
	}
	if err := gocty.FromCtyValue(cv, fv.Addr().Interface()); err != nil {
		p.errorAt(a.Expr.Range(), "Invalid value", "Inappropriate value for attribute %q: %s.", a.Name, err)
	}
}

// convertTo converts v to ty, recording a positioned diagnostic on failure.
func (p *parser) convertTo(v cty.Value, ty cty.Type, rng hcl.Range, name string) (cty.Value, bool) {
	out, err := convert.Convert(v, ty)
	if err != nil {
		p.errorAt(rng, "Incorrect attribute value type", "Inappropriate value for attribute %q: %s.", name, err)
		return cty.NilVal, false
	}
	return out, true
}

// duration reads a Go duration string such as "30s" or "1h30m".
func (p *parser) duration(v cty.Value, a *hcl.Attribute) (time.Duration, bool) {
	if v.Type() != cty.String {
		p.errorAt(a.Expr.Range(), "Incorrect attribute value type", "Inappropriate value for attribute %q: a duration string like \"30s\" or \"1h30m\" is required.", a.Name)
		return 0, false
	}
	d, err := time.ParseDuration(v.AsString())
	if err != nil {
		p.errorAt(a.Expr.Range(), "Invalid duration", "%q is not a duration like \"30s\" or \"1h30m\" (%s).", v.AsString(), err)
		return 0, false
	}
	return d, true
}

// eval evaluates expr in the job context, first checking that every var.x
// and local.x it refers to exists.
func (p *parser) eval(expr hcl.Expression) (cty.Value, bool) {
	ok := true
	for _, tr := range expr.Variables() {
		ok = p.referenceDefined(tr) && ok
	}
	if !ok {
		return cty.NilVal, false
	}
	v, diags := expr.Value(p.ctx)
	if p.addDiags(diags) {
		return cty.NilVal, false
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		if !p.diags.HasErrors() {
			p.errorAt(expr.Range(), "Unknown value", "The value of this expression cannot be known while parsing.")
		}
		return cty.NilVal, false
	}
	return v, true
}

// referenceDefined reports whether a var.x or local.x traversal names a
// declared variable or a defined local, recording a diagnostic when not.
// Other traversals are not its business and pass.
func (p *parser) referenceDefined(tr hcl.Traversal) bool {
	root := tr.RootName()
	if (root != "var" && root != "local") || len(tr) < 2 {
		return true
	}
	var name string
	switch step := tr[1].(type) {
	case hcl.TraverseAttr:
		name = step.Name
	case hcl.TraverseIndex:
		if step.Key.Type() == cty.String {
			name = step.Key.AsString()
		}
	}
	if name == "" {
		return true
	}
	if root == "var" {
		if _, declared := p.vars[name]; !declared {
			p.errorAt(tr.SourceRange(), "Undefined variable", "There is no variable named %q; declare it with a variable %q block.", name, name)
			return false
		}
		return true
	}
	if _, defined := p.locals[name]; !defined {
		p.errorAt(tr.SourceRange(), "Undefined local", "There is no local value named %q; define it in a locals block.", name)
		return false
	}
	return true
}

// stringMap reads an attribute or block of string values such as env or
// meta; both forms are allowed, not both at once.
func (p *parser) stringMap(c *hcl.BodyContent, name, path string) map[string]string {
	attr, hasAttr := c.Attributes[name]
	blocks := c.Blocks.OfType(name)
	if hasAttr && len(blocks) > 0 {
		p.errorAt(blocks[0].DefRange, "Duplicate "+name, "%s is set both as an attribute at %s and as a block; use one.", name, attr.NameRange)
		return nil
	}
	var out map[string]string
	if hasAttr {
		p.ranges[path] = attr.Expr.Range()
		v, ok := p.eval(attr.Expr)
		if !ok || v.IsNull() {
			return nil
		}
		cv, ok := p.convertTo(v, cty.Map(cty.String), attr.Expr.Range(), name)
		if !ok {
			return nil
		}
		if err := gocty.FromCtyValue(cv, &out); err != nil {
			p.errorAt(attr.Expr.Range(), "Invalid value", "Inappropriate value for attribute %q: %s.", name, err)
		}
		return out
	}
	for _, b := range blocks {
		p.ranges[path] = b.DefRange
		attrs, diags := b.Body.JustAttributes()
		p.addDiags(diags)
		for _, a := range sortedAttrs(attrs) {
			v, ok := p.eval(a.Expr)
			if !ok || v.IsNull() {
				continue
			}
			cv, ok := p.convertTo(v, cty.String, a.Expr.Range(), a.Name)
			if !ok {
				continue
			}
			if out == nil {
				out = map[string]string{}
			}
			out[a.Name] = cv.AsString()
			p.ranges[path+"["+a.Name+"]"] = a.Expr.Range()
		}
	}
	return out
}

// single returns the only block of typ in c, or nil; a second one is an
// error.
func (p *parser) single(c *hcl.BodyContent, typ string) *hcl.Block {
	blocks := c.Blocks.OfType(typ)
	if len(blocks) == 0 {
		return nil
	}
	for _, b := range blocks[1:] {
		p.errorAt(b.DefRange, "Duplicate "+typ+" block", "Only one %s block is allowed here; the first is at %s.", typ, blocks[0].DefRange)
	}
	return blocks[0]
}

// freeForm decodes a driver's config block: attributes become values and
// nested blocks become lists of maps under their type, as Nomad does.
func (p *parser) freeForm(body hcl.Body, path string) map[string]any {
	raw := p.rawBody(body)
	if raw == nil {
		p.errorAt(body.MissingItemRange(), "Unsupported config", "This config block could not be read.")
		return nil
	}
	schema := &hcl.BodySchema{}
	for name := range raw.Attributes {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: name})
	}
	seen := map[string]bool{}
	for _, b := range raw.Blocks {
		typ := b.Type
		if typ == "dynamic" && len(b.Labels) == 1 {
			typ = b.Labels[0]
		} else if len(b.Labels) > 0 {
			p.errorAt(b.LabelRanges[0], "Unexpected block label", "Blocks inside config take no labels.")
			if !seen[typ] {
				seen[typ] = true
				schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: typ, LabelNames: make([]string, len(b.Labels))})
			}
			continue
		}
		if _, clash := raw.Attributes[typ]; clash {
			p.errorAt(b.TypeRange, "Duplicate config key", "%q is set both as an attribute and as a block.", typ)
			continue
		}
		if !seen[typ] {
			seen[typ] = true
			schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: typ})
		}
	}
	c, diags := body.Content(schema)
	if p.addDiags(diags) || c == nil {
		return nil
	}
	out := map[string]any{}
	for _, a := range sortedAttrs(c.Attributes) {
		p.ranges[path+"["+a.Name+"]"] = a.Expr.Range()
		if v, ok := p.eval(a.Expr); ok {
			out[a.Name] = ctyToGo(v)
		}
	}
	for _, b := range c.Blocks {
		if len(b.Labels) > 0 {
			continue
		}
		list, _ := out[b.Type].([]any)
		out[b.Type] = append(list, p.freeForm(b.Body, path+"["+b.Type+"]"))
	}
	return out
}

// ctyToGo turns a known value into plain Go values that marshal to JSON:
// string, int64 or float64, bool, []any, map[string]any or nil.
func ctyToGo(v cty.Value) any {
	if v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Bool:
		return v.True()
	case ty == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			if i, acc := bf.Int64(); acc == big.Exact {
				return i
			}
		}
		f, _ := bf.Float64()
		return f
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ctyToGo(e))
		}
		return out
	case ty.IsMapType() || ty.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = ctyToGo(e)
		}
		return out
	}
	return nil
}

func joinPath(path, name string) string {
	switch {
	case path == "":
		return name
	case strings.HasPrefix(name, "["):
		return path + name
	}
	return path + "." + name
}

// item is the path of element key of list or map field under path.
func item(path, fieldName, key string) string {
	return joinPath(path, fieldName) + "[" + key + "]"
}
