package dns

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Source fetches the instances of one service from the servers. With
// waitIndex > 0 it blocks until the catalog's index passes it or the
// source's own wait ends, and returns the catalog index of its answer
// (a blocking query, GET /v1/service/:name?index=).
type Source interface {
	Service(ctx context.Context, ns, name string, waitIndex uint64) ([]*nomadlike.ServiceRegistration, uint64, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, ns, name string, waitIndex uint64) ([]*nomadlike.ServiceRegistration, uint64, error)

// Service calls f.
func (f SourceFunc) Service(ctx context.Context, ns, name string, waitIndex uint64) ([]*nomadlike.ServiceRegistration, uint64, error) {
	return f(ctx, ns, name, waitIndex)
}

// ErrTooManyNames is the answer for a new name when MaxNames services are
// already watched.
var ErrTooManyNames = errors.New("too many service names watched")

// CacheConfig configures a Cache.
type CacheConfig struct {
	// Idle is how long a service nobody looked up stays watched (default 5m).
	Idle time.Duration
	// MaxNames bounds the services watched at once (default 512).
	MaxNames int
	// RetryInterval is the wait after a failed fetch (default 1s).
	RetryInterval time.Duration
}

type cacheKey struct{ ns, name string }

// entry is one watched service: the passing instances of its latest
// answer. ready closes after the first answer (or error).
type entry struct {
	readyCh   chan struct{}
	readyOnce sync.Once
	used      atomic.Int64 // unix nanos of the latest lookup

	mu   sync.Mutex
	regs []*nomadlike.ServiceRegistration
	err  error
}

func (e *entry) set(regs []*nomadlike.ServiceRegistration, err error) {
	e.mu.Lock()
	if err == nil {
		e.regs = slices.DeleteFunc(slices.Clone(regs), func(r *nomadlike.ServiceRegistration) bool { return !r.Passing() })
	}
	e.err = err
	e.mu.Unlock()
	e.readyOnce.Do(func() { close(e.readyCh) })
}

// Cache keeps the passing instances of the services looked up, each
// followed by a blocking-query watch. Safe for concurrent use.
type Cache struct {
	src Source
	cfg CacheConfig

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	entries map[cacheKey]*entry
}

// NewCache returns a cache over src; Close stops its watches.
func NewCache(src Source, cfg CacheConfig) *Cache {
	if cfg.Idle <= 0 {
		cfg.Idle = 5 * time.Minute
	}
	if cfg.MaxNames <= 0 {
		cfg.MaxNames = 512
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Second
	}
	c := &Cache{src: src, cfg: cfg, entries: map[cacheKey]*entry{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// Close stops every watch and waits for them.
func (c *Cache) Close() {
	c.cancel()
	c.wg.Wait()
}

// Lookup returns the passing instances of service name in namespace ns
// (shared: do not modify), waiting for the first answer until ctx ends.
func (c *Cache) Lookup(ctx context.Context, ns, name string) ([]*nomadlike.ServiceRegistration, error) {
	k := cacheKey{ns, name}
	c.mu.Lock()
	e := c.entries[k]
	if e == nil {
		if len(c.entries) >= c.cfg.MaxNames {
			c.mu.Unlock()
			return nil, ErrTooManyNames
		}
		if c.ctx.Err() != nil {
			c.mu.Unlock()
			return nil, c.ctx.Err()
		}
		e = &entry{readyCh: make(chan struct{})}
		c.entries[k] = e
		c.wg.Add(1)
		go c.watch(k, e)
	}
	e.used.Store(time.Now().UnixNano())
	c.mu.Unlock()
	select {
	case <-e.readyCh:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.regs, e.err
}

// Watched returns the number of services watched.
func (c *Cache) Watched() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// watch follows one service until it is idle or the cache closes.
func (c *Cache) watch(k cacheKey, e *entry) {
	defer c.wg.Done()
	var index uint64
	answered := false
	for {
		if time.Since(time.Unix(0, e.used.Load())) > c.cfg.Idle || c.ctx.Err() != nil {
			c.mu.Lock()
			delete(c.entries, k)
			c.mu.Unlock()
			e.set(nil, context.Canceled)
			return
		}
		start := time.Now()
		regs, next, err := c.src.Service(c.ctx, k.ns, k.name, index)
		if err != nil {
			// Keep the last answer through a servers' outage: stale beats
			// SERVFAIL for a load balancer.
			if c.ctx.Err() == nil && !answered {
				e.set(nil, err)
			}
			c.sleep(c.cfg.RetryInterval)
			continue
		}
		e.set(regs, nil)
		answered = true
		if next <= index && time.Since(start) < 50*time.Millisecond {
			c.sleep(100 * time.Millisecond) // no progress: do not spin
		}
		index = max(next, 1)
	}
}

func (c *Cache) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.ctx.Done():
	}
}
