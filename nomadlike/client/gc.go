package client

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/nomadlike/client/allocrunner"
)

// The client's garbage collector, with Nomad's knobs and defaults: every
// GCInterval, terminal allocations (every task finished) are destroyed,
// oldest first by when they finished, while the client tracks more than
// GCMaxAllocs allocations or the file system of <data_dir>/alloc is over
// GCDiskUsageThreshold percent of its blocks or GCInodeUsageThreshold
// percent of its inodes. Allocations the servers forget are destroyed at
// once (watch.go). Destroying waits for the tasks to stop and the drivers
// to release them, keeps the logs (retained.go), then removes the directory
// beneath its descriptor (beneath.RemoveAll: links are removed, not
// followed; mounts are not entered).

// ErrNotTerminal is returned for a GC of an allocation with tasks not dead.
var ErrNotTerminal = errors.New("allocation is not terminal")

// GCConfig is the client's garbage collection and log retention. Zero
// values take the defaults.
type GCConfig struct {
	// Interval between collections (gc_interval, 1m).
	Interval time.Duration
	// MaxAllocs is how many allocations the client tracks before it
	// collects terminal ones (gc_max_allocs, 50).
	MaxAllocs int
	// DiskUsageThreshold and InodeUsageThreshold are percentages of the
	// alloc dir's file system above which terminal allocations are
	// collected (gc_disk_usage_threshold 80, gc_inode_usage_threshold 70).
	DiskUsageThreshold  float64
	InodeUsageThreshold float64
	// ParallelDestroys bounds concurrent destroys (gc_parallel_destroys, 2).
	ParallelDestroys int
	// LogRetention is how long a finished allocation's task logs stay
	// readable after it finished (log_retention.period, 24h);
	// LogRetentionMaxBytes bounds them all (log_retention.max_bytes, 1 GiB).
	// A negative value turns retention off.
	LogRetention         time.Duration
	LogRetentionMaxBytes int64
	// Usage measures the alloc dir's file system; statfs by default.
	Usage func(path string) (Usage, error)
}

// Usage is a file system's fill, in percent.
type Usage struct {
	DiskPercent  float64
	InodePercent float64
}

func (g *GCConfig) setDefaults() {
	if g.Interval <= 0 {
		g.Interval = time.Minute
	}
	if g.MaxAllocs <= 0 {
		g.MaxAllocs = 50
	}
	if g.DiskUsageThreshold <= 0 {
		g.DiskUsageThreshold = 80
	}
	if g.InodeUsageThreshold <= 0 {
		g.InodeUsageThreshold = 70
	}
	if g.ParallelDestroys <= 0 {
		g.ParallelDestroys = 2
	}
	if g.LogRetention == 0 {
		g.LogRetention = 24 * time.Hour
	}
	if g.LogRetentionMaxBytes == 0 {
		g.LogRetentionMaxBytes = 1 << 30
	}
	if g.Usage == nil {
		g.Usage = statfsUsage
	}
}

// Validate reports a setting out of range.
func (g *GCConfig) Validate() error {
	switch {
	case g.DiskUsageThreshold > 100:
		return fmt.Errorf("%w: gc_disk_usage_threshold %v is above 100", ErrInvalidConfig, g.DiskUsageThreshold)
	case g.InodeUsageThreshold > 100:
		return fmt.Errorf("%w: gc_inode_usage_threshold %v is above 100", ErrInvalidConfig, g.InodeUsageThreshold)
	}
	return nil
}

func statfsUsage(path string) (Usage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return Usage{}, err
	}
	var u Usage
	if st.Blocks > 0 {
		u.DiskPercent = 100 * float64(st.Blocks-st.Bavail) / float64(st.Blocks)
	}
	if st.Files > 0 {
		u.InodePercent = 100 * float64(st.Files-st.Ffree) / float64(st.Files)
	}
	return u, nil
}

// gcCandidate is a terminal allocation and when it became terminal.
type gcCandidate struct {
	id       string
	terminal time.Time
}

// gcReason says why one more terminal allocation must go ("" for none).
func (g *GCConfig) gcReason(total int, u Usage) string {
	switch {
	case total > g.MaxAllocs:
		return fmt.Sprintf("%d allocations are more than gc_max_allocs %d", total, g.MaxAllocs)
	case u.DiskPercent > g.DiskUsageThreshold:
		return fmt.Sprintf("disk usage %.1f%% is above gc_disk_usage_threshold %.0f%%", u.DiskPercent, g.DiskUsageThreshold)
	case u.InodePercent > g.InodeUsageThreshold:
		return fmt.Sprintf("inode usage %.1f%% is above gc_inode_usage_threshold %.0f%%", u.InodePercent, g.InodeUsageThreshold)
	}
	return ""
}

