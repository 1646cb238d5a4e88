package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/periodic"
)

// RegisterJob canonicalizes, validates and stores a job with the evaluation
// that schedules it, and returns after commit. With enforceIndex the write
// only happens when the stored job's JobModifyIndex equals jobModifyIndex
// (0: the job must not exist); otherwise the error wraps
// nomadlike.ErrIndexMismatch. Periodic and parameterized parents get no
// evaluation (evalID is ""); the warnings say when the next child will
// launch or how to dispatch one. A periodic job's cron spec is checked here
// (a bad one is an error wrapping nomadlike.ErrValidation naming
// Periodic.Spec).
func (s *Server) RegisterJob(job *nomadlike.Job, enforceIndex bool, jobModifyIndex uint64) (string, uint64, string, error) {
	if !s.IsLeader() {
		return "", 0, "", notLeader("register job")
	}
	if job == nil {
		return "", 0, "", fmt.Errorf("register job: %w: no job", nomadlike.ErrValidation)
	}
	job = job.Copy()
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return "", 0, "", fmt.Errorf("register job %s: %w", reqlimit.Quote(job.ID), err)
	}
	if err := periodic.Validate(job); err != nil {
		return "", 0, "", fmt.Errorf("register job %s: %w", reqlimit.Quote(job.ID), err)
	}
	if err := s.checkJobCount(job); err != nil {
		return "", 0, "", fmt.Errorf("register job %s: %w", reqlimit.Quote(job.ID), err)
	}
	if err := s.checkNamespace(job); err != nil {
		return "", 0, "", fmt.Errorf("register job %s: %w", reqlimit.Quote(job.ID), err)
	}
	if err := s.checkJobDependencies(job); err != nil { // nomadlike's job depends_on (job_deps.go)
		return "", 0, "", fmt.Errorf("register job %s: %w", reqlimit.Quote(job.ID), err)
	}
	// Driver config schemas (#20); "could not be checked" is said by plan
	// and validate, not on every register.
	if _, err := s.checkDriverConfigs(job); err != nil {
		return "", 0, "", fmt.Errorf("register job %s: %w", reqlimit.Quote(job.ID), err)
	}
	existing, err := s.fsm.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return "", 0, "", err
	}
	if enforceIndex {
		switch {
		case jobModifyIndex == 0 && existing != nil:
			return "", 0, "", fmt.Errorf("register job %s: %w: job exists at index %d", reqlimit.Quote(job.ID), nomadlike.ErrIndexMismatch, existing.JobModifyIndex)
		case jobModifyIndex != 0 && existing == nil:
			return "", 0, "", fmt.Errorf("register job %s: %w: job does not exist", reqlimit.Quote(job.ID), nomadlike.ErrIndexMismatch)
		case jobModifyIndex != 0 && existing.JobModifyIndex != jobModifyIndex:
			return "", 0, "", fmt.Errorf("register job %s: %w: job modify index is %d, not %d", reqlimit.Quote(job.ID), nomadlike.ErrIndexMismatch, existing.JobModifyIndex, jobModifyIndex)
		}
	}
	if existing != nil && existing.Type != job.Type {
		return "", 0, "", fmt.Errorf("register job %s: %w: cannot change type from %s to %s", reqlimit.Quote(job.ID), nomadlike.ErrValidation, existing.Type, job.Type)
	}
	now := s.cfg.Clock.Now()
	job.SubmitTime = now.UnixNano()
	req := &fsm.JobRegisterRequest{Job: job}
	if !job.IsPeriodic() && !job.IsParameterized() {
		req.Eval = newEval(job, nomadlike.EvalTriggerJobRegister)
	}
	warnings := jobWarnings(job, launchWarning(job, now))
	index, err := s.raftApply(fsm.JobRegisterRequestType, req)
	if err != nil {
		return "", 0, "", fmt.Errorf("register job %s: %w", reqlimit.Quote(job.ID), err)
	}
	evalID := ""
	if req.Eval != nil {
		evalID = req.Eval.ID
	}
	return evalID, index, warnings, nil
}

// jobWarnings is the Warnings text of a register or plan answer: a line per
// warning about the job's fields (nomadlike.Job.Warnings), then extra.
func jobWarnings(job *nomadlike.Job, extra string) string {
	var lines []string
	for _, w := range job.Warnings() {
		lines = append(lines, w.String())
	}
	if extra != "" {
		lines = append(lines, extra)
	}
	return strings.Join(lines, "\n")
}

