package command

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/getter"
)

// The volume specification of `volume create`, as Nomad's for type =
// "host": namespace, name, type, plugin_id, node_id, node_pool,
// capacity_min, capacity_max (sizes such as "10GiB"), capability { },
// constraint { }, parameters { }. Errors carry file:line:col.

var volumeSpecSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type", Required: true}, {Name: "name", Required: true}, {Name: "namespace"},
		{Name: "plugin_id"}, {Name: "node_id"}, {Name: "node_pool"},
		{Name: "capacity_min"}, {Name: "capacity_max"}, {Name: "id"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "capability"}, {Type: "constraint"}, {Type: "parameters"}},
}

func specError(rng hcl.Range, format string, args ...any) error {
	return userError("%s: %s", rng.String(), fmt.Sprintf(format, args...))
}

// parseVolumeSpec decodes an HCL host volume specification.
func parseVolumeSpec(name string, src []byte) (*nomadlike.HostVolume, error) {
	f, diags := hclparse.NewParser().ParseHCL(src, name)
	if diags.HasErrors() {
		return nil, userError("%s", diags.Error())
	}
	content, diags := f.Body.Content(volumeSpecSchema)
	if diags.HasErrors() {
		return nil, userError("%s", diags.Error())
	}
	attrs := map[string]string{}
	for k, a := range content.Attributes {
		s, err := volumeString(src, a)
		if err != nil {
			return nil, err
		}
		attrs[k] = s
	}
	if t := attrs["type"]; t != nomadlike.VolumeTypeHost {
		return nil, specError(content.Attributes["type"].Expr.Range(), "type %q is not supported: nomadlike has dynamic host volumes "+
			"(type = \"host\") only, no CSI volumes", t)
	}
	if a, ok := content.Attributes["id"]; ok {
		return nil, specError(a.Range, "id: a host volume is created without an ID (the servers choose it); updating a volume is not supported")
	}
	v := &nomadlike.HostVolume{Namespace: attrs["namespace"], Name: attrs["name"], PluginID: attrs["plugin_id"],
		NodeID: attrs["node_id"], NodePool: attrs["node_pool"]}
	for attr, dst := range map[string]*int64{"capacity_min": &v.RequestedCapacityMinBytes, "capacity_max": &v.RequestedCapacityMaxBytes} {
		if s, ok := attrs[attr]; ok {
			n, err := getter.ParseSize(s)
			if err != nil {
				return nil, specError(content.Attributes[attr].Expr.Range(), "%s: %v", attr, err)
			}
			*dst = n
		}
	}
	for _, b := range content.Blocks {
		if err := applyVolumeBlock(src, v, b); err != nil {
			return nil, err
		}
	}
	return v, nil
}

var (
	volumeCapabilitySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "access_mode"}, {Name: "attachment_mode"}}}
	volumeConstraintSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "attribute"}, {Name: "operator"}, {Name: "value"}}}
)

func applyVolumeBlock(src []byte, v *nomadlike.HostVolume, b *hcl.Block) error {
	var schema *hcl.BodySchema
	switch b.Type {
	case "parameters":
		attrs, diags := b.Body.JustAttributes()
		if diags.HasErrors() {
			return userError("%s", diags.Error())
		}
		if v.Parameters == nil {
			v.Parameters = map[string]string{}
		}
		for k, a := range attrs {
			s, err := volumeString(src, a)
			if err != nil {
				return err
			}
			v.Parameters[k] = s
		}
		return nil
	case "capability":
		schema = volumeCapabilitySchema
	default:
		schema = volumeConstraintSchema
	}
	content, diags := b.Body.Content(schema)
	if diags.HasErrors() {
		return userError("%s", diags.Error())
	}
	vals := map[string]string{}
	for k, a := range content.Attributes {
		s, err := volumeString(src, a)
		if err != nil {
			return err
		}
		vals[k] = s
	}
	if b.Type == "capability" {
		v.RequestedCapabilities = append(v.RequestedCapabilities, &nomadlike.HostVolumeCapability{
			AccessMode: vals["access_mode"], AttachmentMode: vals["attachment_mode"]})
		return nil
	}
	op := vals["operator"]
	if op == "" {
		op = nomadlike.ConstraintEqual
	}
	v.Constraints = append(v.Constraints, &nomadlike.Constraint{LTarget: vals["attribute"], Operand: op, RTarget: vals["value"]})
	return nil
}

// volumeString reads a string attribute; a number is taken as its decimal
// text (uid = 1000, capacity_min = 1048576), and an interpolation such as
// "${attr.kernel.name}" is kept as text for the servers to resolve
// against each node, as in a job's constraint.
func volumeString(src []byte, a *hcl.Attribute) (string, error) {
	var parts []hclsyntax.Expression
	switch t := a.Expr.(type) {
	case *hclsyntax.TemplateExpr:
		parts = t.Parts
	case *hclsyntax.TemplateWrapExpr:
		parts = []hclsyntax.Expression{t.Wrapped}
	}
	if parts != nil {
		var b strings.Builder
		for _, part := range parts {
			if lit, ok := part.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type().Equals(cty.String) {
				b.WriteString(lit.Val.AsString())
				continue
			}
			rng := part.Range()
			if rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
				return "", userError("%s: %s: cannot read the interpolation", a.Range.String(), a.Name)
			}
			b.WriteString("${" + string(src[rng.Start.Byte:rng.End.Byte]) + "}")
		}
		return b.String(), nil
	}
	val, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return "", userError("%s", diags.Error())
	}
	if !val.IsNull() && val.Type().Equals(cty.Number) {
		return val.AsBigFloat().Text('f', -1), nil
	}
	return hclString(a)
}
