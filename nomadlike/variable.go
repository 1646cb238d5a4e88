package nomadlike

import (
	"encoding/json"

	"fmt"
	"regexp"
	"strings"
)

// Variable is a decrypted variable, with Nomad's JSON (api.Variable). The
// Lock fields of Nomad's variables (Lock, lock acquire/release) are left
// out: nomadlike has no variable locks. Times are unix nanoseconds.
type Variable struct {
	Namespace   string            `json:"Namespace"`
	Path        string            `json:"Path"`
	CreateIndex uint64            `json:"CreateIndex"`
	ModifyIndex uint64            `json:"ModifyIndex"`
	CreateTime  int64             `json:"CreateTime"`
	ModifyTime  int64             `json:"ModifyTime"`
	Items       map[string]string `json:"Items"`
}

// VariableMetadata is a variable without its items (api.VariableMetadata):
// what GET /v1/vars lists.
type VariableMetadata struct {
	Namespace   string `json:"Namespace"`
	Path        string `json:"Path"`
	CreateIndex uint64 `json:"CreateIndex"`
	ModifyIndex uint64 `json:"ModifyIndex"`
	CreateTime  int64  `json:"CreateTime"`
	ModifyTime  int64  `json:"ModifyTime"`
}

// Metadata returns v's metadata.
func (v *Variable) Metadata() VariableMetadata {
	return VariableMetadata{Namespace: v.Namespace, Path: v.Path, CreateIndex: v.CreateIndex,
		ModifyIndex: v.ModifyIndex, CreateTime: v.CreateTime, ModifyTime: v.ModifyTime}
}

// VariableEncrypted is how a variable is stored (state table, Raft log,
// snapshots): metadata in clear, the items sealed with AES-256-GCM under
// the root key KeyID, bound to the namespace and path (see
// VariableAAD). It never holds a plaintext item.
type VariableEncrypted struct {
	Namespace   string `json:"Namespace"`
	Path        string `json:"Path"`
	CreateIndex uint64 `json:"CreateIndex"`
	ModifyIndex uint64 `json:"ModifyIndex"`
	CreateTime  int64  `json:"CreateTime"`
	ModifyTime  int64  `json:"ModifyTime"`
	KeyID       string `json:"KeyID"`
	Data        []byte `json:"Data"`
}

// Metadata returns v's metadata.
func (v *VariableEncrypted) Metadata() VariableMetadata {
	return VariableMetadata{Namespace: v.Namespace, Path: v.Path, CreateIndex: v.CreateIndex,
		ModifyIndex: v.ModifyIndex, CreateTime: v.CreateTime, ModifyTime: v.ModifyTime}
}

// VariableAAD is the additional data a variable's items are sealed with,
// so a ciphertext moved to another path does not open.
func VariableAAD(ns, path string) []byte { return []byte(ns + "\x00" + path) }

// Variable limits.
const (
	// MaxVariableSize caps the JSON of a variable's items (64 KiB, as
	// Nomad's limit).
	MaxVariableSize = 64 << 10
	// MaxVariablePathLen caps a path (128, as Nomad).
	MaxVariablePathLen = 128
	// MaxVariableBodySize caps a PUT /v1/var body: the items' JSON with
	// room for escaping and metadata.
	MaxVariableBodySize = 4 * MaxVariableSize
)

var validVariablePath = regexp.MustCompile(`^[a-zA-Z0-9\-_~/]+$`)

// ValidateVariablePath checks a path as Nomad does: 1..128 characters of
// letters, digits, "-", "_", "~" and "/", no empty segment, and under the
// reserved prefix "nomad/" only "nomad/jobs" and "nomad/jobs/...". The
// error wraps ErrValidation and names field.
func ValidateVariablePath(field, path string) error {
	bad := func(format string, a ...any) error {
		return &ValidationError{Errors: []FieldError{{Path: field, Message: fmt.Sprintf(format, a...)}}}
	}
	switch {
	case path == "":
		return bad("a variable requires a path")
	case len(path) > MaxVariablePathLen:
		return bad("%d characters; at most %d", len(path), MaxVariablePathLen)
	case !validVariablePath.MatchString(path):
		return bad("%q: only letters, digits, '-', '_', '~' and '/' are allowed", path)
	case strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") || strings.Contains(path, "//"):
		return bad("%q: empty path segment (leading, trailing or double '/')", path)
	}
	if path == "nomad" || strings.HasPrefix(path, "nomad/") {
		if path != "nomad/jobs" && !strings.HasPrefix(path, "nomad/jobs/") {
			return bad("%q: \"nomad/\" is reserved; only nomad/jobs and nomad/jobs/... may be written", path)
		}
	}
	return nil
}

// ValidateVariable checks a variable to write: its path, at least one
// item, no empty item key, and the items' JSON within MaxVariableSize.
func ValidateVariable(v *Variable) error {
	if err := ValidateVariablePath("Path", v.Path); err != nil {
		return err
	}
	bad := func(field, format string, a ...any) error {
		return &ValidationError{Errors: []FieldError{{Path: field, Message: fmt.Sprintf(format, a...)}}}
	}
	if len(v.Items) == 0 {
		return bad("Items", "a variable needs at least one item")
	}
	for k := range v.Items {
		if k == "" {
			return bad("Items", "an item key is empty")
		}
	}
	raw, err := json.Marshal(v.Items)
	if err != nil {
		return bad("Items", "%v", err)
	}
	if len(raw) > MaxVariableSize {
		return bad("Items", "%d bytes encoded; a variable holds at most %d bytes (64 KiB)", len(raw), MaxVariableSize)
	}
	return nil
}

// VariableConflictError is a failed check-and-set: Current is the variable
// at the path (nil: none). It matches ErrConflict.
type VariableConflictError struct {
	Current *Variable
}

func (e *VariableConflictError) Error() string {
	if e.Current == nil {
		return "check-and-set conflict: the variable does not exist"
	}
	return fmt.Sprintf("check-and-set conflict: the variable's ModifyIndex is %d", e.Current.ModifyIndex)
}

// Is makes the error match ErrConflict.
func (e *VariableConflictError) Is(target error) bool { return target == ErrConflict }
