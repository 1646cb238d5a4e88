package schema

import (
	"errors"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every config problem Decode and Check
// report.
var ErrInvalid = errors.New("invalid config")

// FieldError is one problem of a config, at a field path
// ("config.mounts[0].target").
type FieldError struct {
	Path    string `json:"Path"`
	Problem string `json:"Problem"`
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Problem }

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Errors is every problem of one config, sorted by path.
type Errors []*FieldError

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the field errors, for errors.Is and errors.As.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, fe := range e {
		out[i] = fe
	}
	return out
}
