package scheduler

import (
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/rank"
)

// UsageCache keeps each node's summed usage across evaluations and
// snapshots, keyed by a version token of the node's allocations, so a
// scheduler sums a node's allocations only after they changed. Safe for
// concurrent use by several workers; the zero value is ready.
type UsageCache struct {
	mu sync.Mutex
	m  map[string]usageEntry
}

type usageEntry struct {
	version any
	usage   *rank.NodeUsage
}

// Wrap returns st with UsageState served from the cache. version returns
// a token (compared with ==) of the node's allocations in st that changes
// whenever they change, like state's Reader.NodeAllocsVersion.
func (c *UsageCache) Wrap(st State, version func(nodeID string) (any, error)) State {
	return &cachedUsageState{State: st, cache: c, version: version}
}

type cachedUsageState struct {
	State
	cache   *UsageCache
	version func(nodeID string) (any, error)
}

// NodeUsage implements UsageState.
func (s *cachedUsageState) NodeUsage(nodeID string) (*rank.NodeUsage, error) {
	v, err := s.version(nodeID)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	e, ok := s.cache.m[nodeID]
	s.cache.mu.Unlock()
	if ok && e.version == v {
		return e.usage, nil
	}
	allocs, err := s.AllocsByNode(nodeID)
	if err != nil {
		return nil, err
	}
	u := rank.NewNodeUsage(allocs)
	s.cache.mu.Lock()
	if s.cache.m == nil {
		s.cache.m = map[string]usageEntry{}
	}
	s.cache.m[nodeID] = usageEntry{version: v, usage: u}
	s.cache.mu.Unlock()
	return u, nil
}

// JobDeployments passes DeploymentState through the wrapper (deployments).
func (s *cachedUsageState) JobDeployments(ns, jobID string) ([]*nomadlike.Deployment, error) {
	if ds, ok := s.State.(DeploymentState); ok {
		return ds.JobDeployments(ns, jobID)
	}
	return nil, nil
}
