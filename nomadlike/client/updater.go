package client

import (
	"context"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// updater batches allocation status updates for the servers. Alloc runners
// hand it every change (AllocStateUpdated never blocks); each interval the
// latest state of every changed allocation goes out in one UpdateAllocs
// call. A failed call puts its allocations back unless a newer state
// arrived meanwhile, so nothing is lost and nothing goes backwards.
type updater struct {
	servers  ServerAPI
	interval time.Duration
	minRetry time.Duration
	maxRetry time.Duration
	logger   hclog.Logger

	mu      sync.Mutex
	pending map[string]*nomadlike.Allocation
	sendMu  sync.Mutex // one UpdateAllocs call at a time
}

func newUpdater(s ServerAPI, interval, minRetry, maxRetry time.Duration, logger hclog.Logger) *updater {
	return &updater{servers: s, interval: interval, minRetry: minRetry, maxRetry: maxRetry, logger: logger, pending: map[string]*nomadlike.Allocation{}}
}

// AllocStateUpdated implements allocrunner.StateUpdater.
func (u *updater) AllocStateUpdated(a *nomadlike.Allocation) {
	// Only what the client owns goes to the servers.
	s := &nomadlike.Allocation{
		ID: a.ID, NodeID: a.NodeID, JobID: a.JobID, Namespace: a.Namespace, TaskGroup: a.TaskGroup, Name: a.Name, EvalID: a.EvalID,
		ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription, TaskStates: a.TaskStates,
		ModifyTime: time.Now().UnixNano(),
	}
	u.mu.Lock()
	u.pending[a.ID] = s
	u.mu.Unlock()
}

func (u *updater) run(ctx context.Context) {
	t := time.NewTicker(u.interval)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := u.flush(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			d := backoff(failures, u.minRetry, u.maxRetry)
			u.logger.Warn("cannot send allocation updates, retrying", "error", err, "retry_in", d)
			wait := time.NewTimer(d)
			select {
			case <-ctx.Done():
				wait.Stop()
				return
			case <-wait.C:
			}
			continue
		}
		failures = 0
	}
}

// flush sends what is pending in one batch.
func (u *updater) flush(ctx context.Context) error {
	u.sendMu.Lock()
	defer u.sendMu.Unlock()
	u.mu.Lock()
	if len(u.pending) == 0 {
		u.mu.Unlock()
		return nil
	}
	batch := u.pending
	u.pending = map[string]*nomadlike.Allocation{}
	u.mu.Unlock()

	list := make([]*nomadlike.Allocation, 0, len(batch))
	for _, a := range batch {
		list = append(list, a)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := u.servers.UpdateAllocs(cctx, list); err != nil {
		u.mu.Lock()
		for id, a := range batch {
			if _, newer := u.pending[id]; !newer {
				u.pending[id] = a
			}
		}
		u.mu.Unlock()
		return err
	}
	return nil
}
