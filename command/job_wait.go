package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Exit codes of the commands that wait for a job's outcome (`job wait`,
// `job run -wait`, `job dispatch -wait`, `job rerun -wait`). 1 (an error)
// and 2 (could not place) are Nomad's.
const (
	exitJobFailed   = 3 // a shard's latest attempt failed
	exitJobStopped  = 4 // the job, or a shard, was stopped
	exitWaitTimeout = 5 // -timeout passed before the job finished
)

// stderrTailBytes is how much of a failed shard's stderr the end report shows.
const stderrTailBytes = 2048

// waitFlags are the flags of the commands that can wait for the outcome.
func waitFlags(withWait bool) []cli.Flag {
	flags := []cli.Flag{&cli.DurationFlag{Name: "timeout", Usage: "stop waiting after `DURATION` (exit 5); 0 waits until the job finishes"}}
	if withWait {
		flags = append(flags, &cli.BoolFlag{Name: "wait", Usage: "wait for the job to finish and exit with its outcome (0 succeeded, 3 failed, 4 stopped)"})
	}
	return flags
}

func jobWaitCommand() *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "Wait for a batch job to finish and exit with its outcome",
		ArgsUsage: "JOB",
		Description: "Follows a batch or sysbatch job (ID or unique prefix; a dispatched or periodic\n" +
			"child too) with one line per task group when its counts change (running,\n" +
			"succeeded, failed, queued), through blocking queries. At the end it prints the\n" +
			"outcome and, for each failed index, its allocation, exit code and the last lines\n" +
			"of its stderr. Exit codes: 0 succeeded, 1 error, 2 could not place, 3 failed,\n" +
			"4 stopped, 5 -timeout passed.",
		Flags: append([]cli.Flag{addressFlag(), verboseFlag()}, waitFlags(false)...),
		Action: func(c *cli.Context) error {
			client, ctx, id, err := jobArg(c, "job wait")
			if err != nil {
				return err
			}
			return waitJob(c, ctx, client, id, true)
		},
	}
}

// waitJob follows job id until it is dead and turns its outcome into the
// exit code. checkPlacement makes a blocked evaluation (placement failure)
// end the wait with exit 2, as `job run` does.
func waitJob(c *cli.Context, ctx context.Context, client *api.Client, id string, checkPlacement bool) error {
	w := c.App.Writer
	if d := c.Duration("timeout"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	if checkPlacement {
		if code, err := placementFailed(ctx, w, client, id); err != nil || code != 0 {
			if err != nil {
				return agentError(c, fmt.Sprintf("read evaluations of job %q", id), err)
			}
			return withCode(code, fmt.Errorf("job %q: not every allocation was placed", id))
		}
	}
	fmt.Fprintf(w, "==> %s: Waiting for job %q\n", now(), id)
	job, allocs, err := followJob(ctx, w, client, id)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && cmdContext(c).Err() == nil {
			return withCode(exitWaitTimeout, fmt.Errorf("job %q did not finish within -timeout %s", id, c.Duration("timeout")))
		}
		return agentError(c, fmt.Sprintf("wait for job %q", id), err)
	}
	return reportOutcome(cmdContext(c), w, client, job, allocs, c.Bool("verbose"))
}

// placementFailed prints the placement failure of the job's newest
// evaluation and returns exitPlacementError when one is blocked.
func placementFailed(ctx context.Context, w io.Writer, client *api.Client, id string) (int, error) {
	evals, _, err := client.Jobs().Evaluations(ctx, id, nil)
	if err != nil {
		return 0, err
	}
	latest := latestFailedEval(evals)
	if latest == nil || blockedEval(evals) == nil {
		return 0, nil
	}
	fmt.Fprintln(w, "==> Placement Failure")
	formatFailedTGAllocs(w, latest.FailedTGAllocs, "    ")
	return exitPlacementError, nil
}

// jobUpdate is one answer of a blocking query of followJob.
type jobUpdate struct {
	job    *nomadlike.Job
	allocs []*nomadlike.AllocListStub
	err    error
}

