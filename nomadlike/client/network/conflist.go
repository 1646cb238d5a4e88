package network

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containernetworking/cni/libcni"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// cniVersion is the CNI spec version of the bridge conflist; Debian's
// plugins (1.1.x) support up to 1.0.0.
const cniVersion = "1.0.0"

// adminChain is the firewall plugin's admin chain, as Nomad names it.
const adminChain = "NOMAD-ADMIN"

// bridgeConfList is bridge mode's network: loopback, a veth on the host
// bridge with an address from host-local IPAM (masqueraded outbound), the
// firewall plugin's FORWARD accept rules and portmap's DNAT of the host
// ports (with SNAT so 127.0.0.1 and hairpin traffic find their way back).
func bridgeConfList(bridge, subnet string) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": cniVersion,
		"name":       bridge,
		"plugins": []any{
			map[string]any{"type": "loopback"},
			map[string]any{
				"type":         "bridge",
				"bridge":       bridge,
				"ipMasq":       true,
				"isGateway":    true,
				"forceAddress": true,
				"hairpinMode":  true,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": [][]map[string]string{{{"subnet": subnet}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "firewall", "backend": "iptables", "iptablesAdminChainName": adminChain},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true},
		},
	}
	return json.Marshal(conf)
}

// loopbackConfList is mode none's network: the loopback interface only.
func loopbackConfList() []byte {
	return []byte(`{"cniVersion":"` + cniVersion + `","name":"nomad-none","plugins":[{"type":"loopback"}]}`)
}

// confListFor returns the conflist of a network mode.
func (m *Manager) confListFor(mode string) ([]byte, error) {
	switch {
	case mode == nomadlike.NetworkModeBridge:
		return bridgeConfList(m.cfg.BridgeName, m.cfg.BridgeSubnet)
	case mode == nomadlike.NetworkModeNone:
		return loopbackConfList(), nil
	case strings.HasPrefix(mode, nomadlike.NetworkModeCNIPrefix):
		name := strings.TrimPrefix(mode, nomadlike.NetworkModeCNIPrefix)
		list, err := libcni.LoadNetworkConf(m.cfg.CNIConfigDir, name)
		if err != nil {
			return nil, fmt.Errorf("network mode %q: %w in cni_config_dir %s (%v)", mode, ErrNoCNIConfig, m.cfg.CNIConfigDir, err)
		}
		return list.Bytes, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownMode, mode)
}

// checkPlugins verifies that every plugin of the conflist is installed.
func (m *Manager) checkPlugins(list *libcni.NetworkConfigList) error {
	for _, p := range list.Plugins {
		if !havePlugin(m.cfg.CNIPath, p.Network.Type) {
			return fmt.Errorf("%w: %q (searched %s; install containernetworking-plugins or set client cni_path)",
				ErrNoPlugins, p.Network.Type, strings.Join(m.cfg.CNIPath, ":"))
		}
	}
	return nil
}

// usesPortMappings reports whether a plugin of the list takes portMappings.
func usesPortMappings(list *libcni.NetworkConfigList) bool {
	for _, p := range list.Plugins {
		if p.Network.Capabilities["portMappings"] {
			return true
		}
	}
	return false
}
