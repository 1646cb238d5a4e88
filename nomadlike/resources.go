package nomadlike

import "fmt"

// Resource floors and defaults, as Nomad's.
const (
	MinCPU                  = 1
	MinMemoryMB             = 10
	DefaultCPU              = 100
	DefaultMemoryMB         = 300
	DefaultDiskMB           = 300
	DefaultLogMaxFiles      = 10
	DefaultLogMaxFileSizeMB = 10
	MinDynamicPort          = 20000
	MaxDynamicPort          = 32000
)

// Resources is what a task asks for.
type Resources struct {
	CPU         int                `json:"CPU"`
	Cores       int                `json:"Cores"`
	MemoryMB    int                `json:"MemoryMB"`
	MemoryMaxMB int                `json:"MemoryMaxMB"`
	DiskMB      int                `json:"DiskMB"`
	Networks    []*NetworkResource `json:"Networks"`
}

// NetworkResource is a network a task or group needs, with its ports.
type NetworkResource struct {
	Mode          string `json:"Mode"`
	Device        string `json:"Device"`
	CIDR          string `json:"CIDR"`
	IP            string `json:"IP"`
	Hostname      string `json:"Hostname"`
	MBits         int    `json:"MBits"`
	ReservedPorts []Port `json:"ReservedPorts"`
	DynamicPorts  []Port `json:"DynamicPorts"`
	// DNS and CNI apply to an isolated group network (bridge, none,
	// cni/NAME); see network.go.
	DNS *DNSConfig `json:"DNS"`
	CNI *CNIConfig `json:"CNI"`
}

// Port is a labelled port: static when in ReservedPorts, assigned by the
// scheduler when in DynamicPorts. To is the port inside the task's network.
type Port struct {
	Label       string `json:"Label"`
	Value       int    `json:"Value"`
	To          int    `json:"To"`
	HostNetwork string `json:"HostNetwork"`
}

// EphemeralDisk is the group's scratch space on the node.
type EphemeralDisk struct {
	Sticky  bool `json:"Sticky"`
	SizeMB  int  `json:"SizeMB"`
	Migrate bool `json:"Migrate"`
}

// ComparableResources is the flat sum the scheduler fits against a node.
type ComparableResources struct {
	CPU      int64 `json:"CPU"`
	MemoryMB int64 `json:"MemoryMB"`
	DiskMB   int64 `json:"DiskMB"`
}

// Add adds o to c.
func (c *ComparableResources) Add(o ComparableResources) {
	c.CPU += o.CPU
	c.MemoryMB += o.MemoryMB
	c.DiskMB += o.DiskMB
}

// Sub subtracts o from c.
func (c *ComparableResources) Sub(o ComparableResources) {
	c.CPU -= o.CPU
	c.MemoryMB -= o.MemoryMB
	c.DiskMB -= o.DiskMB
}

// Superset reports whether c covers o in every dimension; when it does not,
// it names the first dimension exhausted ("cpu", "memory", "disk").
func (c ComparableResources) Superset(o ComparableResources) (bool, string) {
	switch {
	case c.CPU < o.CPU:
		return false, "cpu"
	case c.MemoryMB < o.MemoryMB:
		return false, "memory"
	case c.DiskMB < o.DiskMB:
		return false, "disk"
	}
	return true, ""
}

func (c ComparableResources) String() string {
	return fmt.Sprintf("cpu=%d memory=%dMB disk=%dMB", c.CPU, c.MemoryMB, c.DiskMB)
}

// Ports returns every port label of the network with its static value (0
// for dynamic ports).
func (n *NetworkResource) Ports() []Port {
	out := make([]Port, 0, len(n.ReservedPorts)+len(n.DynamicPorts))
	out = append(out, n.ReservedPorts...)
	out = append(out, n.DynamicPorts...)
	return out
}

func validateResources(v validator, r *Resources) {
	if r == nil {
		return
	}
	if r.CPU < MinCPU && r.Cores == 0 {
		v.fail("CPU", "must be >= %d", MinCPU)
	}
	if r.Cores < 0 {
		v.fail("Cores", "must be >= 0")
	}
	if r.MemoryMB < MinMemoryMB {
		v.fail("MemoryMB", "must be >= %d", MinMemoryMB)
	}
	if r.MemoryMaxMB != 0 && r.MemoryMaxMB < r.MemoryMB {
		v.fail("MemoryMaxMB", "must be >= MemoryMB (%d)", r.MemoryMB)
	}
	if r.DiskMB < 0 {
		v.fail("DiskMB", "must be >= 0")
	}
	validateNetworks(v, "Networks", r.Networks)
}

func validateNetworks(v validator, field string, nets []*NetworkResource) {
	labels := map[string]bool{}
	static := map[int]string{}
	for i, n := range nets {
		nv := v.item(field, fmt.Sprint(i))
		if n == nil {
			nv.fail("", "must not be null")
			continue
		}
		switch n.Mode {
		case "", "host", "bridge", "none":
		default:
			if len(n.Mode) < 4 || (n.Mode[:4] != "cni/") {
				nv.fail("Mode", "unknown network mode %q (want host, bridge, none or cni/NAME)", n.Mode)
			}
		}
		if n.MBits < 0 {
			nv.fail("MBits", "must be >= 0")
		}
		validateNetworkExtras(nv, n)
		for _, p := range n.ReservedPorts {
			pv := nv.item("ReservedPorts", p.Label)
			checkPortLabel(pv, p.Label, labels)
			if p.Value <= 0 || p.Value > 65535 {
				pv.fail("Value", "static port must be between 1 and 65535, got %d", p.Value)
			} else if other, ok := static[p.Value]; ok {
				pv.fail("Value", "port %d is also reserved by %q", p.Value, other)
			} else {
				static[p.Value] = p.Label
			}
			if p.To < -1 || p.To > 65535 {
				pv.fail("To", "must be between -1 and 65535")
			}
		}
		for _, p := range n.DynamicPorts {
			pv := nv.item("DynamicPorts", p.Label)
			checkPortLabel(pv, p.Label, labels)
			if p.Value != 0 {
				pv.fail("Value", "a dynamic port has no static value")
			}
			if p.To < -1 || p.To > 65535 {
				pv.fail("To", "must be between -1 and 65535")
			}
		}
	}
}

func checkPortLabel(v validator, label string, seen map[string]bool) {
	if label == "" {
		v.fail("Label", "must not be empty")
		return
	}
	if seen[label] {
		v.fail("Label", "duplicate port label %q", label)
	}
	seen[label] = true
}
