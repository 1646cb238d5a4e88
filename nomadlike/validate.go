package nomadlike

import (
	"fmt"
	"sort"
	"strings"
)

// FieldError is one problem found by Validate, located by a field path such as
// "TaskGroups[web].Tasks[app].Resources.MemoryMB".
type FieldError struct {
	Path    string
	Message string
}

func (e FieldError) String() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// ValidationError carries every problem Validate found, in the order found.
// errors.Is(err, ErrValidation) is true for it.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.String()
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d problems:\n  * %s", len(lines), strings.Join(lines, "\n  * "))
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// validator collects field errors under a path prefix.
type validator struct {
	errs *[]FieldError
	path string
}

func newValidator() validator {
	return validator{errs: &[]FieldError{}}
}

// at returns a validator for a nested field.
func (v validator) at(field string) validator {
	p := field
	if v.path != "" {
		if strings.HasPrefix(field, "[") {
			p = v.path + field
		} else {
			p = v.path + "." + field
		}
	}
	return validator{errs: v.errs, path: p}
}

// item returns a validator for an element of a list or map named key.
func (v validator) item(field, key string) validator {
	return v.at(fmt.Sprintf("%s[%s]", field, key))
}

func (v validator) fail(field, format string, args ...any) {
	p := v.path
	if field != "" {
		p = v.at(field).path
	}
	*v.errs = append(*v.errs, FieldError{Path: p, Message: fmt.Sprintf(format, args...)})
}

func (v validator) err() error {
	if len(*v.errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: *v.errs}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
