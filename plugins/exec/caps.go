package exec

import (
	"fmt"
	"math/bits"
	"strings"
)

// capNames are the Linux capability names, indexed by capability number.
var capNames = []string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
	"setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
	"net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
	"sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
	"setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
}

// capSet is a set of capabilities as a bit mask (bit n = capability n).
type capSet uint64

// allCaps holds every capability this driver knows.
var allCaps = capSet(1)<<len(capNames) - 1

// parseCaps parses capability names: case-insensitive, with or without the
// "CAP_" prefix; "all" means every capability. Errors name the field.
func parseCaps(names []string, field string) (capSet, error) {
	var s capSet
	for i, n := range names {
		norm := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(n)), "cap_")
		if norm == "all" {
			s = allCaps
			continue
		}
		c, ok := capByName(norm)
		if !ok {
			return 0, fmt.Errorf("%w: %s[%d]: unknown capability %q", ErrInvalidConfig, field, i, n)
		}
		s |= 1 << c
	}
	return s, nil
}

func capByName(name string) (int, bool) {
	for i, n := range capNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

func (s capSet) has(c int) bool         { return s&(1<<c) != 0 }
func (s capSet) minus(o capSet) capSet  { return s &^ o }
func (s capSet) union(o capSet) capSet  { return s | o }
func (s capSet) empty() bool            { return s == 0 }
func (s capSet) count() int             { return bits.OnesCount64(uint64(s)) }
func (s capSet) words() (lo, hi uint32) { return uint32(s), uint32(s >> 32) }

// names lists the set's capability names in number order.
func (s capSet) names() []string {
	out := make([]string, 0, s.count())
	for i, n := range capNames {
		if s.has(i) {
			out = append(out, n)
		}
	}
	return out
}
