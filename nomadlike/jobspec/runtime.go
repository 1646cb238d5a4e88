package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// parseRoots are the variable roots evaluated while parsing. Every other root
// in an interpolation (node, attr, meta, env, NOMAD_*, ...) is resolved later
// by the scheduler or the client, so the interpolation is kept as text.
var parseRoots = map[string]bool{"var": true, "local": true}

// keepRuntimeInterpolations rewrites, in place, every template interpolation
// whose variables are all runtime references into the literal text
// "${...}" of its source. Iterator names of dynamic blocks and for
// expressions are in scope only inside them and are evaluated normally.
// It returns the var.x and local.x traversals it saw, so that they can be
// checked without walking the file again.
func keepRuntimeInterpolations(body *hclsyntax.Body, src []byte) []hcl.Traversal {
	r := &runtimeRewriter{src: src}
	hclsyntax.Walk(body, r)
	return r.refs
}

type runtimeRewriter struct {
	src    []byte
	scopes []map[string]bool
	refs   []hcl.Traversal
}

func (r *runtimeRewriter) Enter(n hclsyntax.Node) hcl.Diagnostics {
	switch n := n.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		if parseRoots[n.Traversal.RootName()] {
			r.refs = append(r.refs, n.Traversal)
		}
	case hclsyntax.ChildScope:
		names := map[string]bool{}
		for k := range n.LocalNames {
			names[k] = true
		}
		r.scopes = append(r.scopes, names)
	case *hclsyntax.Block:
		names := map[string]bool{}
		if n.Type == "dynamic" && len(n.Labels) == 1 {
			names[n.Labels[0]] = true
			if it, ok := n.Body.Attributes["iterator"]; ok {
				if tr, diags := hcl.AbsTraversalForExpr(it.Expr); !diags.HasErrors() {
					names[tr.RootName()] = true
				}
			}
		}
		r.scopes = append(r.scopes, names)
	case *hclsyntax.TemplateExpr:
		for i, p := range n.Parts {
			if lit := r.literal(p); lit != nil {
				n.Parts[i] = lit
			}
		}
	case *hclsyntax.TemplateWrapExpr:
		if lit := r.literal(n.Wrapped); lit != nil {
			n.Wrapped = lit
		}
	}
	return nil
}

func (r *runtimeRewriter) Exit(n hclsyntax.Node) hcl.Diagnostics {
	switch n.(type) {
	case hclsyntax.ChildScope, *hclsyntax.Block:
		r.scopes = r.scopes[:len(r.scopes)-1]
	}
	return nil
}

// literal returns the replacement of a template part that refers only to
// runtime variables, or nil to keep the part.
func (r *runtimeRewriter) literal(part hclsyntax.Expression) hclsyntax.Expression {
	if _, ok := part.(*hclsyntax.LiteralValueExpr); ok {
		return nil
	}
	vars := hclsyntax.Variables(part)
	if len(vars) == 0 {
		return nil
	}
	for _, tr := range vars {
		if r.evaluated(tr.RootName()) {
			return nil
		}
	}
	rng := part.Range()
	if rng.Start.Byte < 0 || rng.End.Byte > len(r.src) || rng.Start.Byte > rng.End.Byte {
		return nil
	}
	text := "${" + string(r.src[rng.Start.Byte:rng.End.Byte]) + "}"
	return &hclsyntax.LiteralValueExpr{Val: cty.StringVal(text), SrcRange: rng}
}

func (r *runtimeRewriter) evaluated(root string) bool {
	if parseRoots[root] {
		return true
	}
	for _, s := range r.scopes {
		if s[root] {
			return true
		}
	}
	return false
}
