package acl

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPolicy is matched (errors.Is) by every error Parse and Compile
// return for a bad policy.
var ErrInvalidPolicy = errors.New("invalid ACL policy")

// Diagnostic is one positioned problem in a policy.
type Diagnostic struct {
	// Filename is the policy name; Line and Column (1-based) locate the
	// start of the problem, 0 when it has no place in the source.
	Filename string
	Line     int
	Column   int
	Message  string
}

// String renders the diagnostic as "name:line:col: message".
func (d Diagnostic) String() string {
	if d.Line == 0 {
		return d.Filename + ": " + d.Message
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.Filename, d.Line, d.Column, d.Message)
}

// ParseError lists every problem Parse found, in source order.
type ParseError struct {
	Diagnostics []Diagnostic
}

func (e *ParseError) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Is matches ErrInvalidPolicy.
func (e *ParseError) Is(target error) bool { return target == ErrInvalidPolicy }