// followJob runs two blocking queries, on the job (for its status) and on
// its allocations (for progress), and prints a line per group whenever its
// counts change, until the job is dead. It returns the final job and
// allocations, or ctx's error.
func followJob(ctx context.Context, w io.Writer, client *api.Client, id string) (*nomadlike.Job, []*nomadlike.AllocListStub, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan jobUpdate)
	send := func(u jobUpdate) bool {
		select {
		case ch <- u:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		var idx uint64
		for {
			job, qm, err := client.Jobs().Info(ctx, id, &api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Minute})
			if !send(jobUpdate{job: job, err: err}) || err != nil {
				return
			}
			idx = qm.LastIndex
		}
	}()
	go func() {
		var idx uint64
		for {
			allocs, qm, err := client.Jobs().Allocations(ctx, id, false, &api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Minute})
			if !send(jobUpdate{allocs: allocs, err: err}) || err != nil {
				return
			}
			idx = qm.LastIndex
		}
	}()
	var job *nomadlike.Job
	var allocs []*nomadlike.AllocListStub
	haveAllocs := false
	printed := map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case u := <-ch:
			if u.err != nil {
				if ctx.Err() != nil {
					return nil, nil, ctx.Err()
				}
				return nil, nil, u.err
			}
			if u.job != nil {
				job = u.job
			} else {
				allocs, haveAllocs = u.allocs, true
			}
		}
		if job == nil || !haveAllocs {
			continue
		}
		if job.Type != nomadlike.JobTypeBatch && job.Type != nomadlike.JobTypeSysBatch {
			return nil, nil, fmt.Errorf("job %q is a %s job: only batch and sysbatch jobs finish", id, job.Type)
		}
		if job.Status == nomadlike.JobStatusDead && (job.Outcome != nil || job.Stop) {
			// The two queries answer in any order: read the allocations
			// again, after the job, so that they are at least as new.
			fresh, _, err := client.Jobs().Allocations(ctx, id, false, nil)
			if err != nil {
				return nil, nil, err
			}
			printProgress(w, job, fresh, printed)
			return job, fresh, nil
		}
		printProgress(w, job, allocs, printed)
	}
}

// stubAllocs turns list stubs into the allocations nomadlike.Shards reads.
func stubAllocs(stubs []*nomadlike.AllocListStub) []*nomadlike.Allocation {
	out := make([]*nomadlike.Allocation, 0, len(stubs))
	for _, s := range stubs {
		out = append(out, &nomadlike.Allocation{ID: s.ID, Name: s.Name, NodeID: s.NodeID, NodeName: s.NodeName,
			JobID: s.JobID, TaskGroup: s.TaskGroup, DesiredStatus: s.DesiredStatus, ClientStatus: s.ClientStatus,
			TaskStates: s.TaskStates, CreateIndex: s.CreateIndex, ModifyIndex: s.ModifyIndex,
			CreateTime: s.CreateTime, ModifyTime: s.ModifyTime})
	}
	return out
}

// groupProgress counts a group's shards: running, succeeded, failed,
// stopped and queued (not placed yet, or placed and not started).
type groupProgress struct{ running, succeeded, failed, stopped, queued int }

func (p groupProgress) String() string {
	s := fmt.Sprintf("running %d, succeeded %d, failed %d, queued %d", p.running, p.succeeded, p.failed, p.queued)
	if p.stopped > 0 {
		s += fmt.Sprintf(", stopped %d", p.stopped)
	}
	return s
}

func progressByGroup(job *nomadlike.Job, allocs []*nomadlike.AllocListStub) map[string]*groupProgress {
	out := map[string]*groupProgress{}
	for _, tg := range job.TaskGroups {
		out[tg.Name] = &groupProgress{}
	}
	for _, s := range nomadlike.Shards(job, stubAllocs(allocs)) {
		p := out[s.TaskGroup]
		if p == nil {
			continue
		}
		switch {
		case s.Result == nomadlike.OutcomeSucceeded:
			p.succeeded++
		case s.Result == nomadlike.OutcomeStopped:
			p.stopped++
		case s.Result == nomadlike.OutcomeFailed && s.Latest != nil:
			p.failed++
		case s.Latest != nil && s.Latest.ClientStatus == nomadlike.AllocClientStatusRunning:
			p.running++
		default:
			p.queued++
		}
	}
	return out
}

// printProgress prints a line for each group whose counts changed since the
// last line printed for it.
func printProgress(w io.Writer, job *nomadlike.Job, allocs []*nomadlike.AllocListStub, printed map[string]string) {
	progress := progressByGroup(job, allocs)
	for _, tg := range sortedKeys(progress) {
		line := progress[tg].String()
		if printed[tg] == line {
			continue
		}
		printed[tg] = line
		fmt.Fprintf(w, "    %s: Group %q: %s\n", now(), tg, line)
	}
}

