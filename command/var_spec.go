package command

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/urfave/cli/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// maxVarInput caps what var put reads from a file or stdin.
const maxVarInput = nomadlike.MaxVariableBodySize

// varFromArgs builds the variable var put writes: the specification
// (@FILE or - for stdin), else the path argument, then the KEY=VALUE
// items. It returns the specification's ModifyIndex when it has one (the
// check-and-set index, as Nomad).
func varFromArgs(c *cli.Context) (*nomadlike.Variable, *uint64, error) {
	args := c.Args().Slice()
	first := args[0]
	v := &nomadlike.Variable{Items: map[string]string{}}
	var specIndex *uint64
	stdinUsed := false
	switch {
	case first == "-" || strings.HasPrefix(first, "@"):
		name, format := "stdin", c.String("in")
		var src []byte
		var err error
		if first == "-" {
			stdinUsed = true
			src, err = readLimited(c.App.Reader, "stdin")
		} else {
			name = first[1:]
			format = "hcl"
			if strings.HasSuffix(name, ".json") {
				format = "json"
			}
			src, err = readFileLimited(name)
		}
		if err != nil {
			return nil, nil, err
		}
		if specIndex, err = parseVarSpec(name, format, src, v); err != nil {
			return nil, nil, err
		}
		args = args[1:]
		if len(args) > 0 && !strings.Contains(args[0], "=") {
			v.Path, args = args[0], args[1:] // an explicit path overrides the file's
		}
	default:
		v.Path, args = strings.TrimPrefix(first, "/"), args[1:]
	}
	for _, a := range args {
		k, val, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, nil, userError("item %q: want KEY=VALUE", a)
		}
		switch {
		case val == "-":
			if stdinUsed {
				return nil, nil, userError("item %q: stdin is already read", k)
			}
			stdinUsed = true
			b, err := readLimited(c.App.Reader, "stdin")
			if err != nil {
				return nil, nil, err
			}
			val = strings.TrimSuffix(string(b), "\n")
		case strings.HasPrefix(val, "@"):
			b, err := readFileLimited(val[1:])
			if err != nil {
				return nil, nil, err
			}
			val = string(b)
		}
		v.Items[k] = val
	}
	if v.Path == "" {
		return nil, nil, userError("var put: no path given (argument or the specification's path)")
	}
	if err := nomadlike.ValidateVariable(v); err != nil {
		return nil, nil, userError("var put %s: %v", v.Path, err)
	}
	return v, specIndex, nil
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	if r == nil {
		r = os.Stdin
	}
	b, err := io.ReadAll(io.LimitReader(r, maxVarInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxVarInput {
		return nil, userError("%s: more than %d bytes", name, maxVarInput)
	}
	return b, nil
}

func readFileLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, userError("%v", err)
	}
	defer f.Close()
	return readLimited(f, name)
}

// parseVarSpec fills v from a JSON (Nomad's api.Variable) or HCL
// specification (path, namespace, items { k = "v" }).
func parseVarSpec(name, format string, src []byte, v *nomadlike.Variable) (*uint64, error) {
	if format == "json" {
		var spec struct {
			nomadlike.Variable
			ModifyIndex *uint64 `json:"ModifyIndex"`
		}
		dec := json.NewDecoder(strings.NewReader(string(src)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			return nil, userError("%s: %v", name, err)
		}
		v.Path, v.Namespace = spec.Path, spec.Namespace
		for k, val := range spec.Items {
			v.Items[k] = val
		}
		return spec.ModifyIndex, nil
	}
	if format != "hcl" {
		return nil, userError("-in: %q is not json or hcl", format)
	}
	f, diags := hclparse.NewParser().ParseHCL(src, name)
	if diags.HasErrors() {
		return nil, userError("%s", diags.Error())
	}
	content, diags := f.Body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "path"}, {Name: "namespace"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "items"}},
	})
	if diags.HasErrors() {
		return nil, userError("%s", diags.Error())
	}
	for attr, dst := range map[string]*string{"path": &v.Path, "namespace": &v.Namespace} {
		if a, ok := content.Attributes[attr]; ok {
			s, err := hclString(a)
			if err != nil {
				return nil, err
			}
			*dst = s
		}
	}
	for _, b := range content.Blocks.OfType("items") {
		attrs, diags := b.Body.JustAttributes()
		if diags.HasErrors() {
			return nil, userError("%s", diags.Error())
		}
		for k, a := range attrs {
			s, err := hclString(a)
			if err != nil {
				return nil, err
			}
			v.Items[k] = s
		}
	}
	return nil, nil
}

func hclString(a *hcl.Attribute) (string, error) {
	val, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return "", userError("%s", diags.Error())
	}
	if val.IsNull() || !val.Type().Equals(cty.String) {
		return "", userError("%s: %s must be a string", a.Range.String(), a.Name)
	}
	return val.AsString(), nil
}
