package containerd

import (
	"context"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/nomadlike/nomadlike/drivers"
)

func TestNetworkOpts(t *testing.T) {
	iso := &drivers.NetworkIsolation{Mode: "bridge", Path: "/var/run/netns/a1", Hostname: "web-0",
		HostsPath: "/d/hosts", ResolvConfPath: "/d/resolv.conf", HostnamePath: "/d/hostname"}
	cases := []struct {
		name      string
		iso       *drivers.NetworkIsolation
		tc        TaskConfig
		hostsFile string
		netns     string
		hostname  string
		mounts    []string // destinations
		errText   string
	}{
		{name: "host mode adds nothing"},
		{name: "bridge", iso: iso, netns: "/var/run/netns/a1", hostname: "web-0", mounts: []string{"/etc/hosts", "/etc/resolv.conf", "/etc/hostname"}},
		{name: "task hostname and extra_hosts win", iso: iso, tc: TaskConfig{Hostname: "mine"}, hostsFile: "/t/hosts",
			netns: "/var/run/netns/a1", mounts: []string{"/etc/resolv.conf", "/etc/hostname"}},
		{name: "host_network refused", iso: iso, tc: TaskConfig{HostNetwork: true}, errText: "config.host_network"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := networkOpts(&drivers.TaskConfig{NetworkIsolation: tc.iso}, &tc.tc, tc.hostsFile)
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("networkOpts() error = %v, want %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := &specs.Spec{Linux: &specs.Linux{}}
			for _, o := range opts {
				if err := o(context.Background(), nil, nil, s); err != nil {
					t.Fatal(err)
				}
			}
			netns := ""
			for _, ns := range s.Linux.Namespaces {
				if ns.Type == specs.NetworkNamespace {
					netns = ns.Path
				}
			}
			var mounts []string
			for _, m := range s.Mounts {
				mounts = append(mounts, m.Destination)
			}
			if netns != tc.netns || s.Hostname != tc.hostname || strings.Join(mounts, ",") != strings.Join(tc.mounts, ",") {
				t.Errorf("spec: netns %q hostname %q mounts %v; want %q %q %v", netns, s.Hostname, mounts, tc.netns, tc.hostname, tc.mounts)
			}
		})
	}
}
