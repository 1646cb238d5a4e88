package nomadlike

import "maps"

// TaskEventDriverMessage is the type of the events a task driver reports
// itself (Nomad's "Driver"): "Downloading image", "Image pulled", ...
const TaskEventDriverMessage = "Driver"

// DriverNetwork is the network a task driver created for a task (its own
// network namespace), as the driver reported it when it started the task.
// Nil in TaskState means the task uses the host's network.
type DriverNetwork struct {
	// IP is the task's address in that network.
	IP string `json:"IP"`
	// PortMap maps a port label to the port the task listens on inside it.
	PortMap map[string]int `json:"PortMap,omitempty"`
	// AutoAdvertise says services should advertise IP and the mapped ports.
	AutoAdvertise bool `json:"AutoAdvertise,omitempty"`
}

// Copy returns a deep copy of the network.
func (n *DriverNetwork) Copy() *DriverNetwork {
	if n == nil {
		return nil
	}
	c := *n
	c.PortMap = maps.Clone(n.PortMap)
	return &c
}
