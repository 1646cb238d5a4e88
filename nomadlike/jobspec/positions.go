package jobspec

import (
	"errors"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// addValidation turns the problems job.Validate found into diagnostics
// placed at the attribute they name, or else the nearest enclosing block.
func (p *parser) addValidation(err error) {
	var ve *nomadlike.ValidationError
	if !errors.As(err, &ve) {
		p.errorAt(p.jobRange, "Invalid job", "%s", err)
		return
	}
	for _, fe := range ve.Errors {
		rng := p.rangeOf(fe.Path)
		p.diags = append(p.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fe.String(),
			Subject:  &rng,
			Extra:    validationPath(fe.Path),
		})
	}
}

// rangeOf returns the source range recorded for a field path such as
// "TaskGroups[web].Tasks[app].Driver", trying shorter prefixes until one
// was recorded; the job block is the last resort.
func (p *parser) rangeOf(path string) hcl.Range {
	for {
		if r, ok := p.ranges[path]; ok {
			return r
		}
		if path == "" {
			return p.jobRange
		}
		path = parentPath(path)
	}
}

// parentPath drops the last ".Field" or "[key]" of a path, reading keys in
// brackets as opaque (a key may hold dots).
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		depth := 0
		for i := len(path) - 1; i >= 0; i-- {
			switch path[i] {
			case ']':
				depth++
			case '[':
				depth--
				if depth == 0 {
					return path[:i]
				}
			}
		}
		return ""
	}
	depth := 0
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case ']':
			depth++
		case '[':
			depth--
		case '.':
			if depth == 0 {
				return path[:i]
			}
		}
	}
	return ""
}
