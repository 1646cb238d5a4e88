package simnode

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// batcher coalesces allocation status updates of all simulated nodes and
// sends them in batched UpdateAllocs calls, one node's allocations per
// call since the call is authenticated by that node's SecretID.
//
// Why one goroutine that takes everything queued at each tick and waits for
// the batches it sent: an allocation's updates then reach the servers in
// order (a "running" in flight is acknowledged before the "complete" that
// replaced it is sent), and while the servers are slow, more transitions
// coalesce into the next tick instead of piling up as requests.
type batcher struct {
	clients  []*api.Client
	interval time.Duration
	maxBatch int
	workers  int
	logger   hclog.Logger
	observer Observer
	stats    *counters
	// secrets maps node IDs to their SecretID; filled before run.
	secrets map[string]string

	mu      sync.Mutex
	pending map[string]*nomadlike.Allocation
	kickCh  chan struct{}
	next    atomic.Uint64 // round-robin over clients
}

func newBatcher(clients []*api.Client, cfg *Config, stats *counters) *batcher {
	return &batcher{
		clients: clients, interval: cfg.UpdateInterval, maxBatch: cfg.MaxBatch, workers: cfg.UpdateWorkers,
		logger: cfg.Logger.Named("updates"), observer: cfg.Observer, stats: stats,
		pending: map[string]*nomadlike.Allocation{}, kickCh: make(chan struct{}, 1),
		secrets: map[string]string{},
	}
}

// put queues u, replacing an update of the same allocation not yet sent.
func (b *batcher) put(u *nomadlike.Allocation) {
	b.mu.Lock()
	b.pending[u.ID] = u
	full := len(b.pending) >= b.maxBatch*b.workers
	b.mu.Unlock()
	if full {
		select {
		case b.kickCh <- struct{}{}:
		default:
		}
	}
}

// requeue puts back the updates of a failed batch unless newer ones came.
func (b *batcher) requeue(us []*nomadlike.Allocation) {
	b.mu.Lock()
	for _, u := range us {
		if _, newer := b.pending[u.ID]; !newer {
			b.pending[u.ID] = u
		}
	}
	b.mu.Unlock()
}

func (b *batcher) take() []*nomadlike.Allocation {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		return nil
	}
	out := make([]*nomadlike.Allocation, 0, len(b.pending))
	for _, u := range b.pending {
		out = append(out, u)
	}
	clear(b.pending)
	return out
}

// queued returns the number of updates waiting to be sent.
func (b *batcher) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

// run sends batches until ctx is done.
func (b *batcher) run(ctx context.Context) {
	tick := time.NewTicker(b.interval)
	defer tick.Stop()
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-b.kickCh:
		}
		if backoff > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if b.flush(ctx) {
			backoff = 0
		} else {
			backoff = min(max(2*backoff, 100*time.Millisecond), 2*time.Second)
		}
	}
}

// flush sends everything queued; it reports whether every batch succeeded.
func (b *batcher) flush(ctx context.Context) bool {
	all := b.take()
	if len(all) == 0 {
		return true
	}
	sem := make(chan struct{}, b.workers)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for _, batch := range b.perNode(all) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := b.send(ctx, batch); err != nil {
				failed.Store(true)
				b.requeue(batch)
				if ctx.Err() == nil {
					b.stats.updateErrors.Add(1)
					b.logger.Warn("alloc update failed; will retry", "allocs", len(batch), "error", err)
				}
			}
		}()
	}
	wg.Wait()
	return !failed.Load()
}

// perNode splits updates into batches of at most maxBatch allocations of
// one node each.
func (b *batcher) perNode(all []*nomadlike.Allocation) [][]*nomadlike.Allocation {
	byNode := map[string][]*nomadlike.Allocation{}
	var order []string
	for _, u := range all {
		if _, ok := byNode[u.NodeID]; !ok {
			order = append(order, u.NodeID)
		}
		byNode[u.NodeID] = append(byNode[u.NodeID], u)
	}
	var out [][]*nomadlike.Allocation
	for _, id := range order {
		us := byNode[id]
		for start := 0; start < len(us); start += b.maxBatch {
			out = append(out, us[start:min(start+b.maxBatch, len(us))])
		}
	}
	return out
}

// send sends one node's batch with the node's secret.
func (b *batcher) send(ctx context.Context, batch []*nomadlike.Allocation) error {
	c := b.clients[b.next.Add(1)%uint64(len(b.clients))]
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := c.UpdateAllocs(cctx, b.secrets[batch[0].NodeID], batch); err != nil {
		return err
	}
	now := time.Now()
	b.stats.updateCalls.Add(1)
	b.stats.updatesSent.Add(uint64(len(batch)))
	for _, u := range batch {
		switch u.ClientStatus {
		case nomadlike.AllocClientStatusRunning:
			b.stats.reportedRunning.Add(1)
		case nomadlike.AllocClientStatusComplete:
			b.stats.reportedComplete.Add(1)
		}
		if b.observer != nil {
			b.observer.AllocReported(u.ID, u.JobID, u.ClientStatus, now)
		}
	}
	return nil
}
