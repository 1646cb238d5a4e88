package exec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
)

func TestNetworkSetup(t *testing.T) {
	dir := t.TempDir()
	hostEtc := filepath.Join(dir, "etc")
	if err := os.MkdirAll(hostEtc, 0o755); err != nil {
		t.Fatal(err)
	}
	// The chroot's /etc (from chroot_env) has hosts but no resolv.conf.
	if err := os.WriteFile(filepath.Join(hostEtc, "hosts"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ps := &pluginSettings{chrootEnv: []chrootEntry{{Source: hostEtc, Dest: "/etc"}}}
	files := &drivers.NetworkIsolation{Mode: "bridge", Path: "/var/run/netns/a1", Hostname: "web-0",
		HostsPath: "/data/a1/network/hosts", ResolvConfPath: "/data/a1/network/resolv.conf"}
	cases := []struct {
		name     string
		iso      *drivers.NetworkIsolation
		ps       *pluginSettings
		netns    string
		hostname string
		binds    []bindMount
		err      error
	}{
		{name: "host network", ps: ps, hostname: "a1b2c3d4"},
		{name: "bridge", iso: files, ps: &pluginSettings{}, netns: "/var/run/netns/a1", hostname: "web-0", binds: []bindMount{
			{Source: "/data/a1/network/hosts", Target: "/etc/hosts", ReadOnly: true},
			{Source: "/data/a1/network/resolv.conf", Target: "/etc/resolv.conf", ReadOnly: true},
		}},
		{name: "read-only chroot /etc without the file", iso: files, ps: ps, netns: "/var/run/netns/a1", hostname: "web-0", binds: []bindMount{
			{Source: "/data/a1/network/hosts", Target: "/etc/hosts", ReadOnly: true},
		}},
		{name: "default hostname", iso: &drivers.NetworkIsolation{Mode: "none", Path: "/run/netns/a1"}, ps: ps, netns: "/run/netns/a1", hostname: "a1b2c3d4"},
		{name: "relative netns", iso: &drivers.NetworkIsolation{Mode: "bridge", Path: "netns/a1"}, ps: ps, err: ErrInvalidConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &drivers.TaskConfig{AllocID: "a1b2c3d4-0000", Name: "web", NetworkIsolation: tc.iso}
			netns, hostname, binds, err := networkSetup(cfg, tc.ps)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("networkSetup() error = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || netns != tc.netns || hostname != tc.hostname || len(binds) != len(tc.binds) {
				t.Fatalf("networkSetup() = %q, %q, %+v, %v; want %q, %q, %+v", netns, hostname, binds, err, tc.netns, tc.hostname, tc.binds)
			}
			for i := range binds {
				if binds[i] != tc.binds[i] {
					t.Errorf("bind %d = %+v, want %+v", i, binds[i], tc.binds[i])
				}
			}
		})
	}
}