// reportOutcome prints the outcome of a finished job and each failed
// index's allocation, exit code and stderr tail, and returns the exit code.
func reportOutcome(ctx context.Context, w io.Writer, client *api.Client, job *nomadlike.Job, stubs []*nomadlike.AllocListStub, verbose bool) error {
	o := job.Outcome
	if o == nil {
		o = &nomadlike.JobOutcome{Status: nomadlike.OutcomeStopped}
	}
	fmt.Fprintf(w, "==> %s: Job %q %s\n", now(), job.ID, outcomeString(o))
	skipped := skippedGroups(job, stubAllocs(stubs)) // nomadlike's depends_on (job_status_pipeline.go)
	for _, s := range nomadlike.Shards(job, stubAllocs(stubs)) {
		if s.Result != nomadlike.OutcomeFailed {
			continue
		}
		name := nomadlike.AllocName(job.ID, s.TaskGroup, s.Index)
		if reason, ok := skipped[s.TaskGroup]; ok && s.Latest == nil {
			fmt.Fprintf(w, "    %s: skipped (%s)\n", name, reason)
			continue
		}
		if s.Latest == nil {
			fmt.Fprintf(w, "    %s: never placed\n", name)
			continue
		}
		fmt.Fprintf(w, "    %s: allocation %s failed (%d attempts)\n", s.Latest.Name, shortID(s.Latest.ID, verbose), s.Attempts)
		for _, task := range sortedKeys(s.Latest.TaskStates) {
			ts := s.Latest.TaskStates[task]
			if ts == nil || !ts.Failed {
				continue
			}
			fmt.Fprintf(w, "      task %q: %s\n", task, exitDescription(ts))
			if tail := stderrTail(ctx, client, s.Latest.ID, task); tail != "" {
				for _, line := range strings.Split(tail, "\n") {
					fmt.Fprintf(w, "        | %s\n", line)
				}
			}
		}
	}
	switch o.Status {
	case nomadlike.OutcomeSucceeded:
		return nil
	case nomadlike.OutcomeFailed, nomadlike.OutcomeSkipped: // skipped: nomadlike's job depends_on
		return quietExit(exitJobFailed, "job failed")
	default:
		return quietExit(exitJobStopped, "job stopped")
	}
}

// outcomeString is "succeeded (50 of 50)", "failed: 3 of 50" or
// "stopped: 2 of 50", as job status shows it after "dead".
func outcomeString(o *nomadlike.JobOutcome) string {
	switch o.Status {
	case nomadlike.OutcomeFailed:
		return fmt.Sprintf("failed: %d of %d", o.Failed, o.Total)
	case nomadlike.OutcomeStopped:
		return fmt.Sprintf("stopped: %d of %d", o.Stopped, o.Total)
	case nomadlike.OutcomeSkipped: // nomadlike's job-level depends_on
		return fmt.Sprintf("skipped (%s)", o.Reason)
	}
	return fmt.Sprintf("succeeded: %d of %d", o.Succeeded, o.Total)
}

// exitDescription describes how a failed task ended: its last exit
// ("exit code 3", with the signal when there was one), else the message of
// its last event that failed it or a driver error.
func exitDescription(ts *nomadlike.TaskState) string {
	for i := len(ts.Events) - 1; i >= 0; i-- {
		if e := ts.Events[i]; e.Type == nomadlike.TaskEventTerminated {
			if e.Signal != 0 {
				return fmt.Sprintf("exit code %d, signal %d", e.ExitCode, e.Signal)
			}
			return fmt.Sprintf("exit code %d", e.ExitCode)
		}
	}
	for i := len(ts.Events) - 1; i >= 0; i-- {
		e := ts.Events[i]
		switch {
		case e.DriverError != "":
			return "driver error: " + e.DriverError
		case e.FailsTask && e.DisplayMessage != "":
			return e.DisplayMessage
		}
	}
	return "failed"
}

// stderrTail returns the last lines of a task's stderr (at most
// stderrTailBytes, starting at a line), "" when it cannot be read.
func stderrTail(ctx context.Context, client *api.Client, allocID, task string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rc, err := client.Allocations().Logs(ctx, allocID, api.LogsOptions{Task: task, Type: "stderr", Origin: "end", Offset: stderrTailBytes})
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, stderrTailBytes+1))
	if err != nil && len(b) == 0 {
		return ""
	}
	s := string(b)
	if len(b) >= stderrTailBytes {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return strings.TrimRight(s, "\n") // the app's writer escapes control bytes
}
