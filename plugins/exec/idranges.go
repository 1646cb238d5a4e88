package exec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUserDenied is returned by StartTask when the task's user, or one of its
// groups, is in the plugin's denied_host_uids or denied_host_gids.
var ErrUserDenied = errors.New("task user is denied by the exec plugin config")

// defaultDeniedIDs is the denylist of uids and of gids when the plugin config
// does not set one: root and the root group. Nomad's default is empty; an
// operator who wants root tasks sets denied_host_uids = "" (and
// denied_host_gids = "").
const defaultDeniedIDs = "0"

// idRange is an inclusive range of uids or gids.
type idRange struct{ lo, hi uint32 }

// idRanges is a set of uids or gids, as Nomad's denied_host_uids: a
// comma-separated list of ids and inclusive "lo-hi" ranges.
type idRanges struct {
	spec   string // the setting, trimmed, for messages
	ranges []idRange
}

// parseIDRanges parses "0,10-15" (spaces around elements are allowed; empty
// means no ids). Errors name field.
func parseIDRanges(s, field string) (idRanges, error) {
	out := idRanges{spec: strings.TrimSpace(s)}
	if out.spec == "" {
		return out, nil
	}
	for i, elem := range strings.Split(out.spec, ",") {
		elem = strings.TrimSpace(elem)
		loStr, hiStr, isRange := strings.Cut(elem, "-")
		lo, err := parseID(loStr)
		if err != nil {
			return idRanges{}, fmt.Errorf("%w: %s: element %d %q: %w", ErrInvalidConfig, field, i, elem, err)
		}
		hi := lo
		if isRange {
			if hi, err = parseID(hiStr); err != nil {
				return idRanges{}, fmt.Errorf("%w: %s: element %d %q: %w", ErrInvalidConfig, field, i, elem, err)
			}
			if hi < lo {
				return idRanges{}, fmt.Errorf("%w: %s: element %d %q: range end is below its start", ErrInvalidConfig, field, i, elem)
			}
		}
		out.ranges = append(out.ranges, idRange{lo: lo, hi: hi})
	}
	return out, nil
}

func parseID(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("want an id or a range \"lo-hi\"")
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a uid/gid (0 to 4294967295)", s)
	}
	return uint32(n), nil
}

// contains reports whether id is in the set.
func (r idRanges) contains(id int) bool {
	if id < 0 || int64(id) > int64(^uint32(0)) {
		return false
	}
	for _, rg := range r.ranges {
		if uint32(id) >= rg.lo && uint32(id) <= rg.hi {
			return true
		}
	}
	return false
}

// checkUserAllowed refuses a task user whose uid is in deniedUIDs, or whose
// primary or supplementary group is in deniedGIDs.
func checkUserAllowed(c credential, ps *pluginSettings) error {
	if ps.deniedUIDs.contains(c.uid) {
		return fmt.Errorf("%w: user: %q has uid %d, which the plugin's denied_host_uids (%q) refuses; run the task as another user, or change denied_host_uids in the agent's plugin \"exec\" config",
			ErrUserDenied, c.name, c.uid, ps.deniedUIDs.spec)
	}
	for _, g := range c.groups {
		if ps.deniedGIDs.contains(g) {
			return fmt.Errorf("%w: user: %q is in group %d, which the plugin's denied_host_gids (%q) refuses; run the task as another user, or change denied_host_gids in the agent's plugin \"exec\" config",
				ErrUserDenied, c.name, g, ps.deniedGIDs.spec)
		}
	}
	return nil
}
