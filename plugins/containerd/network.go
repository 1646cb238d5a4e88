package containerd

import (
	"fmt"

	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/nomadlike/nomadlike/drivers"
)

// netIsolationModes are the network modes the containerd driver supports:
// the host's network (host_network), or the namespace the client made for
// the allocation, named in the OCI spec.
var netIsolationModes = []string{drivers.NetIsolationHost, drivers.NetIsolationGroup}

// networkOpts joins the container to the allocation's network namespace,
// names it after the allocation's hostname (unless the task sets one) and
// binds the allocation's /etc/hosts (unless extra_hosts made one) and
// /etc/resolv.conf read-only.
func networkOpts(cfg *drivers.TaskConfig, tc *TaskConfig, hostsFile string) ([]oci.SpecOpts, error) {
	iso := cfg.NetworkIsolation
	if iso == nil || iso.Path == "" {
		return nil, nil
	}
	if tc.HostNetwork {
		return nil, fmt.Errorf("config.host_network: the group's network mode is %q; a task of it cannot use the host's network", iso.Mode)
	}
	opts := []oci.SpecOpts{oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: iso.Path})}
	if tc.Hostname == "" && iso.Hostname != "" {
		opts = append(opts, oci.WithHostname(iso.Hostname))
	}
	var mounts []specs.Mount
	ro := []string{"rbind", "rprivate", "ro"}
	if hostsFile == "" && iso.HostsPath != "" {
		mounts = append(mounts, specs.Mount{Type: "bind", Source: iso.HostsPath, Destination: "/etc/hosts", Options: ro})
	}
	if iso.ResolvConfPath != "" {
		mounts = append(mounts, specs.Mount{Type: "bind", Source: iso.ResolvConfPath, Destination: "/etc/resolv.conf", Options: ro})
	}
	if iso.HostnamePath != "" {
		mounts = append(mounts, specs.Mount{Type: "bind", Source: iso.HostnamePath, Destination: "/etc/hostname", Options: ro})
	}
	if len(mounts) > 0 {
		opts = append(opts, oci.WithMounts(mounts))
	}
	return opts, nil
}
