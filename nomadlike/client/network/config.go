package network

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// Defaults of Config, as Nomad's client.
const (
	// DefaultBridgeName is the host bridge of bridge mode.
	DefaultBridgeName = "nomad"
	// DefaultBridgeSubnet is the bridge network's address range.
	DefaultBridgeSubnet = "172.26.64.0/20"
	// DefaultCNIConfigDir holds user CNI configurations (mode "cni/NAME").
	DefaultCNIConfigDir = "/opt/cni/config"
	// DefaultNetnsDir is where namespaces are bind-mounted (as `ip netns`).
	DefaultNetnsDir = "/var/run/netns"
	// DefaultCNICacheDir is libcni's cache of results, shared with other
	// CNI runtimes of the host as the CNI spec intends.
	DefaultCNICacheDir = "/var/lib/cni"
	// InterfaceName is the allocation's interface inside its namespace.
	InterfaceName = "eth0"
)

// DefaultCNIPath lists where CNI plugin binaries are searched: Debian's
// containernetworking-plugins package first, then the upstream location.
var DefaultCNIPath = []string{"/usr/lib/cni", "/opt/cni/bin"}

// Sentinel errors.
var (
	// ErrUnknownMode is a group network mode the manager cannot make.
	ErrUnknownMode = errors.New("unknown network mode")
	// ErrNoCNIConfig is a cni/NAME mode whose NAME no file in cni_config_dir defines.
	ErrNoCNIConfig = errors.New("no CNI configuration of that name")
	// ErrNoPlugins is a CNI plugin missing from every cni_path directory.
	ErrNoPlugins = errors.New("CNI plugin not found in cni_path")
)

// Config configures a Manager. Zero fields take the defaults above.
type Config struct {
	// StateDir keeps one record per namespace (required; the client's
	// <data_dir>/network).
	StateDir string
	// NetnsDir is where namespaces are bind-mounted.
	NetnsDir string
	// CNIPath lists directories searched for plugin binaries (client
	// cni_path, colon-separated in the agent configuration).
	CNIPath []string
	// CNIConfigDir holds user conflists for mode cni/NAME (client
	// cni_config_dir).
	CNIConfigDir string
	// CNICacheDir is libcni's result cache.
	CNICacheDir string
	// BridgeName and BridgeSubnet shape bridge mode's network.
	BridgeName   string
	BridgeSubnet string
}

func (c Config) withDefaults() Config {
	if c.NetnsDir == "" {
		c.NetnsDir = DefaultNetnsDir
	}
	if len(c.CNIPath) == 0 {
		c.CNIPath = DefaultCNIPath
	}
	if c.CNIConfigDir == "" {
		c.CNIConfigDir = DefaultCNIConfigDir
	}
	if c.CNICacheDir == "" {
		c.CNICacheDir = DefaultCNICacheDir
	}
	if c.BridgeName == "" {
		c.BridgeName = DefaultBridgeName
	}
	if c.BridgeSubnet == "" {
		c.BridgeSubnet = DefaultBridgeSubnet
	}
	return c
}

// SplitCNIPath splits the agent's cni_path ("/a:/b") into directories.
func SplitCNIPath(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ":") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}

// havePlugin reports whether the plugin binary is in one of the dirs.
func havePlugin(dirs []string, name string) bool {
	for _, d := range dirs {
		if fi, err := os.Stat(filepath.Join(d, name)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}
