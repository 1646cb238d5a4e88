package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// JobScaleRequestType is a job scale (job scale, PUT /v1/job/:id/scale):
// an explicit number, as every type added after the first ones.
const JobScaleRequestType MessageType = 50

// JobScaleRequest changes the count of a group of a job (Job: the new
// version, with the evaluation that schedules it) and records the scaling
// Event of Group; with Job nil it only records the event (an error event).
// The event's EvalID is the evaluation's.
type JobScaleRequest struct {
	Namespace string                  `json:"Namespace"`
	JobID     string                  `json:"JobID"`
	Group     string                  `json:"Group"`
	Job       *nomadlike.Job          `json:"Job"`
	Eval      *nomadlike.Evaluation   `json:"Eval"`
	Event     *nomadlike.ScalingEvent `json:"Event"`
}

func applyJobScale(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[JobScaleRequest](e)
	if req.Job != nil {
		if err := s.UpsertJob(e.index, req.Job); err != nil {
			return nil, err
		}
	}
	if req.Event != nil {
		if err := s.UpsertScalingEvent(e.index, req.Namespace, req.JobID, req.Group, req.Event); err != nil {
			return nil, err
		}
	}
	if req.Job == nil {
		return nil, nil
	}
	return upsertJobEval(s, e, req.Job, req.Eval)
}
