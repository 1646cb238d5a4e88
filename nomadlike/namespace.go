package nomadlike

import (
	"fmt"
	"maps"
	"regexp"
	"strconv"
)

// AllNamespaces, as the namespace of a list query, lists the objects of
// every namespace (Nomad's "*").
const AllNamespaces = "*"

// DefaultNamespaceDescription describes the built-in default namespace.
const DefaultNamespaceDescription = "Default shared namespace"

// Limits of a namespace's fields, as Nomad's.
const (
	MaxNamespaceDescription = 256
	MaxNamespaceMetaKeys    = 64
)

// ErrNamespaceNotFound is returned when a name names no namespace; it
// matches ErrNotFound too.
var ErrNamespaceNotFound = fmt.Errorf("namespace %w", ErrNotFound)

// namespaceName is Nomad's rule for namespace names.
var namespaceName = regexp.MustCompile(`^[a-zA-Z0-9-]{1,128}$`)

// Namespace partitions jobs (and their evaluations and allocations): two
// namespaces may each have a job "web". The default namespace always exists
// and cannot be deleted. Quota is stored and shown but not enforced
// (quotas are a Nomad Enterprise feature that nomadlike does not have).
type Namespace struct {
	Name        string            `json:"Name"`
	Description string            `json:"Description"`
	Quota       string            `json:"Quota"`
	Meta        map[string]string `json:"Meta"`
	CreateIndex uint64            `json:"CreateIndex"`
	ModifyIndex uint64            `json:"ModifyIndex"`
}

// DefaultNamespaceObject returns the built-in default namespace as it reads
// when nobody wrote it (indexes 1).
func DefaultNamespaceObject() *Namespace {
	return &Namespace{Name: DefaultNamespace, Description: DefaultNamespaceDescription, CreateIndex: 1, ModifyIndex: 1}
}

// ValidNamespaceName reports whether name is a namespace name Nomad would
// accept: 1 to 128 letters, digits and dashes.
func ValidNamespaceName(name string) bool { return namespaceName.MatchString(name) }

// Validate checks the namespace's fields; every problem found is in the
// returned *ValidationError, by field path (Name, Description, Meta[key]).
func (n *Namespace) Validate() error {
	v := newValidator()
	if n == nil {
		v.fail("", "no namespace")
		return v.err()
	}
	if !ValidNamespaceName(n.Name) {
		v.fail("Name", "%s is not a valid namespace name: use 1 to 128 letters, digits and dashes", quoteName(n.Name))
	}
	if len(n.Description) > MaxNamespaceDescription {
		v.fail("Description", "is %d bytes long; at most %d are allowed", len(n.Description), MaxNamespaceDescription)
	}
	if len(n.Meta) > MaxNamespaceMetaKeys {
		v.fail("Meta", "has %d keys; at most %d are allowed", len(n.Meta), MaxNamespaceMetaKeys)
	}
	for _, k := range sortedKeys(n.Meta) {
		if k == "" {
			v.fail("Meta", "a key is empty")
		}
	}
	return v.err()
}

// Copy returns a deep copy.
func (n *Namespace) Copy() *Namespace {
	if n == nil {
		return nil
	}
	c := *n
	c.Meta = maps.Clone(n.Meta)
	return &c
}

// NamespaceMissingError is the validation error of a job (or request) that
// names a namespace that does not exist, at field path (Job.Namespace).
func NamespaceMissingError(path, ns string) error {
	msg := fmt.Sprintf("namespace %s does not exist", quoteName(ns))
	if ValidNamespaceName(ns) {
		msg += fmt.Sprintf(" (create it with: nomadlike namespace apply %s)", ns)
	}
	return &ValidationError{Errors: []FieldError{{Path: path, Message: msg}}}
}

// ValidateNamespaces validates each namespace; the paths of the problems
// found start with Namespaces[i].
func ValidateNamespaces(namespaces []*Namespace) error {
	var errs []FieldError
	for i, ns := range namespaces {
		err := ns.Validate()
		if err == nil {
			continue
		}
		for _, fe := range err.(*ValidationError).Errors {
			errs = append(errs, FieldError{Path: fmt.Sprintf("Namespaces[%d].%s", i, fe.Path), Message: fe.Message})
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs}
	}
	return nil
}

// quoteName quotes a name for a message, cut to 130 bytes so that an error
// never echoes a huge input.
func quoteName(s string) string {
	const max = 130
	if len(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:max]) + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
