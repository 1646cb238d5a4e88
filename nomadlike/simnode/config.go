package simnode

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"
)

// ErrConfig is wrapped by every configuration error New returns.
var ErrConfig = errors.New("invalid simulator config")

// Config configures a Simulator. Zero values take the defaults documented on
// each field.
type Config struct {
	// Servers are the HTTP addresses ("host:port" or URLs) of the servers.
	// Node i talks to Servers[i%len(Servers)] first and moves to the next
	// server when a call fails. Required.
	Servers []string
	// Count is the number of nodes to simulate. Required, at least 1.
	Count int
	// Datacenter of every node; "dc1" by default.
	Datacenter string
	// Classes are the node classes, assigned round-robin (node i gets
	// Classes[i%len(Classes)]); none by default.
	Classes []string
	// NodePool of every node; "default" by default.
	NodePool string
	// CPU (MHz), MemoryMB and DiskMB each node offers; 4000, 8192 and
	// 100 GiB by default.
	CPU, MemoryMB, DiskMB int64
	// NamePrefix starts each node name ("<prefix>-00042"); "sim" by default.
	NamePrefix string
	// Seed makes node IDs and secrets reproducible: the same seed and count
	// give the same nodes, so a restarted simulator re-registers them.
	// 0 picks a seed from the clock.
	Seed uint64

	// StartDelay is how long a new allocation stays pending before its
	// tasks pretend to start; 0 by default.
	StartDelay time.Duration
	// RunTime is how long the tasks of a batch or sysbatch allocation
	// pretend to run before they exit 0; 0 by default. Service and system
	// allocations run until the server stops them.
	RunTime time.Duration

	// UpdateInterval is the batching window of allocation status updates:
	// transitions within one window are coalesced; 200ms by default (the
	// window of Nomad's client).
	UpdateInterval time.Duration
	// MaxBatch caps the allocations in one UpdateAllocs call; 2000 by
	// default. A larger batch is one bigger raft entry: fewer round trips,
	// longer commits.
	MaxBatch int
	// UpdateWorkers is the number of UpdateAllocs calls in flight at once;
	// 4 by default.
	UpdateWorkers int

	// RegisterConcurrency bounds the registrations in flight while
	// starting; 32 by default.
	RegisterConcurrency int
	// WatchWait is the wait time of each blocking allocation query;
	// 5m by default. The server may cap it.
	WatchWait time.Duration
	// MinWatchInterval is the least time between two allocation queries of
	// one node. 0 (the default) queries again as soon as an answer came,
	// as a client agent does; a larger value makes each answer carry more
	// changes and costs the server fewer (large) responses.
	MinWatchInterval time.Duration
	// StaleReads lets any server answer the allocation queries (as Nomad
	// clients do) instead of forwarding them to the leader; true spreads
	// the read load over a multi-server cluster.
	StaleReads bool
	// HTTPClient is shared by all nodes; by default one with a connection
	// pool sized for Count blocking queries.
	HTTPClient *http.Client
	// Logger defaults to a null logger.
	Logger hclog.Logger
	// Observer, when set, is told of every allocation a node first sees
	// and of every status update the servers acknowledged. It is called
	// from many goroutines and must not block.
	Observer Observer
}

// Observer hears what the simulated nodes see and report.
type Observer interface {
	// AllocSeen is called once per allocation, when a node first sees it.
	AllocSeen(nodeID, allocID, jobID string, at time.Time)
	// AllocReported is called after the servers acknowledged an update
	// that set the allocation's client status to status.
	AllocReported(allocID, jobID, status string, at time.Time)
}

func (c *Config) setDefaults() {
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	if c.NodePool == "" {
		c.NodePool = "default"
	}
	if c.CPU == 0 {
		c.CPU = 4000
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = 8192
	}
	if c.DiskMB == 0 {
		c.DiskMB = 100 * 1024
	}
	if c.NamePrefix == "" {
		c.NamePrefix = "sim"
	}
	if c.UpdateInterval == 0 {
		c.UpdateInterval = 200 * time.Millisecond
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 2000
	}
	if c.UpdateWorkers == 0 {
		c.UpdateWorkers = 4
	}
	if c.RegisterConcurrency == 0 {
		c.RegisterConcurrency = 32
	}
	if c.WatchWait == 0 {
		c.WatchWait = 5 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
}

// validate reports the first bad field; call after setDefaults.
func (c *Config) validate() error {
	switch {
	case len(c.Servers) == 0:
		return fmt.Errorf("%w: Servers: at least one server address is needed", ErrConfig)
	case c.Count < 1:
		return fmt.Errorf("%w: Count: %d, want at least 1", ErrConfig, c.Count)
	case c.CPU < 0 || c.MemoryMB < 0 || c.DiskMB < 0:
		return fmt.Errorf("%w: CPU, MemoryMB and DiskMB must not be negative", ErrConfig)
	case c.StartDelay < 0 || c.RunTime < 0:
		return fmt.Errorf("%w: StartDelay and RunTime must not be negative", ErrConfig)
	case c.UpdateInterval < 0 || c.MinWatchInterval < 0 || c.WatchWait < 0:
		return fmt.Errorf("%w: intervals must not be negative", ErrConfig)
	case c.MaxBatch < 1 || c.UpdateWorkers < 1 || c.RegisterConcurrency < 1:
		return fmt.Errorf("%w: MaxBatch, UpdateWorkers and RegisterConcurrency must be at least 1", ErrConfig)
	}
	for i, s := range c.Servers {
		if s == "" {
			return fmt.Errorf("%w: Servers[%d]: empty address", ErrConfig, i)
		}
	}
	return nil
}
