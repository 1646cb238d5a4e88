package network

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// statusFrom reads the allocation's address from the CNI result: the first
// IPv4 address of an interface inside the namespace. The DNS is the
// group's dns block, else what the plugins returned.
func statusFrom(res types.Result, dns *nomadlike.DNSConfig) (*nomadlike.AllocNetworkStatus, error) {
	r, err := current.NewResultFromResult(res)
	if err != nil {
		return nil, fmt.Errorf("CNI result: %w", err)
	}
	st := &nomadlike.AllocNetworkStatus{InterfaceName: InterfaceName, DNS: dns.Copy()}
	for _, ip := range r.IPs {
		if ip.Address.IP.To4() == nil {
			continue
		}
		if ip.Interface != nil && *ip.Interface < len(r.Interfaces) {
			iface := r.Interfaces[*ip.Interface]
			if iface.Sandbox == "" {
				continue
			}
			st.InterfaceName = iface.Name
		}
		st.Address = ip.Address.IP.String()
		break
	}
	if st.DNS == nil && len(r.DNS.Nameservers) > 0 {
		st.DNS = &nomadlike.DNSConfig{Servers: r.DNS.Nameservers, Searches: r.DNS.Search, Options: r.DNS.Options}
	}
	return st, nil
}

// hostnameFor is the allocation's host name: network.hostname, else the
// allocation ID's first 8 characters (as the exec driver names a task).
func hostnameFor(req Request) string {
	if req.Hostname != "" {
		return req.Hostname
	}
	return nomadlike.ShortID(req.AllocID)
}

// writeEtc writes the allocation's hosts and hostname files, and its
// resolv.conf when the group has a dns block, into req.EtcDir, and names
// them in iso. Nothing is written without an EtcDir.
func writeEtc(req Request, iso *drivers.NetworkIsolation, address string) error {
	if req.EtcDir == "" {
		return nil
	}
	if err := os.MkdirAll(req.EtcDir, 0o755); err != nil {
		return fmt.Errorf("network etc dir: %w", err)
	}
	files := map[string]string{
		"hosts":    hostsFile(iso.Hostname, address),
		"hostname": iso.Hostname + "\n",
	}
	if req.DNS != nil {
		files["resolv.conf"] = ResolvConf(req.DNS)
	}
	for name, content := range files {
		p := filepath.Join(req.EtcDir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return fmt.Errorf("network %s: %w", name, err)
		}
		switch name {
		case "hosts":
			iso.HostsPath = p
		case "hostname":
			iso.HostnamePath = p
		case "resolv.conf":
			iso.ResolvConfPath = p
		}
	}
	return nil
}

func hostsFile(hostname, address string) string {
	var b strings.Builder
	b.WriteString("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")
	if ip := net.ParseIP(address); ip != nil {
		fmt.Fprintf(&b, "%s %s\n", address, hostname)
	} else {
		fmt.Fprintf(&b, "127.0.1.1 %s\n", hostname)
	}
	return b.String()
}

// ResolvConf renders a dns block as resolv.conf.
func ResolvConf(d *nomadlike.DNSConfig) string {
	var b strings.Builder
	b.WriteString("# written by nomadlike from the group's network.dns block\n")
	for _, s := range d.Servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(d.Searches) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(d.Searches, " "))
	}
	if len(d.Options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(d.Options, " "))
	}
	return b.String()
}

// setSysctl writes a sysctl under /proc/sys (key with slashes).
func setSysctl(key, value string) error {
	p := filepath.Join("/proc/sys", key)
	if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) == value {
		return nil
	}
	if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", strings.ReplaceAll(key, "/", "."), value, err)
	}
	return nil
}
