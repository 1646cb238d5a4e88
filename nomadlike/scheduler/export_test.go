package scheduler

import "github.com/nomadlike/nomadlike/nomadlike"

// JobHeld is the scheduler's per-evaluation check of whether job must wait
// (job-level depends_on, max_concurrent), for the benchmarks.
func JobHeld(st State, job *nomadlike.Job) (bool, error) {
	return (&genericScheduler{state: st}).jobHeld(job)
}
