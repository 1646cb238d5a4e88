package exec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nomadlike/nomadlike/drivers"
)

// netIsolationModes are the network modes the exec driver supports: the
// host's network, or the namespace the client made for the allocation
// (the init joins it with setns before building the chroot).
var netIsolationModes = []string{drivers.NetIsolationHost, drivers.NetIsolationGroup}

// networkSetup returns the namespace the task joins ("" for the host's),
// the task's hostname and the binds of the allocation's /etc/hosts,
// /etc/hostname and /etc/resolv.conf (read-only).
func networkSetup(cfg *drivers.TaskConfig, ps *pluginSettings) (netns, hostname string, binds []bindMount, err error) {
	iso := cfg.NetworkIsolation
	if iso == nil || iso.Path == "" {
		return "", taskHostname(cfg), nil, nil
	}
	if !filepath.IsAbs(iso.Path) {
		return "", "", nil, fmt.Errorf("%w: network isolation path %q must be absolute", ErrInvalidConfig, iso.Path)
	}
	hostname = iso.Hostname
	if hostname == "" {
		hostname = taskHostname(cfg)
	}
	for _, f := range []struct{ src, dst string }{
		{iso.HostsPath, "/etc/hosts"}, {iso.HostnamePath, "/etc/hostname"}, {iso.ResolvConfPath, "/etc/resolv.conf"},
	} {
		if f.src == "" || !chrootHasRoomFor(ps, f.dst) {
			continue
		}
		if !filepath.IsAbs(f.src) {
			return "", "", nil, fmt.Errorf("%w: network file %q must be absolute", ErrInvalidConfig, f.src)
		}
		binds = append(binds, bindMount{Source: f.src, Target: f.dst, ReadOnly: true})
	}
	return iso.Path, hostname, binds, nil
}

// chrootHasRoomFor reports whether a file can be bound at target: a
// read-only chroot_env directory covering it must already have the file (a
// mount point cannot be created there).
func chrootHasRoomFor(ps *pluginSettings, target string) bool {
	for _, e := range ps.chrootEnv {
		rest, ok := strings.CutPrefix(target, strings.TrimSuffix(e.Dest, "/")+"/")
		if !ok {
			continue
		}
		fi, err := os.Stat(filepath.Join(e.Source, rest))
		return err == nil && fi.Mode().IsRegular()
	}
	return true
}
