package agent

import (
	"slices"
	"strings"
	"testing"
)

func TestClientBridgeConfig(t *testing.T) {
	cases := []struct {
		name    string
		src     string
		want    ClientBridge
		errText string // substring of the positioned error
	}{
		{name: "defaults", src: `client { enabled = true }`},
		{name: "all set", src: `client {
  cni_path              = "/opt/cni/bin:/usr/local/cni"
  cni_config_dir        = "/etc/cni/net.d"
  bridge_network_name   = "br-jobs"
  bridge_network_subnet = "10.88.0.0/16"
}`, want: ClientBridge{CNIPath: []string{"/opt/cni/bin", "/usr/local/cni"}, CNIConfigDir: "/etc/cni/net.d", BridgeName: "br-jobs", BridgeSubnet: "10.88.0.0/16"}},
		{name: "relative cni_path", src: "client {\n  cni_path = \"cni/bin\"\n}", errText: `a.hcl:2:3: Invalid client.cni_path: "cni/bin" is not an absolute path.`},
		{name: "relative cni_config_dir", src: "client {\n  cni_config_dir = \"conf\"\n}", errText: "a.hcl:2:3: Invalid client.cni_config_dir"},
		{name: "bad subnet", src: "client {\n  bridge_network_subnet = \"172.26.64.0\"\n}", errText: "a.hcl:2:3: Invalid client.bridge_network_subnet"},
		{name: "long bridge name", src: "client {\n  bridge_network_name = \"a-very-long-bridge-name\"\n}", errText: "Invalid client.bridge_network_name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := ParseConfigFile(cfg, "a.hcl", []byte(tc.src))
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("ParseConfigFile() error = %v, want %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfigFile() error = %v", err)
			}
			got := cfg.Client.Bridge
			if !slices.Equal(got.CNIPath, tc.want.CNIPath) || got.CNIConfigDir != tc.want.CNIConfigDir ||
				got.BridgeName != tc.want.BridgeName || got.BridgeSubnet != tc.want.BridgeSubnet {
				t.Errorf("Client.Bridge = %+v, want %+v", got, tc.want)
			}
			for _, w := range cfg.Client.Warnings {
				if strings.Contains(w, "cni_") || strings.Contains(w, "bridge_network_name") || strings.Contains(w, "bridge_network_subnet ") {
					t.Errorf("warning for an implemented setting: %s", w)
				}
			}
		})
	}
}