// plan collects candidates oldest first while a reason holds; usage is
// measured again after each one. destroy removes one allocation; those
// over gc_max_allocs go ParallelDestroys at a time. It returns the IDs
// collected, in order.
func (g *GCConfig) plan(cands []gcCandidate, total int, usage func() (Usage, error), destroy func(id string)) ([]string, error) {
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].terminal.Before(cands[j].terminal) })
	var done []string
	// Over the count: the number to go is known, destroy them in parallel.
	if n := min(total-g.MaxAllocs, len(cands)); n > 0 {
		batch := cands[:n]
		cands = cands[n:]
		sem := make(chan struct{}, g.ParallelDestroys)
		var wg sync.WaitGroup
		for _, c := range batch {
			sem <- struct{}{}
			wg.Add(1)
			go func(id string) {
				defer func() { <-sem; wg.Done() }()
				destroy(id)
			}(c.id)
			done = append(done, c.id)
		}
		wg.Wait()
		total -= n
	}
	for len(cands) > 0 {
		u, err := usage()
		if err != nil {
			return done, err
		}
		if g.gcReason(total, u) == "" {
			break
		}
		destroy(cands[0].id)
		done = append(done, cands[0].id)
		cands = cands[1:]
		total--
	}
	return done, nil
}

// terminalSince returns when ar's allocation became terminal (its last
// task's finish) and whether it is: every task finished and the runner
// returned.
func terminalSince(ar *allocrunner.AllocRunner) (time.Time, bool) {
	select {
	case <-ar.WaitCh():
	default:
		return time.Time{}, false
	}
	var t time.Time
	for _, s := range ar.Alloc().TaskStates {
		if s.FinishedAt.After(t) {
			t = s.FinishedAt.Time
		}
	}
	return t, true
}

// gcCandidates lists the terminal allocations and how many are tracked.
func (c *Client) gcCandidates() ([]gcCandidate, int) {
	c.runnersMu.RLock()
	defer c.runnersMu.RUnlock()
	var out []gcCandidate
	for id, ar := range c.runners {
		if t, ok := terminalSince(ar); ok {
			out = append(out, gcCandidate{id: id, terminal: t})
		}
	}
	return out, len(c.runners)
}

// collect runs one collection; all collects every terminal allocation.
func (c *Client) collect(all bool) []string {
	c.gcMu.Lock()
	defer c.gcMu.Unlock()
	g := c.cfg.GC
	cands, total := c.gcCandidates()
	if all {
		g.MaxAllocs = 0
		total = len(cands)
	}
	done, err := g.plan(cands, total, func() (Usage, error) { return g.Usage(c.allocsDir()) }, func(id string) {
		c.destroyAlloc(id, "garbage collection")
	})
	if err != nil {
		c.logger.Warn("cannot measure the alloc dir's file system", "error", err)
	}
	c.retained.Prune()
	return done
}

// destroyAlloc forgets a runner and destroys it (blocking).
func (c *Client) destroyAlloc(id, why string) {
	c.runnersMu.Lock()
	ar := c.runners[id]
	delete(c.runners, id)
	c.collected[id] = true
	c.runnersMu.Unlock()
	if ar == nil {
		return
	}
	c.logger.Info("destroying allocation", "alloc_id", id, "reason", why)
	ar.Destroy()
}

// wasCollected reports whether the client destroyed id already, so the
// servers' list must not start it again.
func (c *Client) wasCollected(id string) bool {
	c.runnersMu.RLock()
	done := c.collected[id]
	c.runnersMu.RUnlock()
	if done {
		return true
	}
	_, ok := c.retained.Lookup(id)
	return ok
}

func (c *Client) gcLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.GC.Interval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			if ids := c.collect(false); len(ids) > 0 {
				c.logger.Info("garbage collected allocations", "count", len(ids))
			}
		}
	}
}

// retainHook keeps an allocation's logs when it is destroyed.
type retainHook struct {
	c  *Client
	ar *allocrunner.AllocRunner
}

func (h *retainHook) Name() string { return "retain_logs" }

func (h *retainHook) Destroy() error {
	if h.ar == nil || h.c.retained == nil {
		return nil
	}
	a := h.ar.Alloc()
	finished, _ := terminalSince(h.ar)
	if finished.IsZero() {
		finished = time.Now()
	}
	return h.c.retained.Retain(a, h.ar.TaskNames(), finished, h.ar.AllocDir())
}

// handleGC is PUT /v1/client/gc: collect every terminal allocation.
func (c *Client) handleGC(w http.ResponseWriter, _ *http.Request) {
	c.collect(true)
	w.WriteHeader(http.StatusOK)
}

// handleAllocGC is PUT /v1/client/allocation/:id/gc.
func (c *Client) handleAllocGC(w http.ResponseWriter, r *http.Request) {
	ar, err := c.lookup(r)
	if err != nil {
		httpError(w, err)
		return
	}
	if _, ok := terminalSince(ar); !ok {
		httpError(w, fmt.Errorf("allocation %s: %w", ar.ID(), ErrNotTerminal))
		return
	}
	c.gcMu.Lock()
	c.destroyAlloc(ar.ID(), "garbage collection requested")
	c.gcMu.Unlock()
	w.WriteHeader(http.StatusOK)
}
