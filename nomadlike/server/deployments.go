package server

import (
	"context"
	"fmt"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/server/deploywatch"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// deployWriter is the deployment watcher's raft writer.
type deployWriter struct{ s *Server }

func (w deployWriter) UpdateDeploymentStatus(req *state.DeploymentStatusRequest) (uint64, error) {
	return w.s.raftApply(fsm.DeploymentStatusUpdateRequestType, req)
}

func (w deployWriter) PromoteDeployment(req *state.DeploymentPromoteRequest) (uint64, error) {
	return w.s.raftApply(fsm.DeploymentPromoteRequestType, req)
}

func (w deployWriter) CreateEvals(evals []*nomadlike.Evaluation) (uint64, error) {
	return w.s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: evals})
}

// deploymentWatcher runs the deployment watcher while this server leads.
func (s *Server) deploymentWatcher(ctx context.Context) {
	deploywatch.New(deploywatch.Config{
		State: s.fsm.State, Writer: deployWriter{s}, Now: s.cfg.Clock.Now,
		Logger: s.logger.Named("deploywatch"),
	}).Run(ctx)
}

// deploymentFor returns the stored deployment or an error wrapping
// nomadlike.ErrNotFound; only on the leader.
func (s *Server) deploymentFor(op, id string) (*nomadlike.Deployment, error) {
	if !s.IsLeader() {
		return nil, notLeader(op)
	}
	d, err := s.fsm.State().DeploymentByID(nil, id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("%s: deployment %q: %w", op, id, nomadlike.ErrNotFound)
	}
	return d, nil
}

// evalResult is the answer of a deployment change: the evaluation it
// created ("" none) and the raft index.
func evalResult(eval *nomadlike.Evaluation, index uint64, err error) (string, uint64, error) {
	if eval == nil || err != nil {
		return "", index, err
	}
	return eval.ID, index, nil
}

// FailDeployment marks an active deployment failed (auto_revert applies,
// as in Nomad).
func (s *Server) FailDeployment(id string) (evalID string, index uint64, err error) {
	d, err := s.deploymentFor("fail deployment", id)
	if err != nil {
		return "", 0, err
	}
	req, err := deploywatch.FailRequest(s.fsm.State(), d, nomadlike.DeploymentDescFailedByUser, true, s.cfg.Clock.Now())
	if err != nil {
		return "", 0, fmt.Errorf("fail deployment: %w", asValidation(err))
	}
	idx, err := s.raftApply(fsm.DeploymentStatusUpdateRequestType, req)
	return evalResult(req.Eval, idx, err)
}

// PauseDeployment pauses or resumes an active deployment.
func (s *Server) PauseDeployment(id string, pause bool) (evalID string, index uint64, err error) {
	d, err := s.deploymentFor("pause deployment", id)
	if err != nil {
		return "", 0, err
	}
	job, err := s.fsm.State().JobByID(nil, d.Namespace, d.JobID)
	if err != nil {
		return "", 0, err
	}
	req, err := deploywatch.PauseRequest(d, pause, job, s.cfg.Clock.Now())
	if err != nil {
		return "", 0, fmt.Errorf("pause deployment: %w", asValidation(err))
	}
	idx, err := s.raftApply(fsm.DeploymentStatusUpdateRequestType, req)
	return evalResult(req.Eval, idx, err)
}

// PromoteDeployment promotes the canaries of every group (all) or of the
// named groups.
func (s *Server) PromoteDeployment(id string, all bool, groups []string) (evalID string, index uint64, err error) {
	d, err := s.deploymentFor("promote deployment", id)
	if err != nil {
		return "", 0, err
	}
	eval, err := s.deploymentEval(d)
	if err != nil {
		return "", 0, err
	}
	idx, err := s.raftApply(fsm.DeploymentPromoteRequestType, &fsm.DeploymentPromoteRequest{
		DeploymentID: d.ID, All: all, Groups: groups, Eval: eval})
	return evalResult(eval, idx, err)
}

