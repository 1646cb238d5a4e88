package command

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// placeConfigProblems writes, for an agent's refusal of a job file (job run,
// job plan) whose problems are about task config keys, each such problem
// at the key's file:line:col to the error stream, before the refusal
// itself. Anything else is left alone.
func placeConfigProblems(c *cli.Context, err error) {
	if err == nil || c.NArg() != 1 {
		return
	}
	path := c.Args().First()
	text := err.Error()
	var se *api.StatusError
	if errors.As(err, &se) {
		text = se.Body
	}
	for _, line := range strings.Split(text, "\n") {
		loc := configProblemRE.FindStringIndex(line)
		if loc == nil {
			continue
		}
		problem := line[loc[0]:]
		if pos := configPosition(path, problem); pos != "" {
			fmt.Fprintf(c.App.ErrWriter, "%s: %s\n", pos, problem)
		}
	}
}

// configProblemRE matches a server's problem about a task's config block,
// as package driverschema words it: group "g" task "t" config.key...
var configProblemRE = regexp.MustCompile(`group ("(?:[^"\\]|\\.)*") task ("(?:[^"\\]|\\.)*") config\.([A-Za-z0-9_-]+)`)

// configPosition returns "file:line:col" of the config key a server's
// problem names, from the HCL job file at path; "" when the problem is not
// about a config key, the file is stdin or JSON, or the key is not written
// in the file (a typo of a key is found, a missing required key is not).
func configPosition(path, problem string) string {
	m := configProblemRE.FindStringSubmatch(problem)
	if m == nil || path == "-" {
		return ""
	}
	group, err1 := strconv.Unquote(m[1])
	task, err2 := strconv.Unquote(m[2])
	if err1 != nil || err2 != nil {
		return ""
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return ""
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return ""
	}
	rng, ok := findConfigKey(body, group, task, m[3])
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", rng.Filename, rng.Start.Line, rng.Start.Column)
}

// findConfigKey walks job > group > task > config to the attribute or
// block named key.
func findConfigKey(body *hclsyntax.Body, group, task, key string) (hcl.Range, bool) {
	path := []struct{ typ, label string }{{"job", ""}, {"group", group}, {"task", task}, {"config", ""}}
	for _, step := range path {
		next := childBlock(body, step.typ, step.label)
		if next == nil {
			return hcl.Range{}, false
		}
		body = next.Body
	}
	if a, ok := body.Attributes[key]; ok {
		return a.NameRange, true
	}
	for _, b := range body.Blocks {
		if b.Type == key {
			return b.TypeRange, true
		}
	}
	return hcl.Range{}, false
}

// childBlock is the first block of typ (with the label, when label is not
// empty) in body.
func childBlock(body *hclsyntax.Body, typ, label string) *hclsyntax.Block {
	for _, b := range body.Blocks {
		if b.Type != typ {
			continue
		}
		if label == "" || len(b.Labels) > 0 && b.Labels[0] == label {
			return b
		}
	}
	return nil
}
