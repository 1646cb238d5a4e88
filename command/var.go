package command

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// varCommand is the var noun, as Nomad's `nomad var`.
func varCommand() *cli.Command {
	outFlag := func(def string) cli.Flag {
		return &cli.StringFlag{Name: "out", Value: def, Usage: "output format: json, hcl, go-template (with -template), table or none"}
	}
	tmplFlag := &cli.StringFlag{Name: "template", Usage: "Go template for -out go-template"}
	return &cli.Command{
		Name:  "var",
		Usage: "Interact with variables",
		Subcommands: []*cli.Command{
			{
				Name: "get", Usage: "Read a variable", ArgsUsage: "PATH",
				Flags: []cli.Flag{addressFlag(), outFlag("json"), tmplFlag,
					&cli.StringFlag{Name: "item", Usage: "print only the value of this item"}},
				Action: varGet,
			},
			{
				Name: "put", Usage: "Create or update a variable",
				ArgsUsage: "PATH|@FILE|- [KEY=VALUE|KEY=-|KEY=@FILE]...",
				Description: "Items come from a specification file (@spec.json, @spec.hcl, or - for stdin)\n" +
					"and from KEY=VALUE arguments; KEY=- reads the value from stdin, KEY=@FILE from a file.\n" +
					"With -check-index the write is a check-and-set (0: create only).",
				Flags: []cli.Flag{addressFlag(), outFlag("none"), tmplFlag,
					&cli.Uint64Flag{Name: "check-index", Usage: "write only if the variable's ModifyIndex is this (0: it must not exist)"},
					&cli.BoolFlag{Name: "force", Usage: "write regardless of the variable's index on the server"},
					&cli.StringFlag{Name: "in", Usage: "format of the specification from stdin: json or hcl", Value: "json"},
					&cli.BoolFlag{Name: "verbose", Usage: "print the result"}},
				Action: varPut,
			},
			{
				Name: "list", Usage: "List variables", ArgsUsage: "[PREFIX]",
				Flags: []cli.Flag{addressFlag(), outFlag("table"), tmplFlag, jsonFlag(),
					&cli.StringFlag{Name: "prefix", Usage: "list only paths with this prefix"},
					&cli.IntFlag{Name: "per-page", Usage: "how many to list per page"},
					&cli.StringFlag{Name: "page-token", Usage: "where to start (a previous page's next token)"},
					&cli.StringFlag{Name: "filter", Usage: "go-bexpr filter over the listed metadata"}},
				Action: varList,
			},
			{
				Name: "purge", Usage: "Delete a variable", ArgsUsage: "PATH",
				Flags: []cli.Flag{addressFlag(),
					&cli.Uint64Flag{Name: "check-index", Usage: "delete only if the variable's ModifyIndex is this"}},
				Action: varPurge,
			},
			{
				Name: "init", Usage: "Write an example variable specification", ArgsUsage: "[FILE]",
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "write JSON instead of HCL"}},
				Action: varInit,
			},
		},
	}
}

func varURL(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/v1/var/" + strings.Join(segs, "/")
}

func varGet(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("var get takes one argument, the variable's path")
	}
	path := strings.TrimPrefix(c.Args().First(), "/")
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	var v nomadlike.Variable
	if _, err := client.Query(cmdContext(c), varURL(path), &v, nil); err != nil {
		if errors.Is(err, api.ErrNotFound) {
			return userError("variable not found: %s", path)
		}
		return agentError(c, fmt.Sprintf("read variable %q", path), err)
	}
	if item := c.String("item"); item != "" {
		val, ok := v.Items[item]
		if !ok {
			return userError("variable %s has no item %q", path, item)
		}
		fmt.Fprintln(rawWriter(c.App.Writer), val)
		return nil
	}
	return printVariable(c, &v, c.String("out"))
}

func printVariable(c *cli.Context, v *nomadlike.Variable, out string) error {
	w := c.App.Writer
	switch out {
	case "none":
		return nil
	case "json":
		return printJSON(w, v)
	case "hcl":
		_, err := io.WriteString(rawWriter(w), variableHCL(v))
		return err
	case "go-template":
		return runVarTemplate(c, v)
	case "table":
		rows := [][]string{{"Namespace", v.Namespace}, {"Path", v.Path},
			{"Create Time", time.Unix(0, v.CreateTime).UTC().Format(time.RFC3339)},
			{"Check Index", strconv.FormatUint(v.ModifyIndex, 10)}}
		table(w, []string{"Field", "Value"}, rows)
		fmt.Fprintln(w)
		keys := sortedKeys(v.Items)
		items := make([][]string, 0, len(keys))
		for _, k := range keys {
			items = append(items, []string{k, v.Items[k]})
		}
		table(rawWriter(w), []string{"Key", "Value"}, items)
		return nil
	}
	return userError("-out: %q is not one of json, hcl, go-template, table, none", out)
}

func runVarTemplate(c *cli.Context, v any) error {
	src := c.String("template")
	if src == "" {
		return userError("-out go-template needs -template")
	}
	t, err := template.New("out").Parse(src)
	if err != nil {
		return userError("-template: %v", err)
	}
	return t.Execute(rawWriter(c.App.Writer), v)
}

