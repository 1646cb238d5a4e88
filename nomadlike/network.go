package nomadlike

import (
	"net"
	"strings"
)

// Network modes of a group's network block.
const (
	NetworkModeHost   = "host"
	NetworkModeBridge = "bridge"
	NetworkModeNone   = "none"
	// NetworkModeCNIPrefix starts a user CNI network's mode ("cni/NAME").
	NetworkModeCNIPrefix = "cni/"
)

// TaskEventHostNetwork tells that a task's driver (raw_exec) runs it in the
// host's network although its group has a namespace of its own.
const TaskEventHostNetwork = "Host Network"

// DNSConfig is the resolver configuration of a group in its own network
// namespace (network.dns), written to the tasks' /etc/resolv.conf.
type DNSConfig struct {
	Servers  []string `json:"Servers"`
	Searches []string `json:"Searches"`
	Options  []string `json:"Options"`
}

// CNIConfig holds the network.cni block: arguments passed to the CNI
// plugins as CNI_ARGS.
type CNIConfig struct {
	Args map[string]string `json:"Args"`
}

// AllocNetworkStatus is what the client reports of the network namespace it
// made for an allocation, as Nomad's Allocation.NetworkStatus.
type AllocNetworkStatus struct {
	InterfaceName string     `json:"InterfaceName"`
	Address       string     `json:"Address"`
	DNS           *DNSConfig `json:"DNS"`
}

// IsolatedMode reports whether a network mode gives the group its own
// network namespace (bridge, none or cni/NAME).
func IsolatedMode(mode string) bool {
	return mode == NetworkModeBridge || mode == NetworkModeNone || strings.HasPrefix(mode, NetworkModeCNIPrefix)
}

// Copy returns a deep copy.
func (d *DNSConfig) Copy() *DNSConfig {
	if d == nil {
		return nil
	}
	return &DNSConfig{
		Servers:  append([]string(nil), d.Servers...),
		Searches: append([]string(nil), d.Searches...),
		Options:  append([]string(nil), d.Options...),
	}
}

// Copy returns a deep copy.
func (c *CNIConfig) Copy() *CNIConfig {
	if c == nil {
		return nil
	}
	out := &CNIConfig{}
	if c.Args != nil {
		out.Args = make(map[string]string, len(c.Args))
		for k, v := range c.Args {
			out.Args[k] = v
		}
	}
	return out
}

// Copy returns a deep copy.
func (s *AllocNetworkStatus) Copy() *AllocNetworkStatus {
	if s == nil {
		return nil
	}
	c := *s
	c.DNS = s.DNS.Copy()
	return &c
}

// validateNetworkExtras checks what only an isolated network uses: the
// hostname, the resolver and the CNI arguments.
func validateNetworkExtras(v validator, n *NetworkResource) {
	// A hostname with ${...} is interpolated on the client, which checks it
	// then.
	if n.Hostname != "" && !strings.Contains(n.Hostname, "${") && !ValidHostname(n.Hostname) {
		v.fail("Hostname", "%q is not a valid hostname (letters, digits, '-' and '.', at most 253 characters)", n.Hostname)
	}
	if n.DNS != nil {
		for i, s := range n.DNS.Servers {
			if net.ParseIP(s) == nil {
				v.at("DNS").item("Servers", itoa(i)).fail("", "%q is not an IP address", s)
			}
		}
		for i, s := range append(append([]string(nil), n.DNS.Searches...), n.DNS.Options...) {
			if s == "" || strings.ContainsAny(s, " \t\r\n") {
				v.at("DNS").fail("", "search domain or option %d (%q) must be one word", i, s)
			}
		}
	}
	if n.CNI != nil {
		for k, val := range n.CNI.Args {
			if k == "" || strings.ContainsAny(k, "=;") || strings.ContainsAny(val, ";") {
				v.at("CNI").item("Args", k).fail("", "CNI argument names must be non-empty without '=' or ';', and values without ';'")
			}
		}
	}
}

// ValidHostname reports whether h is an RFC 1123 host name.
func ValidHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}
