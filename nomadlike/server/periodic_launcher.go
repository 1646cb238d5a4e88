package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/internal/ctxsleep"
	"github.com/nomadlike/nomadlike/nomadlike/periodic"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// launchRetryDelay is how long the launcher waits after a failed raft
// write before it tries again.
const launchRetryDelay = time.Second

// periodicLauncher launches the children of periodic jobs. It runs on the
// leader only, as one of the leader's duties, and stops with leadership.
//
// Why it is shaped this way: a launch must happen once per scheduled time,
// whatever happens to leadership, and nothing the launcher keeps in memory
// survives a leader change. So the launcher keeps nothing in memory: every
// pass recomputes, from the replicated state alone, when each job launches
// next, and every launch is one raft entry that writes the child job, its
// evaluation and the job's last-launch record together. The next launch of
// a job is the first time its cron spec names after the later of its last
// launch and its submission (a job registered or changed now does not catch
// up on runs from before). When that time has passed the job is due: the
// launcher launches it at that time, or at the current time when more than
// one run went by (a new leader after an outage launches at most one missed
// run, as Nomad does), and the recorded launch moves the next time into
// the future. A new leader reads the same records after its barrier, so it
// neither repeats the old leader's last launch nor misses the one that came
// due during the election. The child's ID is derived from the launch time,
// and the FSM refuses a child that already exists, so even two servers
// that both believe they lead cannot launch the same run twice. A launch
// skipped because of prohibit_overlap is recorded the same way, without a
// child, so that it is not retried.
//
// Between passes the launcher blocks on the state (a watch on the periodic
// jobs and their launch records: a job registered, changed, stopped or
// launched by force wakes it) and on the clock until the earliest next
// launch. The clock is injectable (Config.Clock), so tests move time
// instead of waiting for it. A failed raft write is retried after
// launchRetryDelay of real time; on lost leadership the context ends the
// loop.
type periodicLauncher struct {
	s      *Server
	clock  Clock
	logger hclog.Logger
	// badSpecs remembers, by job, the JobModifyIndex of a spec already
	// logged as unusable, so that each bad version is logged once.
	badSpecs map[nomadlike.NamespacedID]uint64
}

func newPeriodicLauncher(s *Server) *periodicLauncher {
	return &periodicLauncher{
		s:        s,
		clock:    s.cfg.Clock,
		logger:   s.logger.Named("periodic"),
		badSpecs: map[nomadlike.NamespacedID]uint64{},
	}
}

// run launches due jobs until ctx ends.
func (l *periodicLauncher) run(ctx context.Context) {
	for ctx.Err() == nil {
		ws := state.NewWatchSet()
		wake, err := l.pass(ws)
		if err != nil {
			if ctx.Err() == nil {
				l.logger.Warn("periodic launch failed; retrying", "error", err, "retry_in", launchRetryDelay)
			}
			if !ctxsleep.Sleep(ctx, launchRetryDelay) {
				return
			}
			continue
		}
		l.wait(ctx, ws, wake)
	}
}

// wait blocks until ws fires, the clock reaches wake (never when zero) or
// ctx ends.
func (l *periodicLauncher) wait(ctx context.Context, ws state.WatchSet, wake time.Time) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timerC <-chan time.Time
	if !wake.IsZero() {
		timerC = l.clock.After(wake.Sub(l.clock.Now()))
	}
	select {
	case <-ws.WatchCh(wctx):
	case <-timerC:
	}
}

// pass launches every due job and returns the earliest next launch of the
// others (zero when none). It stops at the first failed write.
func (l *periodicLauncher) pass(ws state.WatchSet) (time.Time, error) {
	st := l.s.fsm.State()
	jobs, err := st.PeriodicJobs(ws)
	if err != nil {
		return time.Time{}, err
	}
	now := l.clock.Now()
	var wake time.Time
	for _, job := range jobs {
		if !job.IsPeriodicActive() {
			continue
		}
		next, due, err := l.schedule(st, ws, job, now)
		if err != nil {
			l.logBadSpec(job, err)
			continue
		}
		if !due.IsZero() {
			if err := l.launch(st, job, due); err != nil {
				return time.Time{}, err
			}
			// The launch record moved: its watch fires and the next
			// pass computes this job's next launch.
			continue
		}
		if !next.IsZero() && (wake.IsZero() || next.Before(wake)) {
			wake = next
		}
	}
	return wake, nil
}

