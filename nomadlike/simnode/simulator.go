package simnode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// ErrStarted is returned by a second call to Start.
var ErrStarted = errors.New("simulator already started")

// Simulator runs Count simulated client nodes.
type Simulator struct {
	cfg     Config
	clients []*api.Client
	nodes   []*simNode
	batch   *batcher
	stats   counters

	started atomic.Bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// counters are the simulator's running totals.
type counters struct {
	registered, registerErrors  atomic.Uint64
	heartbeats, heartbeatErrors atomic.Uint64
	watches, watchErrors        atomic.Uint64
	allocsSeen, allocsWatched   atomic.Uint64
	updateCalls, updatesSent    atomic.Uint64
	updateErrors                atomic.Uint64
	reportedRunning             atomic.Uint64
	reportedComplete            atomic.Uint64
}

// Stats is a snapshot of the simulator's counters.
type Stats struct {
	Nodes           int    // simulated nodes
	Registered      uint64 // successful registrations (re-registrations too)
	RegisterErrors  uint64
	Heartbeats      uint64 // successful heartbeats
	HeartbeatErrors uint64
	Watches         uint64 // answered allocation queries
	WatchErrors     uint64
	AllocsSeen      uint64 // distinct allocations the nodes saw
	AllocsReceived  uint64 // allocations in all query answers (what the servers sent)
	UpdateCalls     uint64 // acknowledged UpdateAllocs calls
	UpdatesSent     uint64 // allocation updates in them
	UpdateErrors    uint64
	Running         uint64 // acknowledged updates to running
	Complete        uint64 // acknowledged updates to complete
	QueuedUpdates   int    // updates not yet sent
}

// New returns a simulator for cfg; nothing talks to a server before Start.
func New(cfg Config) (*Simulator, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:       nil,
			DialContext: (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			// Each node holds its blocking allocation watch open while
			// it heartbeats, fetches and reports: two connections per
			// node stay reusable instead of being dialled again.
			MaxIdleConns:        2*cfg.Count + 256,
			MaxIdleConnsPerHost: 2*cfg.Count + 256,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}}
	}
	s := &Simulator{cfg: cfg}
	for _, addr := range cfg.Servers {
		c, err := api.NewClient(api.Config{Address: addr, HTTPClient: hc})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		s.clients = append(s.clients, c)
	}
	s.batch = newBatcher(s.clients, &s.cfg, &s.stats)
	for i := 0; i < cfg.Count; i++ {
		s.nodes = append(s.nodes, &simNode{
			sim: s, idx: i, node: buildNode(&s.cfg, i), server: i % len(s.clients),
			allocs: map[string]*simAlloc{},
		})
		s.batch.secrets[s.nodes[i].node.ID] = s.nodes[i].node.SecretID
	}
	return s, nil
}

// NodeIDs returns the IDs of the simulated nodes, in order.
func (s *Simulator) NodeIDs() []string {
	out := make([]string, len(s.nodes))
	for i, n := range s.nodes {
		out[i] = n.node.ID
	}
	return out
}

// Start registers every node (at most RegisterConcurrency at once) and
// starts its heartbeat and allocation watch as soon as it is registered. It
// returns when all nodes are registered, or the first registration error
// once ctx is done (the nodes already registered keep running until Stop).
// Registration errors are retried on the next server until ctx is done.
func (s *Simulator) Start(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.batch.run(s.ctx)
	}()
	sem := make(chan struct{}, s.cfg.RegisterConcurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, n := range s.nodes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := n.registerRetry(ctx); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			s.wg.Add(2)
			go func() { defer s.wg.Done(); n.heartbeatLoop(s.ctx) }()
			go func() { defer s.wg.Done(); n.watchLoop(s.ctx) }()
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return fmt.Errorf("register simulated nodes: %w", firstErr)
	}
	return nil
}

// Stop ends every loop and waits for them; updates not yet sent are
// dropped, and the servers will see the nodes miss their heartbeats.
func (s *Simulator) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.wg.Wait()
	for _, n := range s.nodes {
		n.stopTimers()
	}
}

// Flush sends the queued updates now and reports whether all were
// acknowledged.
func (s *Simulator) Flush(ctx context.Context) bool { return s.batch.flush(ctx) }

// Stats returns a snapshot of the counters.
func (s *Simulator) Stats() Stats {
	c := &s.stats
	return Stats{
		Nodes:           len(s.nodes),
		Registered:      c.registered.Load(),
		RegisterErrors:  c.registerErrors.Load(),
		Heartbeats:      c.heartbeats.Load(),
		HeartbeatErrors: c.heartbeatErrors.Load(),
		Watches:         c.watches.Load(),
		WatchErrors:     c.watchErrors.Load(),
		AllocsSeen:      c.allocsSeen.Load(),
		AllocsReceived:  c.allocsWatched.Load(),
		UpdateCalls:     c.updateCalls.Load(),
		UpdatesSent:     c.updatesSent.Load(),
		UpdateErrors:    c.updateErrors.Load(),
		Running:         c.reportedRunning.Load(),
		Complete:        c.reportedComplete.Load(),
		QueuedUpdates:   s.batch.queued(),
	}
}

// isNotFound reports whether err is a 404 from a server.
func isNotFound(err error) bool { return errors.Is(err, api.ErrNotFound) }

// jobIsBatch reports whether allocations of the job type finish by themselves.
func jobIsBatch(t string) bool { return t == nomadlike.JobTypeBatch || t == nomadlike.JobTypeSysBatch }
