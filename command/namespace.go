package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// namespaceCommand is the namespace noun, as Nomad's `nomad namespace`.
func namespaceCommand() *cli.Command {
	return &cli.Command{
		Name:  "namespace",
		Usage: "Interact with namespaces",
		Subcommands: []*cli.Command{
			{
				Name:      "apply",
				Usage:     "Create or update a namespace",
				ArgsUsage: "NAME | FILE",
				Description: "With a NAME, creates the namespace or updates the fields given by flags.\n" +
					"With a FILE (an HCL namespace specification, or JSON with -json; - reads\n" +
					"stdin), creates or replaces the namespace it describes.",
				Flags: []cli.Flag{addressFlag(),
					&cli.StringFlag{Name: "description", Usage: "a human readable description of the namespace"},
					&cli.StringFlag{Name: "quota", Usage: "a quota to attach (stored, not enforced)"},
					&cli.BoolFlag{Name: "json", Usage: "parse FILE as a JSON namespace specification"},
				},
				Action: namespaceApply,
			},
			{
				Name:   "list",
				Usage:  "List namespaces",
				Flags:  []cli.Flag{addressFlag(), jsonFlag()},
				Action: namespaceList,
			},
			{
				Name:      "status",
				Usage:     "Show a namespace",
				ArgsUsage: "NAME",
				Flags:     []cli.Flag{addressFlag(), jsonFlag()},
				Action:    namespaceStatus,
			},
			{
				Name:      "inspect",
				Usage:     "Print a namespace as JSON",
				ArgsUsage: "NAME",
				Flags:     []cli.Flag{addressFlag()},
				Action: func(c *cli.Context) error {
					ns, err := namespaceInfo(c, "namespace inspect")
					if err != nil {
						return err
					}
					return printJSON(c.App.Writer, ns)
				},
			},
			{
				Name:      "delete",
				Usage:     "Delete a namespace (refused while it has non-terminal jobs or allocations)",
				ArgsUsage: "NAME",
				Flags:     []cli.Flag{addressFlag()},
				Action:    namespaceDelete,
			},
		},
	}
}

func namespaceApply(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("namespace apply takes one argument, the namespace name or a specification file")
	}
	arg := c.Args().First()
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	ctx := cmdContext(c)
	var ns *nomadlike.Namespace
	if isSpecFile(arg) {
		if ns, err = readNamespaceSpec(c, arg); err != nil {
			return err
		}
	} else {
		if !nomadlike.ValidNamespaceName(arg) {
			return userError("%q is neither a file nor a valid namespace name (1 to 128 letters, digits and dashes)", arg)
		}
		ns, _, err = client.Namespaces().Info(ctx, arg, nil)
		if errors.Is(err, api.ErrNotFound) {
			ns, err = &nomadlike.Namespace{Name: arg}, nil
		}
		if err != nil {
			return agentError(c, fmt.Sprintf("read namespace %q", arg), err)
		}
	}
	if c.IsSet("description") {
		ns.Description = c.String("description")
	}
	if c.IsSet("quota") {
		ns.Quota = c.String("quota")
	}
	if _, err := client.Namespaces().Register(ctx, ns, nil); err != nil {
		return agentError(c, fmt.Sprintf("apply namespace %q", ns.Name), err)
	}
	fmt.Fprintf(c.App.Writer, "Successfully applied namespace %q!\n", ns.Name)
	return nil
}

// isSpecFile reports whether the apply argument names a specification:
// "-" (stdin) or an existing file.
func isSpecFile(arg string) bool {
	if arg == stdinJobFile {
		return true
	}
	fi, err := os.Stat(arg)
	return err == nil && fi.Mode().IsRegular()
}

// namespaceSpec is the HCL namespace specification, as Nomad's (without
// capabilities and the node pool, Vault and Consul blocks, which nomadlike
// does not have: a file with them is refused with their position).
type namespaceSpec struct {
	Name        string    `hcl:"name"`
	Description string    `hcl:"description,optional"`
	Quota       string    `hcl:"quota,optional"`
	Meta        *metaSpec `hcl:"meta,block"`
}