// DeregisterJob stops a job (a new version with Stop set) or, with purge,
// deletes it; an evaluation then stops its allocations.
func (s *Server) DeregisterJob(ns, jobID string, purge bool) (string, uint64, error) {
	if !s.IsLeader() {
		return "", 0, notLeader("deregister job")
	}
	if ns == "" {
		ns = nomadlike.DefaultNamespace
	}
	job, err := s.fsm.State().JobByID(nil, ns, jobID)
	if err != nil {
		return "", 0, err
	}
	if job == nil {
		return "", 0, fmt.Errorf("deregister job %s: %w", reqlimit.Quote(jobID), nomadlike.ErrJobNotFound)
	}
	req := &fsm.JobDeregisterRequest{Namespace: ns, JobID: jobID, Purge: purge}
	if !job.IsPeriodic() && !job.IsParameterized() {
		req.Eval = newEval(job, nomadlike.EvalTriggerJobDeregister)
	}
	index, err := s.raftApply(fsm.JobDeregisterRequestType, req)
	if err != nil {
		return "", 0, fmt.Errorf("deregister job %s: %w", reqlimit.Quote(jobID), err)
	}
	if purge {
		s.blocked.Untrack(ns, jobID)
		// server gc: a purged job's finished evaluations and allocations go too
		if err := s.purgeJobObjects(ns, jobID); err != nil {
			s.logger.Warn("delete the evaluations and allocations of a purged job", "job", jobID, "error", err)
		}
	}
	evalID := ""
	if req.Eval != nil {
		evalID = req.Eval.ID
	}
	return evalID, index, nil
}

// ForceEvaluate creates a new evaluation of a job.
func (s *Server) ForceEvaluate(ns, jobID string) (string, uint64, error) {
	if !s.IsLeader() {
		return "", 0, notLeader("evaluate job")
	}
	if ns == "" {
		ns = nomadlike.DefaultNamespace
	}
	job, err := s.fsm.State().JobByID(nil, ns, jobID)
	if err != nil {
		return "", 0, err
	}
	if job == nil {
		return "", 0, fmt.Errorf("evaluate job %s: %w", reqlimit.Quote(jobID), nomadlike.ErrJobNotFound)
	}
	if job.IsPeriodic() || job.IsParameterized() {
		return "", 0, fmt.Errorf("evaluate job %s: %w: periodic and parameterized jobs are launched, not evaluated", reqlimit.Quote(jobID), nomadlike.ErrConflict)
	}
	eval := newEval(job, nomadlike.EvalTriggerJobRegister)
	index, err := s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*nomadlike.Evaluation{eval}})
	if err != nil {
		return "", 0, fmt.Errorf("evaluate job %s: %w", reqlimit.Quote(jobID), err)
	}
	return eval.ID, index, nil
}

// checkJobCount refuses a job that asks for more allocations than
// Config.JobMaxCount, in one group or in all: a *nomadlike.ValidationError
// naming the group's Count ("TaskGroups[web].Count: 10000000 exceeds the
// server's job_max_count of 100000").
func (s *Server) checkJobCount(job *nomadlike.Job) error {
	limit := s.cfg.JobMaxCount
	var errs []nomadlike.FieldError
	total := 0
	for i, tg := range job.TaskGroups {
		if tg == nil {
			continue
		}
		key := tg.Name
		if key == "" {
			key = fmt.Sprint(i)
		}
		if tg.Count > limit {
			errs = append(errs, nomadlike.FieldError{
				Path:    fmt.Sprintf("TaskGroups[%s].Count", key),
				Message: fmt.Sprintf("%d exceeds the server's job_max_count of %d", tg.Count, limit),
			})
		}
		total += max(tg.Count, 0)
	}
	if len(errs) == 0 && total > limit {
		errs = append(errs, nomadlike.FieldError{
			Path:    "TaskGroups",
			Message: fmt.Sprintf("the groups' counts add up to %d, more than the server's job_max_count of %d", total, limit),
		})
	}
	if len(errs) > 0 {
		return &nomadlike.ValidationError{Errors: errs}
	}
	return nil
}

// launchWarning tells the submitter of a periodic or parameterized job what
// will happen instead of an evaluation; "" for other jobs.
func launchWarning(job *nomadlike.Job, now time.Time) string {
	switch {
	case job.IsParameterized():
		return fmt.Sprintf("parameterized job: it runs only when dispatched (nomadlike job dispatch %s)", job.ID)
	case !job.IsPeriodic():
		return ""
	case !job.Periodic.Enabled:
		return "periodic job with its schedule disabled: nothing launches until it is enabled (nomadlike job periodic force " + job.ID + " launches one now)"
	}
	next, err := periodic.Next(job.Periodic, now)
	if err != nil || next.IsZero() {
		return fmt.Sprintf("periodic job: the cron spec %q names no future time; it will never launch", job.Periodic.Spec)
	}
	return fmt.Sprintf("periodic job: the next launch is at %s (in %s); nomadlike job periodic force %s launches one now",
		next.UTC().Format(time.RFC3339), next.Sub(now).Round(time.Second), job.ID)
}
