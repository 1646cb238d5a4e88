package agent

import (
	"fmt"
	"net"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike/client/network"
)

// ClientBridge is the client's bridge networking configuration; zero
// values take client/network's defaults.
type ClientBridge struct {
	// CNIPath (cni_path, colon-separated) lists the directories searched
	// for CNI plugins: /usr/lib/cni then /opt/cni/bin by default.
	CNIPath []string
	// CNIConfigDir (cni_config_dir) holds the conflists of mode "cni/NAME":
	// /opt/cni/config by default.
	CNIConfigDir string
	// BridgeName (bridge_network_name) and BridgeSubnet
	// (bridge_network_subnet) shape bridge mode's network: "nomad" and
	// 172.26.64.0/20 by default.
	BridgeName   string
	BridgeSubnet string
}

// applyClientBridge checks and applies the bridge networking settings.
func applyClientBridge(dst *ClientConfig, c *fileClient) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if c.CNIPath != nil {
		dirs := network.SplitCNIPath(*c.CNIPath)
		for _, d := range dirs {
			if !filepath.IsAbs(d) {
				diags = append(diags, diagAt(c.CNIPathRange, "Invalid client.cni_path", fmt.Sprintf("%q is not an absolute path.", d)))
			}
		}
		dst.Bridge.CNIPath = dirs
	}
	if c.CNIConfigDir != nil {
		if !filepath.IsAbs(*c.CNIConfigDir) {
			diags = append(diags, diagAt(c.CNIConfigDirRange, "Invalid client.cni_config_dir", fmt.Sprintf("%q is not an absolute path.", *c.CNIConfigDir)))
		}
		dst.Bridge.CNIConfigDir = *c.CNIConfigDir
	}
	if c.BridgeNetworkName != nil {
		n := *c.BridgeNetworkName
		if n == "" || len(n) > 15 || filepath.Base(n) != n || n == "." || n == ".." {
			diags = append(diags, diagAt(c.BridgeNetworkNameRange, "Invalid client.bridge_network_name",
				fmt.Sprintf("%q is not an interface name (1 to 15 characters, no '/').", n)))
		}
		dst.Bridge.BridgeName = n
	}
	if c.BridgeNetworkSubnet != nil {
		ip, _, err := net.ParseCIDR(*c.BridgeNetworkSubnet)
		if err != nil || ip.To4() == nil {
			diags = append(diags, diagAt(c.BridgeNetworkSubnetRange, "Invalid client.bridge_network_subnet",
				fmt.Sprintf("%q is not an IPv4 CIDR like 172.26.64.0/20.", *c.BridgeNetworkSubnet)))
		}
		dst.Bridge.BridgeSubnet = *c.BridgeNetworkSubnet
	}
	return diags
}
