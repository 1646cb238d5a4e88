package feasible

import "github.com/nomadlike/nomadlike/nomadlike"

// Reasons a node cannot receive a dynamic host volume (issue #17).
const (
	ReasonVolumeNodeID   = "node ID"
	ReasonVolumeNameUsed = "host volume name in use"
)

// HostVolumeNode checks that node may receive the new dynamic host volume
// v, as Nomad's servers choose one: ready and eligible, the volume's
// NodeID when set, its NodePool when set, every constraint, and no host
// volume of the same name already on the node (static or dynamic).
func (c *Checker) HostVolumeNode(node *nomadlike.Node, v *nomadlike.HostVolume) (bool, string) {
	if ok, why := Ready(node); !ok {
		return false, why
	}
	if v.NodeID != "" && node.ID != v.NodeID {
		return false, ReasonVolumeNodeID
	}
	if v.NodePool != "" {
		if ok, why := NodePool(node, v.NodePool); !ok {
			return false, why
		}
	}
	for _, con := range v.Constraints {
		if ok, why := c.Constraint(node, con); !ok {
			return false, why
		}
	}
	if node.HostVolumes[v.Name] != nil {
		return false, ReasonVolumeNameUsed
	}
	return true, ""
}
