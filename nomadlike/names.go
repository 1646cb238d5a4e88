package nomadlike

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rules for IDs and names. They end up as directory and file names on
// clients (a task's name is its directory under the allocation
// directory, and names its log files), in environment variables, and on
// operators' terminals, so a name may not carry what would steer a path
// or a terminal: control characters (ESC, CR, NUL...), format characters
// (the bidi overrides such as U+202E), line and paragraph separators,
// invalid UTF-8, slashes or backslashes, or be "." or "..".

// MaxNameLength is the longest ID or name, in bytes.
const MaxNameLength = 128

// nameRule is what one kind of name allows on top of the common rules.
type nameRule struct {
	// spaces allows ' ' (job IDs have none, as in Nomad).
	spaces bool
	// slashes allows '/' (job names, which children take from their ID).
	slashes bool
	// max is the longest value in bytes.
	max int
}

var (
	// idRule: job IDs and the parts of an ID.
	idRule = nameRule{max: MaxNameLength}
	// labelRule: group and task names, regions, datacenters.
	labelRule = nameRule{spaces: true, max: MaxNameLength}
	// jobNameRule: a child's Name is its ID, "<parent>/dispatch-...".
	jobNameRule = nameRule{spaces: true, slashes: true, max: 2 * MaxNameLength}
)

// namespaceProblem follows Nomad: letters, digits and dashes, 1 to 128.
func namespaceProblem(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > MaxNameLength {
		return fmt.Sprintf("is %d bytes long, more than %d", len(s), MaxNameLength)
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Sprintf("contains %s at byte %d; a namespace has only letters, digits and dashes", describeRune(r), i)
		}
	}
	return ""
}

// nameProblem says why s breaks rule, or "" when it does not.
func nameProblem(s string, rule nameRule) string {
	switch {
	case s == "":
		return "must not be empty"
	case s == "." || s == "..":
		return fmt.Sprintf("must not be %q", s)
	case len(s) > rule.max:
		return fmt.Sprintf("is %d bytes long, more than %d", len(s), rule.max)
	}
	for i, r := range s {
		if p := runeProblem(s, i, r); p != "" {
			return p
		}
		switch {
		case r == ' ' && !rule.spaces:
			return fmt.Sprintf("contains a space at byte %d", i)
		case r == '/' && !rule.slashes, r == '\\':
			return fmt.Sprintf("contains %q at byte %d; it is used as a file name", r, i)
		}
	}
	return ""
}

// textProblem says why s may not be shown on a terminal or put in an
// environment variable name (meta keys), or "".
func textProblem(s string) string {
	for i, r := range s {
		if p := runeProblem(s, i, r); p != "" {
			return p
		}
	}
	return ""
}

// runeProblem checks the rune r found at byte i of s.
func runeProblem(s string, i int, r rune) string {
	if r == utf8.RuneError {
		if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
			return fmt.Sprintf("is not valid UTF-8 at byte %d", i)
		}
	}
	if UnsafeRune(r) {
		return fmt.Sprintf("contains %s at byte %d", describeRune(r), i)
	}
	return ""
}

// UnsafeRune reports whether r must not be printed raw to a terminal: a
// control character (Cc: C0, DEL, C1), a format character (Cf: bidi
// overrides and isolates, zero-width joiners, BOM...), or a line or
// paragraph separator. The CLI escapes these in its human output.
func UnsafeRune(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}

func describeRune(r rune) string {
	switch {
	case unicode.Is(unicode.Cc, r):
		return fmt.Sprintf("control character U+%04X", r)
	case unicode.Is(unicode.Cf, r):
		return fmt.Sprintf("format character U+%04X", r)
	case UnsafeRune(r):
		return fmt.Sprintf("separator U+%04X", r)
	case unicode.IsPrint(r):
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("U+%04X", r)
}

// pathKey is how a field path names the i-th element called name: by name
// when it is a good one, else by index, so that an error never carries the
// characters it complains about.
func pathKey(name string, i int) string {
	if nameProblem(name, labelRule) != "" {
		return fmt.Sprint(i)
	}
	return name
}

// checkName fails field of v when s breaks rule.
func checkName(v validator, field, s string, rule nameRule) {
	if p := nameProblem(s, rule); p != "" {
		v.fail(field, "%s", p)
	}
}

// checkJobID checks a job's ID. A child (dispatched or periodic) has
// "<parent>/<suffix>", each part following the rule of an ID.
func checkJobID(v validator, j *Job) {
	if j.ParentID != "" {
		if suffix, ok := strings.CutPrefix(j.ID, j.ParentID+"/"); ok {
			checkName(v, "ParentID", j.ParentID, idRule)
			if p := nameProblem(suffix, idRule); p != "" {
				v.fail("ID", "the part after %q %s", j.ParentID+"/", p)
			}
			return
		}
	}
	checkName(v, "ID", j.ID, idRule)
}

// checkMetaKeys fails each key of meta that is empty, contains '=' (it
// becomes an environment variable name) or a character UnsafeRune refuses.
func checkMetaKeys(v validator, field string, meta map[string]string) {
	for _, k := range sortedKeys(meta) {
		kv := v.item(field, fmt.Sprintf("%q", k))
		switch {
		case k == "":
			kv.fail("", "key must not be empty")
		case strings.Contains(k, "="):
			kv.fail("", "key contains '='; keys become environment variable names")
		default:
			if p := textProblem(k); p != "" {
				kv.fail("", "key %s", p)
			}
		}
	}
}

// ErrBadName is what CheckName's errors wrap.
var ErrBadName = errors.New("bad name")

// CheckName checks a name that becomes a path element or is shown on
// terminals (node name, region, datacenter): not empty, not "." or "..",
// at most MaxNameLength bytes, valid UTF-8, no control or format
// characters, no '/' or '\'. The error wraps ErrBadName.
func CheckName(s string) error {
	if p := nameProblem(s, labelRule); p != "" {
		return fmt.Errorf("%w: %s", ErrBadName, p)
	}
	return nil
}