func variableHCL(v *nomadlike.Variable) string {
	var b strings.Builder
	fmt.Fprintf(&b, "namespace = %q\npath      = %q\n\nitems {\n", v.Namespace, v.Path)
	for _, k := range sortedKeys(v.Items) {
		fmt.Fprintf(&b, "  %s = %q\n", hclKey(k), v.Items[k])
	}
	b.WriteString("}\n")
	return b.String()
}

func hclKey(k string) string {
	for i, r := range k {
		ok := r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return strconv.Quote(k)
		}
	}
	return k
}

func varPut(c *cli.Context) error {
	if c.NArg() < 1 {
		return userError("var put takes a path (or @FILE, or - for stdin) and KEY=VALUE items")
	}
	v, specIndex, err := varFromArgs(c)
	if err != nil {
		return err
	}
	var cas *uint64
	switch {
	case c.Bool("force"):
	case c.IsSet("check-index"):
		n := c.Uint64("check-index")
		cas = &n
	case specIndex != nil:
		cas = specIndex
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	ns := v.Namespace
	if ns == "" {
		ns = client.Namespace()
	}
	q := &api.QueryOptions{Namespace: ns, Params: map[string]string{}}
	if cas != nil {
		q.Params["cas"] = strconv.FormatUint(*cas, 10)
	}
	v.Namespace = ""
	var out nomadlike.Variable
	if _, err := client.Write(cmdContext(c), http.MethodPut, varURL(v.Path), v, &out, q); err != nil {
		return casError(c, "write variable "+strconv.Quote(v.Path), err)
	}
	if c.Bool("verbose") || c.String("out") != "none" {
		return printVariable(c, &out, c.String("out"))
	}
	fmt.Fprintf(c.App.Writer, "Created variable %q with modify index %d\n", out.Path, out.ModifyIndex)
	return nil
}

// casError explains a 409 as Nomad does.
func casError(c *cli.Context, what string, err error) error {
	var se *api.StatusError
	if errors.As(err, &se) && se.Code == http.StatusConflict {
		return userError("%s: Check-and-Set conflict: the variable changed on the server (current: %s); read it again and retry with -check-index, or use -force",
			what, strings.TrimSpace(se.Body))
	}
	return agentError(c, what, err)
}

func varList(c *cli.Context) error {
	prefix := c.String("prefix")
	if c.NArg() > 0 {
		prefix = c.Args().First()
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	q := &api.QueryOptions{Prefix: prefix, Params: map[string]string{}}
	if n := c.Int("per-page"); n > 0 {
		q.Params["per_page"] = strconv.Itoa(n)
	}
	if t := c.String("page-token"); t != "" {
		q.Params["next_token"] = t
	}
	if f := c.String("filter"); f != "" {
		q.Params["filter"] = f
	}
	var out []nomadlike.VariableMetadata
	if _, err := client.Query(cmdContext(c), "/v1/vars", &out, q); err != nil {
		return agentError(c, "list variables", err)
	}
	switch {
	case c.Bool("json") || c.String("out") == "json":
		return printJSON(c.App.Writer, out)
	case c.String("out") == "go-template":
		return runVarTemplate(c, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(c.App.Writer, "No variables found")
		return nil
	}
	rows := make([][]string, 0, len(out))
	for _, m := range out {
		rows = append(rows, []string{m.Namespace, m.Path, time.Unix(0, m.ModifyTime).UTC().Format(time.RFC3339)})
	}
	table(c.App.Writer, []string{"Namespace", "Path", "Last Updated"}, rows)
	return nil
}

func varPurge(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("var purge takes one argument, the variable's path")
	}
	path := strings.TrimPrefix(c.Args().First(), "/")
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	q := &api.QueryOptions{Params: map[string]string{}}
	if c.IsSet("check-index") {
		q.Params["cas"] = strconv.FormatUint(c.Uint64("check-index"), 10)
	}
	if _, err := client.Write(cmdContext(c), http.MethodDelete, varURL(path), nil, nil, q); err != nil {
		return casError(c, "purge variable "+strconv.Quote(path), err)
	}
	fmt.Fprintf(c.App.Writer, "Successfully purged variable %q!\n", path)
	return nil
}

func varInit(c *cli.Context) error {
	name, body := "spec.nv.hcl", "# A variable specification for `var put @spec.nv.hcl`.\npath = \"nomad/jobs/example\"\n\nitems {\n  password = \"change-me\"\n}\n"
	if c.Bool("json") {
		name, body = "spec.nv.json", "{\n  \"Path\": \"nomad/jobs/example\",\n  \"Items\": {\n    \"password\": \"change-me\"\n  }\n}\n"
	}
	if c.NArg() > 0 {
		name = c.Args().First()
	}
	if _, err := os.Stat(name); err == nil {
		return userError("%s already exists", name)
	}
	if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "Example variable specification written to %s\n", name)
	return nil
}
