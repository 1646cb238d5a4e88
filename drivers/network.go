package drivers

// Network isolation modes a driver may support (Capabilities.NetIsolationModes).
const (
	// NetIsolationHost runs the task in the host's network namespace.
	NetIsolationHost = "host"
	// NetIsolationGroup joins the namespace the client made for the task's
	// allocation (TaskConfig.NetworkIsolation).
	NetIsolationGroup = "group"
)

// NetworkIsolation is the network namespace the client made for the task's
// allocation (group network mode bridge, none or cni/NAME). Every task of
// the allocation gets the same one; the client creates it before the first
// task starts and removes it after the last one stopped. A driver that
// lists NetIsolationGroup in its capabilities runs the task in it.
type NetworkIsolation struct {
	// Mode is the group's network mode: "bridge", "none" or "cni/NAME".
	Mode string `json:"Mode"`
	// Path is the namespace's bind mount on the host (a file a driver opens
	// and passes to setns(2), or names in an OCI spec's network namespace).
	Path string `json:"Path"`
	// Hostname is the allocation's host name (network.hostname, else the
	// first 8 characters of the allocation ID).
	Hostname string `json:"Hostname"`
	// HostsPath, ResolvConfPath and HostnamePath are files the client wrote
	// for the allocation (read-only for tasks), to be bind-mounted at
	// /etc/hosts, /etc/resolv.conf and /etc/hostname where the driver
	// gives the task its own root filesystem. Empty means leave that file
	// as the driver would.
	HostsPath      string `json:"HostsPath"`
	ResolvConfPath string `json:"ResolvConfPath"`
	HostnamePath   string `json:"HostnamePath"`
}

// JoinsGroupNetwork reports whether a driver with these capabilities runs
// its tasks in the allocation's network namespace.
func (c Capabilities) JoinsGroupNetwork() bool {
	for _, m := range c.NetIsolationModes {
		if m == NetIsolationGroup {
			return true
		}
	}
	return false
}
