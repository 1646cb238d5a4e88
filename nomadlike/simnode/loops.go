package simnode

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/ctxsleep"
)

// defaultTTL is used until a server has returned a heartbeat TTL.
const defaultTTL = 10 * time.Second

// simNode is one simulated client node.
type simNode struct {
	sim    *Simulator
	idx    int
	node   *nomadlike.Node
	server int // index of the server this node talks to; moves on errors

	mu     sync.Mutex
	ttl    time.Duration
	allocs map[string]*simAlloc
}

func (n *simNode) client() *api.Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sim.clients[n.server]
}

// failover moves the node to the next server after a failed call.
func (n *simNode) failover() {
	n.mu.Lock()
	n.server = (n.server + 1) % len(n.sim.clients)
	n.mu.Unlock()
}

// register registers the node once.
func (n *simNode) register(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := n.client().RegisterNode(cctx, n.node)
	if err != nil {
		n.sim.stats.registerErrors.Add(1)
		n.failover()
		return err
	}
	n.sim.stats.registered.Add(1)
	n.mu.Lock()
	n.ttl = resp.HeartbeatTTL
	n.mu.Unlock()
	return nil
}

// registerRetry registers the node, retrying with backoff until ctx is done.
func (n *simNode) registerRetry(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		err := n.register(ctx)
		if err == nil {
			return nil
		}
		n.sim.cfg.Logger.Debug("register failed; retrying", "node", n.node.Name, "error", err)
		if !ctxsleep.Sleep(ctx, backoff) {
			return err
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// heartbeatLoop renews the node's TTL between half and three quarters of
// the TTL the server returned, so that one late heartbeat does not mark the
// node down. A server that no longer knows the node (404) gets a fresh
// registration.
func (n *simNode) heartbeatLoop(ctx context.Context) {
	r := rand.New(rand.NewPCG(n.sim.cfg.Seed^0x5eed, uint64(n.idx)))
	for {
		n.mu.Lock()
		ttl := n.ttl
		n.mu.Unlock()
		if ttl <= 0 {
			ttl = defaultTTL
		}
		wait := ttl/2 + time.Duration(r.Int64N(int64(ttl/4)+1))
		if !ctxsleep.Sleep(ctx, wait) {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, ttl/4+time.Second)
		resp, err := n.client().Heartbeat(cctx, n.node.ID, n.node.SecretID, nomadlike.NodeStatusReady)
		cancel()
		switch {
		case err == nil:
			n.sim.stats.heartbeats.Add(1)
			n.mu.Lock()
			n.ttl = resp.HeartbeatTTL
			n.mu.Unlock()
		case ctx.Err() != nil:
			return
		case isNotFound(err):
			n.sim.stats.heartbeatErrors.Add(1)
			_ = n.register(ctx)
		default:
			n.sim.stats.heartbeatErrors.Add(1)
			n.sim.cfg.Logger.Debug("heartbeat failed", "node", n.node.Name, "error", err)
			n.failover()
			// Try again soon rather than after another half TTL.
			n.mu.Lock()
			n.ttl = min(ttl, 2*time.Second)
			n.mu.Unlock()
		}
	}
}

// apply makes the transitions of the allocations in changed (new to the
// node or changed by the servers) and forgets the node's allocations that
// are not in present (the servers' whole list for the node).
func (n *simNode) apply(ctx context.Context, present map[string]uint64, changed []*allocView) {
	cfg := &n.sim.cfg
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range changed {
		sa, known := n.allocs[a.ID]
		if !known {
			sa = newSimAlloc(a)
			n.allocs[a.ID] = sa
			n.sim.stats.allocsSeen.Add(1)
			if o := cfg.Observer; o != nil {
				o.AllocSeen(n.node.ID, a.ID, a.JobID, now)
			}
			switch {
			case a.terminal():
				// Finished before this simulator saw it (a restart):
				// nothing to run.
				sa.status = a.ClientStatus
				continue
			case a.ClientStatus == nomadlike.AllocClientStatusRunning:
				// Running before a restart of the simulator: adopt it
				// as a client agent recovers its tasks.
				sa.status = a.ClientStatus
				for _, ts := range sa.tasks {
					ts.State = nomadlike.TaskStateRunning
				}
				if sa.batch {
					n.scheduleLocked(ctx, sa, cfg.RunTime, n.exit)
				}
				continue
			}
			sa.received(now)
			n.startLocked(ctx, sa, now)
			continue
		}
		if sa.terminal() {
			continue
		}
		switch {
		case a.clientTerminal():
			// The servers gave up on it (lost while the node was
			// unreachable): stop pretending, report nothing.
			sa.stopTimer()
			sa.status = a.ClientStatus
		case a.DesiredStatus == nomadlike.AllocDesiredStatusStop || a.DesiredStatus == nomadlike.AllocDesiredStatusEvict:
			sa.stopTimer()
			sa.killed(now)
			n.sim.batch.put(sa.update(n.node.ID))
		}
	}
	for id, sa := range n.allocs {
		if _, ok := present[id]; !ok {
			// Garbage-collected by the servers.
			sa.stopTimer()
			delete(n.allocs, id)
		}
	}
}

// startLocked reports the allocation pending and moves it on: to running
// now or after StartDelay, then for batch jobs to complete after RunTime.
func (n *simNode) startLocked(ctx context.Context, sa *simAlloc, now time.Time) {
	cfg := &n.sim.cfg
	if cfg.StartDelay > 0 {
		n.sim.batch.put(sa.update(n.node.ID))
		n.scheduleLocked(ctx, sa, cfg.StartDelay, n.start)
		return
	}
	sa.started(now)
	if !sa.batch {
		n.sim.batch.put(sa.update(n.node.ID))
		return
	}
	if cfg.RunTime > 0 {
		n.sim.batch.put(sa.update(n.node.ID))
		n.scheduleLocked(ctx, sa, cfg.RunTime, n.exit)
		return
	}
	sa.exited(now)
	n.sim.batch.put(sa.update(n.node.ID))
}

// scheduleLocked runs fn(sa) after d unless the allocation is stopped first.
func (n *simNode) scheduleLocked(ctx context.Context, sa *simAlloc, d time.Duration, fn func(context.Context, *simAlloc)) {
	sa.timer = time.AfterFunc(d, func() { fn(ctx, sa) })
}

// start is the StartDelay timer: the tasks start.
func (n *simNode) start(ctx context.Context, sa *simAlloc) {
	if ctx.Err() != nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if sa.terminal() || sa.status != nomadlike.AllocClientStatusPending {
		return
	}
	sa.timer = nil
	now := time.Now()
	sa.started(now)
	if sa.batch && n.sim.cfg.RunTime == 0 {
		sa.exited(now)
	} else if sa.batch {
		n.scheduleLocked(ctx, sa, n.sim.cfg.RunTime, n.exit)
	}
	n.sim.batch.put(sa.update(n.node.ID))
}

// exit is the RunTime timer: the tasks exit 0.
func (n *simNode) exit(ctx context.Context, sa *simAlloc) {
	if ctx.Err() != nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if sa.terminal() {
		return
	}
	sa.timer = nil
	sa.exited(time.Now())
	n.sim.batch.put(sa.update(n.node.ID))
}

func (n *simNode) stopTimers() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, sa := range n.allocs {
		sa.stopTimer()
	}
}
