package nomadlike

import (
	"encoding/json"
	"time"
)

// Node statuses.
const (
	NodeStatusInit         = "initializing"
	NodeStatusReady        = "ready"
	NodeStatusDown         = "down"
	NodeStatusDisconnected = "disconnected"
)

// Scheduling eligibility.
const (
	NodeSchedulingEligible   = "eligible"
	NodeSchedulingIneligible = "ineligible"
)

// Node is a client host that runs allocations.
type Node struct {
	ID                    string                 `json:"ID"`
	SecretID              string                 `json:"SecretID"`
	Datacenter            string                 `json:"Datacenter"`
	Name                  string                 `json:"Name"`
	HTTPAddr              string                 `json:"HTTPAddr"`
	Attributes            map[string]string      `json:"Attributes"`
	NodeResources         *NodeResources         `json:"NodeResources"`
	ReservedResources     *NodeReservedResources `json:"ReservedResources"`
	Meta                  map[string]string      `json:"Meta"`
	NodeClass             string                 `json:"NodeClass"`
	NodePool              string                 `json:"NodePool"`
	Drivers               map[string]*DriverInfo `json:"Drivers"`
	DrainStrategy         *DrainStrategy         `json:"DrainStrategy"`
	Drain                 bool                   `json:"Drain"`
	SchedulingEligibility string                 `json:"SchedulingEligibility"`
	Status                string                 `json:"Status"`
	StatusDescription     string                 `json:"StatusDescription"`
	StatusUpdatedAt       int64                  `json:"StatusUpdatedAt"` // unix seconds, as Nomad's
	CreateIndex           uint64                 `json:"CreateIndex"`
	ModifyIndex           uint64                 `json:"ModifyIndex"`

	// RegisteredFrom and HeartbeatFrom are the source IPs the servers saw
	// the node's last registration and heartbeat come from. The servers
	// set them (a client's values are ignored) and forward requests to
	// HTTPAddr only when its host is one of them.
	RegisteredFrom string `json:"RegisteredFrom"`
	HeartbeatFrom  string `json:"HeartbeatFrom"`

	// HostVolumes are the client's host_volume blocks by name (hostvolume.go).
	HostVolumes map[string]*ClientHostVolumeConfig `json:"HostVolumes"`
}

// NodeResources is what a node offers.
type NodeResources struct {
	Cpu            NodeCpuResources    `json:"Cpu"`
	Memory         NodeMemoryResources `json:"Memory"`
	Disk           NodeDiskResources   `json:"Disk"`
	Networks       []*NetworkResource  `json:"Networks"`
	MinDynamicPort int                 `json:"MinDynamicPort"`
	MaxDynamicPort int                 `json:"MaxDynamicPort"`
}

// NodeCpuResources is the node's CPU in MHz shares and cores.
type NodeCpuResources struct {
	CpuShares          int64 `json:"CpuShares"`
	TotalCpuCores      int   `json:"TotalCpuCores"`
	ReservableCpuCores []int `json:"ReservableCpuCores"`
}

// NodeMemoryResources is the node's memory.
type NodeMemoryResources struct {
	MemoryMB int64 `json:"MemoryMB"`
}

// NodeDiskResources is the node's allocatable disk.
type NodeDiskResources struct {
	DiskMB int64 `json:"DiskMB"`
}

// NodeReservedResources is held back for the host itself.
type NodeReservedResources struct {
	Cpu      NodeCpuResources    `json:"Cpu"`
	Memory   NodeMemoryResources `json:"Memory"`
	Disk     NodeDiskResources   `json:"Disk"`
	Networks NodeReservedNetwork `json:"Networks"`
}

// NodeReservedNetwork lists host ports no allocation may use ("22,80-90").
type NodeReservedNetwork struct {
	ReservedHostPorts string `json:"ReservedHostPorts"`
}

// DriverInfo is a driver's fingerprint on a node.
type DriverInfo struct {
	Attributes        map[string]string `json:"Attributes"`
	Detected          bool              `json:"Detected"`
	Healthy           bool              `json:"Healthy"`
	HealthDescription string            `json:"HealthDescription"`
	UpdateTime        time.Time         `json:"UpdateTime"`
	// ConfigSchema is the schema of the driver's task config block, as the
	// driver published it (drivers/schema.Schema as JSON); empty when the
	// driver publishes none. The servers check task configs against it.
	ConfigSchema json.RawMessage `json:"ConfigSchema,omitempty"`
}

// DrainStrategy describes an ongoing drain.
type DrainStrategy struct {
	Deadline         time.Duration `json:"Deadline"`
	IgnoreSystemJobs bool          `json:"IgnoreSystemJobs"`
	ForceDeadline    time.Time     `json:"ForceDeadline"`
	StartedAt        time.Time     `json:"StartedAt"`
}

// Comparable returns the node's allocatable resources after reservations.
func (n *Node) Comparable() ComparableResources {
	if n.NodeResources == nil {
		return ComparableResources{}
	}
	c := ComparableResources{
		CPU:      n.NodeResources.Cpu.CpuShares,
		MemoryMB: n.NodeResources.Memory.MemoryMB,
		DiskMB:   n.NodeResources.Disk.DiskMB,
	}
	if r := n.ReservedResources; r != nil {
		c.CPU -= r.Cpu.CpuShares
		c.MemoryMB -= r.Memory.MemoryMB
		c.DiskMB -= r.Disk.DiskMB
	}
	return c
}

// Ready reports whether the node may receive new allocations.
func (n *Node) Ready() bool {
	return n.Status == NodeStatusReady && n.DrainStrategy == nil &&
		n.SchedulingEligibility != NodeSchedulingIneligible
}

// TerminalStatus reports whether the node is down.
func (n *Node) TerminalStatus() bool { return n.Status == NodeStatusDown }

// NodeListStub is the short form returned by GET /v1/nodes.
type NodeListStub struct {
	ID                    string                 `json:"ID"`
	Datacenter            string                 `json:"Datacenter"`
	Name                  string                 `json:"Name"`
	NodeClass             string                 `json:"NodeClass"`
	NodePool              string                 `json:"NodePool"`
	Address               string                 `json:"Address"`
	Version               string                 `json:"Version"`
	Drain                 bool                   `json:"Drain"`
	SchedulingEligibility string                 `json:"SchedulingEligibility"`
	Status                string                 `json:"Status"`
	StatusDescription     string                 `json:"StatusDescription"`
	Drivers               map[string]*DriverInfo `json:"Drivers"`
	CreateIndex           uint64                 `json:"CreateIndex"`
	ModifyIndex           uint64                 `json:"ModifyIndex"`
}

// Stub returns the list form of the node.
func (n *Node) Stub() *NodeListStub {
	return &NodeListStub{
		ID:                    n.ID,
		Datacenter:            n.Datacenter,
		Name:                  n.Name,
		NodeClass:             n.NodeClass,
		NodePool:              n.NodePool,
		Address:               n.HTTPAddr,
		Version:               n.Attributes["nomad.version"],
		Drain:                 n.DrainStrategy != nil,
		SchedulingEligibility: n.SchedulingEligibility,
		Status:                n.Status,
		StatusDescription:     n.StatusDescription,
		Drivers:               n.Drivers,
		CreateIndex:           n.CreateIndex,
		ModifyIndex:           n.ModifyIndex,
	}
}
