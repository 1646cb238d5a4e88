package server

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// lookupJob is a nomadlike.JobLookup over the current state.
func (s *Server) lookupJob(ns, id string) *nomadlike.Job {
	j, err := s.fsm.State().JobByID(nil, ns, id)
	if err != nil {
		return nil
	}
	return j
}

// checkJobDependencies is the registration check of nomadlike's job-level
// depends_on: the named jobs exist, no cycle. A registration clears an
// earlier SkipReason: running the job again lets it wait anew.
func (s *Server) checkJobDependencies(job *nomadlike.Job) error {
	job.SkipReason = ""
	if len(job.DependsOn) == 0 {
		return nil
	}
	s.jobDepsUsed.Store(true)
	return nomadlike.CheckJobDependencies(job, s.lookupJob)
}

// settleDependents reacts to a job that may have finished: every pending
// job of its namespace that depends on it is evaluated when all its
// dependencies are met, or skipped when one can no longer be; a skipped job
// finishes too, so its own dependents are settled in turn.
func (s *Server) settleDependents(ns, id string) {
	s.settleDependentsOf(ns, []string{id})
}

// settleDependentsOf is settleDependents for several jobs of one namespace
// with ONE pass over the namespace's jobs: a stream of short batch jobs
// finishes hundreds a second, and a pass per finished job made the leader's
// work grow with the square of the jobs stored (27% of its CPU at 10,000
// jobs, BENCHMARKS.md round 5). Dependents are read again before they are
// settled, so a job settled earlier in the same pass is seen as it is now.
func (s *Server) settleDependentsOf(ns string, ids []string) {
	jobs, err := s.fsm.State().Jobs(nil, ns, "")
	if err != nil {
		s.logger.Warn("job dependencies: list jobs", "namespace", ns, "error", err)
		return
	}
	dependents := map[string][]string{} // job ID → IDs of the jobs that depend on it
	for _, j := range jobs {
		for _, d := range j.DependsOn {
			if d != nil {
				dependents[d.Job] = append(dependents[d.Job], j.ID)
			}
		}
	}
	if len(dependents) == 0 {
		return
	}
	todo := append([]string(nil), ids...)
	seen := map[string]bool{}
	for len(todo) > 0 {
		cur := todo[0]
		todo = todo[1:]
		if seen[cur] {
			continue
		}
		seen[cur] = true
		for _, id := range dependents[cur] {
			if j := s.lookupJob(ns, id); j != nil && s.settleJob(j) {
				todo = append(todo, j.ID)
			}
		}
	}
}

// settleJob evaluates or skips one waiting job with job-level depends_on;
// it reports whether the job was skipped.
func (s *Server) settleJob(j *nomadlike.Job) bool {
	if j.Stop || j.Status != nomadlike.JobStatusPending || j.IsPeriodic() || j.IsParameterized() {
		return false
	}
	switch st := nomadlike.JobDependencies(j, s.lookupJob); st.State {
	case nomadlike.JobDepsFailed:
		if err := s.skipJob(j, st.Reason); err != nil {
			s.logger.Warn("job dependencies: skip job", "job_id", j.ID, "error", err)
			return false
		}
		return true
	case nomadlike.JobDepsMet:
		idle, err := s.childIdle(j)
		if err == nil && idle {
			_, err = s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{
				Evals: []*nomadlike.Evaluation{newEval(j, nomadlike.EvalTriggerJobDependency)}})
		}
		if err != nil {
			s.logger.Warn("job dependencies: evaluate job", "job_id", j.ID, "error", err)
		}
	}
	return false
}

// skipJob stops a job whose dependency can no longer meet its condition,
// recording why: the store gives it the skipped outcome.
func (s *Server) skipJob(j *nomadlike.Job, reason string) error {
	skipped := j.Copy()
	skipped.Stop = true
	skipped.SkipReason = reason
	if _, err := s.raftApply(fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: skipped}); err != nil {
		return fmt.Errorf("skip job %q: %w", j.ID, err)
	}
	s.logger.Info("job skipped", "job_id", j.ID, "namespace", j.Namespace, "reason", reason)
	return nil
}

// sweepJobDependencies settles every waiting job with job-level depends_on
// (the leader's periodic pass, see sweepQueues): it catches dependencies
// that finished while leadership changed hands or without a client update
// (a stopped or purged job).
func (s *Server) sweepJobDependencies(jobs []*nomadlike.Job) {
	for _, j := range jobs {
		if len(j.DependsOn) > 0 {
			s.jobDepsUsed.Store(true)
		}
		if len(j.DependsOn) > 0 && s.settleJob(j) {
			s.settleDependents(j.Namespace, j.ID)
		}
	}
}
