package exec

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/nomadlike/nomadlike/plugins/exec/execinit"
)

// Device numbers of the pseudo-terminal devices a task may use: its devpts's
// ptmx and the terminals it opens there (Unix98 PTY slaves).
const (
	ptmxMajor, ptmxMinor = 5, 2
	ptsMajor             = 136

	anyDevice = -1
)

// taskDeviceRules is the device cgroup of every task: deny every device,
// then allow read, write and mknod of the nodes the init puts in /dev and of
// the task's pseudo-terminals. The last matching rule wins. Block devices
// and every other character device (disks, /dev/mem, /dev/kmsg, ...) can be
// neither created nor opened, even by a root task with CAP_MKNOD. As
// libcontainer's default allow-list, without its "mknod any device" rules.
func taskDeviceRules() []specs.LinuxDeviceCgroup {
	// Both libraries want a number for major and minor; -1 is "any".
	rule := func(allow bool, typ string, major, minor int64) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Major: &major, Minor: &minor, Access: "rwm"}
	}
	rules := []specs.LinuxDeviceCgroup{rule(false, "a", anyDevice, anyDevice)}
	for _, n := range execinit.DevNodes {
		rules = append(rules, rule(true, "c", int64(n.Major), int64(n.Minor)))
	}
	return append(rules, rule(true, "c", ptmxMajor, ptmxMinor), rule(true, "c", ptsMajor, anyDevice))
}
