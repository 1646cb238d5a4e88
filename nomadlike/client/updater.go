package client

import (
	"context"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// updater sends allocation status updates to the servers. Alloc runners
// hand it every change (AllocStateUpdated never blocks). A change goes out
// at once when no send is in flight; changes made while one is in flight
// are coalesced (the latest state of each allocation) and go out together
// as soon as it returns, so a busy client sends one batch per round trip
// and an idle one adds no delay. A failed call puts its allocations back
// unless a newer state arrived meanwhile, so nothing is lost and nothing
// goes backwards; the next try waits out a backoff.
type updater struct {
	servers  ServerAPI
	secretID string // the node's, which authenticates the updates
	minRetry time.Duration
	maxRetry time.Duration
	logger   hclog.Logger

	mu      sync.Mutex
	pending map[string]*nomadlike.Allocation
	kickCh  chan struct{} // signalled when pending gains an entry
	sendMu  sync.Mutex    // one UpdateAllocs call at a time
}

func newUpdater(s ServerAPI, secretID string, minRetry, maxRetry time.Duration, logger hclog.Logger) *updater {
	return &updater{servers: s, secretID: secretID, minRetry: minRetry, maxRetry: maxRetry, logger: logger,
		pending: map[string]*nomadlike.Allocation{}, kickCh: make(chan struct{}, 1)}
}

// AllocStateUpdated implements allocrunner.StateUpdater.
func (u *updater) AllocStateUpdated(a *nomadlike.Allocation) {
	// Only what the client owns goes to the servers.
	s := &nomadlike.Allocation{
		ID: a.ID, NodeID: a.NodeID, JobID: a.JobID, Namespace: a.Namespace, TaskGroup: a.TaskGroup, Name: a.Name, EvalID: a.EvalID,
		ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription, TaskStates: a.TaskStates,
		// The client's verdict on the allocation's health in its deployment.
		DeploymentID: a.DeploymentID, DeploymentStatus: a.DeploymentStatus,
		ModifyTime:    time.Now().UnixNano(),
		NetworkStatus: a.NetworkStatus, // bridge networking
	}
	u.mu.Lock()
	u.pending[a.ID] = s
	u.mu.Unlock()
	u.kick()
}

// run sends pending changes until ctx ends.
func (u *updater) run(ctx context.Context) {
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.kickCh:
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
			u.kick()
			continue
		}
		failures = 0
	}
}

// kick makes run look at pending again.
func (u *updater) kick() {
	select {
	case u.kickCh <- struct{}{}:
	default:
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
	if _, err := u.servers.UpdateAllocs(cctx, u.secretID, list); err != nil {
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