type metaSpec struct {
	Attrs hcl.Attributes `hcl:",remain"`
}

func readNamespaceSpec(c *cli.Context, path string) (*nomadlike.Namespace, error) {
	name := path
	var src []byte
	var err error
	if path == stdinJobFile {
		name = "<stdin>"
		src, err = io.ReadAll(c.App.Reader)
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, userError("read namespace specification: %v", err)
	}
	if c.Bool("json") {
		var ns nomadlike.Namespace
		dec := json.NewDecoder(bytes.NewReader(src))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ns); err != nil {
			return nil, userError("%s: not a JSON namespace specification: %v", name, err)
		}
		return &ns, nil
	}
	return parseNamespaceHCL(name, src)
}

// parseNamespaceHCL decodes an HCL namespace specification; errors carry
// file:line,col.
func parseNamespaceHCL(name string, src []byte) (*nomadlike.Namespace, error) {
	f, diags := hclparse.NewParser().ParseHCL(src, name)
	if diags.HasErrors() {
		return nil, userError("%s", diags.Error())
	}
	var spec namespaceSpec
	if diags := gohcl.DecodeBody(f.Body, nil, &spec); diags.HasErrors() {
		return nil, userError("%s", diags.Error())
	}
	ns := &nomadlike.Namespace{Name: spec.Name, Description: spec.Description, Quota: spec.Quota}
	if spec.Meta != nil {
		ns.Meta = map[string]string{}
		for k, attr := range spec.Meta.Attrs {
			var v string
			if diags := gohcl.DecodeExpression(attr.Expr, nil, &v); diags.HasErrors() {
				return nil, userError("%s", diags.Error())
			}
			ns.Meta[k] = v
		}
	}
	return ns, nil
}

func namespaceList(c *cli.Context) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	list, _, err := client.Namespaces().List(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "list namespaces", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, list)
	}
	rows := make([][]string, 0, len(list))
	for _, ns := range list {
		rows = append(rows, []string{ns.Name, ns.Description})
	}
	table(w, []string{"Name", "Description"}, rows)
	return nil
}

// namespaceInfo reads the namespace named by the single argument.
func namespaceInfo(c *cli.Context, cmd string) (*nomadlike.Namespace, error) {
	if c.NArg() != 1 {
		return nil, userError("%s takes one argument, the namespace name", cmd)
	}
	client, err := apiClient(c)
	if err != nil {
		return nil, err
	}
	name := c.Args().First()
	ns, _, err := client.Namespaces().Info(cmdContext(c), name, nil)
	if errors.Is(err, api.ErrNotFound) {
		return nil, userError("namespace %q not found", name)
	}
	if err != nil {
		return nil, agentError(c, fmt.Sprintf("read namespace %q", name), err)
	}
	return ns, nil
}

func namespaceStatus(c *cli.Context) error {
	ns, err := namespaceInfo(c, "namespace status")
	if err != nil {
		return err
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, ns)
	}
	kv(w, [][2]string{{"Name", ns.Name}, {"Description", ns.Description}, {"Quota", ns.Quota}})
	if len(ns.Meta) > 0 {
		fmt.Fprintln(w, "\nMetadata")
		pairs := make([][2]string, 0, len(ns.Meta))
		for _, k := range sortedKeys(ns.Meta) {
			pairs = append(pairs, [2]string{k, ns.Meta[k]})
		}
		kv(w, pairs)
	}
	return nil
}

func namespaceDelete(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("namespace delete takes one argument, the namespace name")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	name := c.Args().First()
	if _, err := client.Namespaces().Delete(cmdContext(c), name, nil); err != nil {
		return agentError(c, fmt.Sprintf("delete namespace %q", name), err)
	}
	fmt.Fprintf(c.App.Writer, "Successfully deleted namespace %q!\n", name)
	return nil
}