// schedule returns when job launches next, or, when that time has passed,
// the time to launch it at now (due). Both are zero for a spec that names
// no later time.
func (l *periodicLauncher) schedule(st *state.StateStore, ws state.WatchSet, job *nomadlike.Job, now time.Time) (next, due time.Time, err error) {
	sched, err := periodic.Parse(job.Periodic)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	last, err := lastLaunch(st, ws, job)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	next = sched.Next(last)
	if next.IsZero() || next.After(now) {
		return next, time.Time{}, nil
	}
	if after := sched.Next(next); !after.IsZero() && !after.After(now) {
		// More than one run went by: launch one, now.
		return time.Time{}, now.Truncate(time.Second), nil
	}
	return time.Time{}, next, nil
}

// lastLaunch is the later of the job's recorded last launch and its
// submission time.
func lastLaunch(st *state.StateStore, ws state.WatchSet, job *nomadlike.Job) (time.Time, error) {
	last := time.Unix(0, job.SubmitTime)
	rec, err := st.PeriodicLaunchByID(ws, job.Namespace, job.ID)
	if err != nil {
		return time.Time{}, err
	}
	if rec != nil && rec.Launch.After(last) {
		last = rec.Launch
	}
	return last, nil
}

// launch launches job at t, or records the launch as skipped when the job
// prohibits overlap and a child is still running.
func (l *periodicLauncher) launch(st *state.StateStore, job *nomadlike.Job, t time.Time) error {
	if job.Periodic.ProhibitOverlap {
		running, err := liveChild(st, job)
		if err != nil {
			return err
		}
		if running != nil {
			l.logger.Info("skipping periodic launch: the previous child is still running (prohibit_overlap)",
				"job_id", job.ID, "namespace", job.Namespace, "launch", t, "child", running.ID, "child_status", running.Status)
			return l.recordSkip(job, t)
		}
	}
	evalID, _, err := l.s.launchPeriodic(job, t)
	switch {
	case errors.Is(err, nomadlike.ErrConflict):
		// Launched already (a forced launch in the same second, or an
		// earlier leader): record the time so the schedule moves on.
		l.logger.Info("periodic child already exists; not launching it again", "job_id", job.ID, "launch", t)
		return l.recordSkip(job, t)
	case err != nil:
		return fmt.Errorf("launch periodic job %q: %w", job.ID, err)
	}
	l.logger.Info("launched periodic job", "job_id", job.ID, "namespace", job.Namespace,
		"child", nomadlike.PeriodicChildID(job.ID, t), "eval_id", evalID)
	return nil
}

func (l *periodicLauncher) recordSkip(job *nomadlike.Job, t time.Time) error {
	_, err := l.s.raftApply(fsm.PeriodicLaunchRequestType, &fsm.PeriodicLaunchRequest{
		Launch: &nomadlike.PeriodicLaunch{ID: job.ID, Namespace: job.Namespace, Launch: t},
	})
	if err != nil {
		return fmt.Errorf("record skipped launch of %q: %w", job.ID, err)
	}
	return nil
}

// liveChild returns a child of job that is not dead, or nil.
func liveChild(st *state.StateStore, job *nomadlike.Job) (*nomadlike.Job, error) {
	children, err := st.JobsByParent(nil, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range children {
		if c.Status != nomadlike.JobStatusDead {
			return c, nil
		}
	}
	return nil, nil
}

func (l *periodicLauncher) logBadSpec(job *nomadlike.Job, err error) {
	key := job.NamespacedID()
	if l.badSpecs[key] == job.JobModifyIndex {
		return
	}
	l.badSpecs[key] = job.JobModifyIndex
	l.logger.Error("periodic job has an unusable schedule; not launching it", "job_id", job.ID, "namespace", job.Namespace, "error", err)
}
