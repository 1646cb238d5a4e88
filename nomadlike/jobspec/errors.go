package jobspec

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// ErrInvalidJobFile is matched (errors.Is) by every *Error.
var ErrInvalidJobFile = errors.New("invalid job file")

// Diagnostic is one positioned problem in a job file.
type Diagnostic struct {
	// Filename, Line and Column locate the start of the problem; Line is 0
	// when the problem has no place in a file (a -var value, say).
	Filename string
	Line     int
	Column   int
	// Summary is a short title; Detail a sentence saying what to do.
	Summary string
	Detail  string
	// Path is the job field path for problems found by job.Validate.
	Path string
	// Range is the source range the problem covers.
	Range hcl.Range
}

// Message is the text of the diagnostic without its position.
func (d Diagnostic) Message() string {
	if d.Detail == "" {
		return d.Summary
	}
	return d.Summary + ": " + d.Detail
}

// String renders the diagnostic as "file:line:col: message".
func (d Diagnostic) String() string {
	if d.Line == 0 {
		if d.Filename != "" {
			return d.Filename + ": " + d.Message()
		}
		return d.Message()
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.Filename, d.Line, d.Column, d.Message())
}

// Error is every problem found while parsing one job file. errors.Is(err,
// ErrInvalidJobFile) is true for it, and errors.Is(err,
// nomadlike.ErrValidation) is true when job.Validate found problems.
type Error struct {
	Diagnostics []Diagnostic
	validation  bool
	sources     map[string][]byte
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Is matches ErrInvalidJobFile, and nomadlike.ErrValidation when the job
// failed validation.
func (e *Error) Is(target error) bool {
	return target == ErrInvalidJobFile || (e.validation && target == nomadlike.ErrValidation)
}

// WriteText writes each diagnostic as "file:line:col: message" followed by
// the source line with the problem underlined.
func (e *Error) WriteText(w io.Writer) error {
	return writeDiagnostics(w, e.Diagnostics, e.sources, "", "\n")
}

// writeDiagnostics writes each of diags as prefix, "file:line:col:
// message" and the source line with the place underlined; sep goes between
// two of them.
func writeDiagnostics(w io.Writer, diags []Diagnostic, sources map[string][]byte, prefix, sep string) error {
	var b strings.Builder
	for i, d := range diags {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(prefix + d.String() + "\n")
		b.WriteString(snippet(sources[d.Filename], d.Range))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// snippet renders the source line of rng with a caret line under the range.
func snippet(src []byte, rng hcl.Range) string {
	if src == nil || rng.Start.Line == 0 || rng.Start.Byte > len(src) {
		return ""
	}
	start := rng.Start.Byte
	lineStart := start
	for lineStart > 0 && src[lineStart-1] != '\n' {
		lineStart--
	}
	lineEnd := start
	for lineEnd < len(src) && src[lineEnd] != '\n' {
		lineEnd++
	}
	line := strings.TrimRight(string(src[lineStart:lineEnd]), "\r")
	end := rng.End.Byte
	if rng.End.Line != rng.Start.Line || end > lineStart+len(line) {
		end = lineStart + len(line)
	}
	var pad strings.Builder
	for _, r := range string(src[lineStart:start]) {
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	width := max(utf8.RuneCount(src[start:max(start, end)]), 1)
	num := fmt.Sprint(rng.Start.Line)
	gutter := strings.Repeat(" ", len(num))
	return fmt.Sprintf("  %s | %s\n  %s | %s%s\n", num, line, gutter, pad.String(), strings.Repeat("^", width))
}

// newError builds an *Error from hcl diagnostics (errors only), sorted by
// file and position so the output is stable.
func newError(diags hcl.Diagnostics, sources map[string][]byte) *Error {
	e := &Error{sources: sources, Diagnostics: diagnostics(diags, hcl.DiagError)}
	for _, d := range e.Diagnostics {
		if d.Path != "" {
			e.validation = true
		}
	}
	return e
}

// diagnostics converts the hcl diagnostics of severity sev, sorted by file
// and position so the output is stable.
func diagnostics(diags hcl.Diagnostics, sev hcl.DiagnosticSeverity) []Diagnostic {
	var out []Diagnostic
	for _, hd := range diags {
		if hd.Severity != sev {
			continue
		}
		d := Diagnostic{Summary: hd.Summary, Detail: hd.Detail}
		if hd.Subject != nil {
			d.Range = *hd.Subject
			d.Filename = hd.Subject.Filename
			d.Line = hd.Subject.Start.Line
			d.Column = hd.Subject.Start.Column
		}
		if p, ok := hd.Extra.(validationPath); ok {
			d.Path = string(p)
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}

// validationPath marks a diagnostic that came from job.Validate.
type validationPath string
