package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Deployment message types (explicit numbers 70..79 are the deployments').
const (
	DeploymentUpsertRequestType       MessageType = 70
	DeploymentStatusUpdateRequestType MessageType = 71
	DeploymentPromoteRequestType      MessageType = 72
	DeploymentAllocHealthRequestType  MessageType = 73
	JobStabilityRequestType           MessageType = 74
	DeploymentDeleteRequestType       MessageType = 75
)

// DeploymentUpsertRequest creates or replaces deployments.
type DeploymentUpsertRequest struct {
	Deployments []*nomadlike.Deployment `json:"Deployments"`
}

// DeploymentStatusUpdateRequest changes a deployment's status, with an
// optional job version to register (auto_revert) and an evaluation.
type DeploymentStatusUpdateRequest = state.DeploymentStatusRequest

// DeploymentPromoteRequest promotes a deployment's canaries.
type DeploymentPromoteRequest = state.DeploymentPromoteRequest

// DeploymentAllocHealthRequest sets allocations' health in a deployment.
type DeploymentAllocHealthRequest = state.DeploymentAllocHealthRequest

// JobStabilityRequest marks a job version stable or not.
type JobStabilityRequest struct {
	Namespace  string `json:"Namespace"`
	JobID      string `json:"JobID"`
	JobVersion uint64 `json:"JobVersion"`
	Stable     bool   `json:"Stable"`
}

// DeploymentDeleteRequest deletes deployments (garbage collection).
type DeploymentDeleteRequest struct {
	Deployments []string `json:"Deployments"`
}

func applyDeploymentUpsert(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[DeploymentUpsertRequest](e)
	for _, d := range req.Deployments {
		if e.at != 0 {
			d.ModifyTime = e.at
			if d.CreateTime == 0 {
				d.CreateTime = e.at
			}
		}
		if err := s.UpsertDeployment(e.index, d); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func applyDeploymentStatusUpdate(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[DeploymentStatusUpdateRequest](e)
	evals := oneEval(e, req.Eval)
	if err := s.UpdateDeploymentStatus(e.index, req, e.at); err != nil {
		return nil, err
	}
	return evals, nil
}

func applyDeploymentPromote(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[DeploymentPromoteRequest](e)
	evals := oneEval(e, req.Eval)
	if err := s.UpdateDeploymentPromotion(e.index, req, e.at); err != nil {
		return nil, err
	}
	return evals, nil
}

func applyDeploymentAllocHealth(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[DeploymentAllocHealthRequest](e)
	evals := oneEval(e, req.Eval)
	if err := s.UpdateDeploymentAllocHealth(e.index, req); err != nil {
		return nil, err
	}
	return evals, nil
}

func applyJobStability(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[JobStabilityRequest](e)
	return nil, s.UpdateJobStability(e.index, req.Namespace, req.JobID, req.JobVersion, req.Stable)
}

func applyDeploymentDelete(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[DeploymentDeleteRequest](e)
	return nil, s.DeleteDeployments(e.index, req.Deployments)
}

// oneEval stamps eval (when not nil) and returns it as the list the eval
// hook takes.
func oneEval(e entry, eval *nomadlike.Evaluation) []*nomadlike.Evaluation {
	if eval == nil {
		return nil
	}
	evals := []*nomadlike.Evaluation{eval}
	stampEvals(e, evals)
	return evals
}
