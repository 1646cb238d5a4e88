package drivermanager

import (
	"os"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers/proc"
)

// When a driver plugin process dies, the task processes it started (exec and
// raw_exec tasks are its children) would be adopted by init, which reaps them
// and loses their exit status. The agent makes itself a child subreaper so
// that it adopts them instead, and leaves an exited orphan a zombie for
// orphanGrace: the relaunched plugin recovers the task and reads its real
// exit status from the zombie (proc.ZombieExit). Then the agent reaps it.
const (
	orphanGrace    = 2 * time.Minute
	orphanInterval = 15 * time.Second
)

var subreaperOnce sync.Once

// adoptOrphans makes this process a child subreaper and starts reaping the
// orphans it adopts (once per process; it lasts as long as the process).
func adoptOrphans(logger hclog.Logger) {
	subreaperOnce.Do(func() {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			logger.Warn("cannot become child subreaper: tasks of a driver plugin that dies will report exit code -1", "error", err)
			return
		}
		go reapOrphans(os.Getpid(), orphanGrace, orphanInterval)
	})
}

// reapOrphans reaps the zombie children of pid self that stayed zombies for
// at least grace. The agent's own children (plugin processes, commands) are
// reaped at once by the goroutine that waits for them, so only adopted
// orphans stay that long.
func reapOrphans(self int, grace, every time.Duration) {
	seen := map[int]time.Time{}
	t := time.NewTicker(every)
	defer t.Stop()
	for now := range t.C {
		zombies := map[int]bool{}
		for _, pid := range proc.ZombieChildren(self) {
			zombies[pid] = true
			first, ok := seen[pid]
			if !ok {
				seen[pid] = now
				continue
			}
			if now.Sub(first) >= grace {
				var ws unix.WaitStatus
				_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
				delete(seen, pid)
			}
		}
		for pid := range seen {
			if !zombies[pid] {
				delete(seen, pid)
			}
		}
	}
}