// SetAllocHealth sets the health of allocations of a deployment (manual
// health checks and operators).
func (s *Server) SetAllocHealth(id string, healthy, unhealthy []string) (evalID string, index uint64, err error) {
	d, err := s.deploymentFor("set allocation health", id)
	if err != nil {
		return "", 0, err
	}
	if len(healthy)+len(unhealthy) == 0 {
		return "", 0, fmt.Errorf("set allocation health: %w: HealthyAllocationIDs or UnhealthyAllocationIDs must name an allocation", nomadlike.ErrValidation)
	}
	eval, err := s.deploymentEval(d)
	if err != nil {
		return "", 0, err
	}
	idx, err := s.raftApply(fsm.DeploymentAllocHealthRequestType, &fsm.DeploymentAllocHealthRequest{
		DeploymentID: d.ID, HealthyAllocationIDs: healthy, UnhealthyAllocationIDs: unhealthy,
		Timestamp: s.cfg.Clock.Now().UTC(), Eval: eval})
	return evalResult(eval, idx, err)
}

// UnblockDeployment answers Nomad's unblock: nomadlike has no multiregion
// deployments.
func (s *Server) UnblockDeployment(id string) (evalID string, index uint64, err error) {
	if _, err := s.deploymentFor("unblock deployment", id); err != nil {
		return "", 0, err
	}
	return "", 0, fmt.Errorf("unblock deployment: %w: %w", nomadlike.ErrValidation, deploywatch.ErrNotMultiregion)
}

func (s *Server) deploymentEval(d *nomadlike.Deployment) (*nomadlike.Evaluation, error) {
	job, err := s.fsm.State().JobByID(nil, d.Namespace, d.JobID)
	if err != nil || job == nil {
		return nil, err
	}
	return deploywatch.NewEval(job, s.cfg.Clock.Now()), nil
}

// RevertJob registers version of a job again as its newest version, as
// Nomad's job revert. enforcePrior, when set, must be the current
// version.
func (s *Server) RevertJob(ns, jobID string, version uint64, enforcePrior *uint64) (evalID string, index uint64, err error) {
	if !s.IsLeader() {
		return "", 0, notLeader("revert job")
	}
	st := s.fsm.State()
	cur, err := st.JobByID(nil, ns, jobID)
	if err != nil {
		return "", 0, err
	}
	if cur == nil {
		return "", 0, fmt.Errorf("revert job %q: %w", jobID, nomadlike.ErrJobNotFound)
	}
	if enforcePrior != nil && *enforcePrior != cur.Version {
		return "", 0, fmt.Errorf("revert job %q: %w: current version is %d, not %d", jobID, nomadlike.ErrIndexMismatch, cur.Version, *enforcePrior)
	}
	if version == cur.Version {
		return "", 0, fmt.Errorf("revert job %q: %w: can't revert to the current version %d", jobID, nomadlike.ErrValidation, version)
	}
	v, err := st.JobByIDAndVersion(nil, ns, jobID, version)
	if err != nil {
		return "", 0, err
	}
	if v == nil {
		return "", 0, fmt.Errorf("revert job %q: %w: version %d is not stored", jobID, nomadlike.ErrNotFound, version)
	}
	evalID, index, _, err = s.RegisterJob(deploywatch.RevertJob(v, s.cfg.Clock.Now()), false, 0)
	return evalID, index, err
}

// SetJobStability marks a job version stable or not.
func (s *Server) SetJobStability(ns, jobID string, version uint64, stable bool) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("set job stability")
	}
	return s.raftApply(fsm.JobStabilityRequestType, &fsm.JobStabilityRequest{
		Namespace: ns, JobID: jobID, JobVersion: version, Stable: stable})
}

// asValidation makes the watcher's "not active" a validation error (400).
func asValidation(err error) error {
	return fmt.Errorf("%w: %w", nomadlike.ErrValidation, err)
}

// collectDeployments deletes the terminal deployments past the
// deployment_gc_threshold (each job's latest stays), in bounded batches;
// the job GC calls it.
func (s *Server) collectDeployments(ctx context.Context, r *state.Reader, now time.Time, force bool) error {
	deps, err := r.Deployments(nil, state.AllNamespaces, "")
	if err != nil {
		return err
	}
	ids := deploywatch.Collectable(deps, now, s.cfg.GCThresholds.Deployment, force)
	for len(ids) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(ids), gcBatchMax)
		if _, err := s.raftApply(fsm.DeploymentDeleteRequestType, &fsm.DeploymentDeleteRequest{Deployments: ids[:n]}); err != nil {
			return fmt.Errorf("garbage collect deployments: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}
