package command

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// stdinJobFile is the FILE argument that reads the job from stdin.
const stdinJobFile = "-"

// repeatedFlag is a flag value that may be given many times; unlike a cli
// StringSliceFlag it never splits a value on commas.
type repeatedFlag struct{ values []string }

func (f *repeatedFlag) Set(v string) error { f.values = append(f.values, v); return nil }
func (f *repeatedFlag) String() string     { return strings.Join(f.values, " ") }

// jobFileFlags are the flags of every command that reads a job file.
func jobFileFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{
			Name:  "var",
			Usage: "set a job variable: `NAME=VALUE` (repeatable)",
			Value: &repeatedFlag{},
		},
		&cli.GenericFlag{
			Name:  "var-file",
			Usage: "read job variables from an HCL or JSON `FILE` (repeatable)",
			Value: &repeatedFlag{},
		},
		&cli.BoolFlag{
			Name:  "strict",
			Usage: "treat warnings (settings that have no effect in nomadlike) as errors",
		},
	}
}

func repeated(c *cli.Context, name string) []string {
	if f, ok := c.Generic(name).(*repeatedFlag); ok && f != nil {
		return f.values
	}
	return nil
}

// jobFileArg returns the command's single FILE argument.
func jobFileArg(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", userError("%s takes one argument, the job file (or - to read stdin); got %d", c.Command.HelpName, c.NArg())
	}
	return c.Args().First(), nil
}

// loadJobFile parses the job file at path ("-" for stdin) with the -var and
// -var-file flags of c. On a bad file it writes the positioned diagnostics,
// with source snippets, to the error stream and returns a user error.
func loadJobFile(c *cli.Context, path string) (*nomadlike.Job, error) {
	opts := &jobspec.ParseOptions{VarFiles: repeated(c, "var-file"), Vars: map[string]string{}}
	for _, kv := range repeated(c, "var") {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, userError("-var %q: want NAME=VALUE", kv)
		}
		opts.Vars[name] = value
	}
	name := path
	var src []byte
	var err error
	if path == stdinJobFile {
		name = "<stdin>"
		opts.BaseDir = "."
		src, err = io.ReadAll(c.App.Reader)
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, userError("read job file: %v", err)
	}
	res, err := jobspec.ParseWarnings(name, src, opts)
	var perr *jobspec.Error
	if errors.As(err, &perr) {
		if werr := perr.WriteText(c.App.ErrWriter); werr != nil {
			return nil, fmt.Errorf("write diagnostics: %w", werr)
		}
		n := len(perr.Diagnostics)
		return nil, userError("%s is not a valid job file: %d %s", name, n, plural(n, "problem", "problems"))
	}
	if err != nil {
		return nil, userError("%s: %v", name, err)
	}
	if err := writeParseWarnings(c, name, res); err != nil {
		return nil, err
	}
	return res.Job, nil
}

// writeParseWarnings writes the warnings of a parse, with their places and
// source lines, to the error stream; with -strict they are an error.
func writeParseWarnings(c *cli.Context, name string, res *jobspec.Result) error {
	n := len(res.Warnings)
	if n == 0 {
		return nil
	}
	if err := res.WriteWarnings(c.App.ErrWriter); err != nil {
		return fmt.Errorf("write warnings: %w", err)
	}
	if c.Bool("strict") {
		return userError("%s: %d %s, and -strict makes them errors", name, n, plural(n, "warning", "warnings"))
	}
	return nil
}

// serverWarnings drops from the Warnings of a register or plan answer the
// lines about the job's fields (nomadlike.Job.Warnings), which the parse
// already reported with their places in the file, and returns the rest.
func serverWarnings(warnings string, job *nomadlike.Job) string {
	if warnings == "" {
		return ""
	}
	shown := map[string]bool{}
	for _, w := range job.Warnings() {
		shown[w.String()] = true
	}
	var rest []string
	for _, line := range strings.Split(warnings, "\n") {
		if !shown[line] {
			rest = append(rest, line)
		}
	}
	return strings.Join(rest, "\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
