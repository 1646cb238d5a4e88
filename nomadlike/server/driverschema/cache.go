package driverschema

import (
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Cache keeps the Schemas of the nodes as of one write index of the nodes
// table, so registers between node writes do not read every node again.
// The zero value is ready; it is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	index   uint64
	schemas Schemas
}

// Get returns the schemas as of index, calling nodes only when the nodes
// table changed since the last call (index differs). Index 0 is never
// cached.
func (c *Cache) Get(index uint64, nodes func() ([]*nomadlike.Node, error)) (Schemas, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if index != 0 && index == c.index && c.schemas != nil {
		return c.schemas, nil
	}
	ns, err := nodes()
	if err != nil {
		return nil, err
	}
	c.index, c.schemas = index, FromNodes(ns)
	return c.schemas, nil
}
