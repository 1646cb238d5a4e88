package nomadlike

import (
	"regexp"
	"strconv"
	"strings"
)

func validateOperandTarget(v validator, operand, rtarget string) {
	switch operand {
	case ConstraintRegex:
		if _, err := regexp.Compile(rtarget); err != nil {
			v.fail("RTarget", "invalid regular expression: %v", err)
		}
	case ConstraintVersion, ConstraintSemver:
		if _, err := ParseVersionConstraint(rtarget); err != nil {
			v.fail("RTarget", "%v", err)
		}
	case ConstraintSetContains, ConstraintSetContainsAll, ConstraintSetContainsAny:
		if strings.TrimSpace(rtarget) == "" {
			v.fail("RTarget", "%s needs a comma-separated list of values", operand)
		}
	}
}

// Version is a parsed dotted version with an optional pre-release.
type Version struct {
	Segments   []int64
	Prerelease string
}

// ParseVersion parses versions like "1.2.3", "v4.19.0-1-amd64" or "1.2.0-beta.1".
// Build metadata after "+" is ignored.
func ParseVersion(s string) (Version, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "v"))
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	var v Version
	if i := strings.IndexByte(s, '-'); i >= 0 {
		v.Prerelease = s[i+1:]
		s = s[:i]
	}
	if s == "" {
		return v, &versionError{s}
	}
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil || n < 0 {
			return v, &versionError{s}
		}
		v.Segments = append(v.Segments, n)
	}
	return v, nil
}

type versionError struct{ s string }

func (e *versionError) Error() string { return "invalid version " + strconv.Quote(e.s) }

// Compare returns -1, 0 or 1. Missing segments count as 0; a pre-release sorts
// before the release.
func (a Version) Compare(b Version) int {
	n := max(len(a.Segments), len(b.Segments))
	for i := range n {
		var x, y int64
		if i < len(a.Segments) {
			x = a.Segments[i]
		}
		if i < len(b.Segments) {
			y = b.Segments[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.Prerelease == b.Prerelease:
		return 0
	case a.Prerelease == "":
		return 1
	case b.Prerelease == "":
		return -1
	case a.Prerelease < b.Prerelease:
		return -1
	}
	return 1
}

// VersionConstraint is a comma-separated list of "op version" terms, all of
// which must hold: ">= 1.2, < 2.0", "~> 1.4", "= 3".
type VersionConstraint struct {
	terms []versionTerm
}

type versionTerm struct {
	op string
	v  Version
}

// ParseVersionConstraint parses a version constraint.
func ParseVersionConstraint(s string) (*VersionConstraint, error) {
	vc := &VersionConstraint{}
	for _, raw := range strings.Split(s, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil, &versionError{s}
		}
		op := "="
		for _, cand := range []string{">=", "<=", "!=", "~>", "=", ">", "<"} {
			if strings.HasPrefix(raw, cand) {
				op = cand
				raw = strings.TrimSpace(raw[len(cand):])
				break
			}
		}
		v, err := ParseVersion(raw)
		if err != nil {
			return nil, err
		}
		vc.terms = append(vc.terms, versionTerm{op: op, v: v})
	}
	return vc, nil
}

// Check reports whether version v satisfies every term.
func (vc *VersionConstraint) Check(v Version) bool {
	for _, t := range vc.terms {
		c := v.Compare(t.v)
		ok := false
		switch t.op {
		case "=":
			ok = c == 0
		case "!=":
			ok = c != 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		case "~>":
			// Pessimistic: >= t.v and below the next increment of the
			// second-to-last given segment.
			if c < 0 {
				break
			}
			n := len(t.v.Segments)
			if n < 2 {
				ok = true
				break
			}
			upper := Version{Segments: append([]int64(nil), t.v.Segments[:n-1]...)}
			upper.Segments[n-2]++
			ok = Version{Segments: v.Segments}.Compare(upper) < 0
		}
		if !ok {
			return false
		}
	}
	return true
}
