package agent

import (
	"strings"
	"testing"
)

func TestClientBridgeConfig(t *testing.T) {
	cases := []configCase[ClientBridge]{
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
	runConfigTable(t, configTable[ClientBridge]{
		field: "Client.Bridge",
		get:   func(c *Config) ClientBridge { return c.Client.Bridge },
		check: func(t *testing.T, cfg *Config) {
			for _, w := range cfg.Client.Warnings {
				if strings.Contains(w, "cni_") || strings.Contains(w, "bridge_network_name") || strings.Contains(w, "bridge_network_subnet ") {
					t.Errorf("warning for an implemented setting: %s", w)
				}
			}
		},
	}, cases)
}
