package fsm

import (
	"errors"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// SchedulerConfigRequestType sets the scheduler configuration (PUT
// /v1/operator/scheduler/configuration).
const SchedulerConfigRequestType MessageType = 130

// SchedulerConfigRequest stores Config; with CAS only when the stored
// configuration's ModifyIndex is CASIndex (0: none stored yet). A CAS that
// does not match writes nothing and is not an error: the response is
// SchedulerConfigResponse{Updated: false}.
type SchedulerConfigRequest struct {
	Config   *nomadlike.SchedulerConfiguration `json:"Config"`
	CAS      bool                              `json:"CAS"`
	CASIndex uint64                            `json:"CASIndex"`
}

// ErrSchedulerConfigCAS is the apply response of a SchedulerConfigRequest
// whose CAS index did not match; nothing was written.
var ErrSchedulerConfigCAS = errors.New("scheduler configuration changed since the CAS index; nothing written")

func applySchedulerConfig(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[SchedulerConfigRequest](e)
	written, err := s.SetSchedulerConfig(e.index, req.Config, req.CAS, req.CASIndex)
	if err != nil {
		return nil, err
	}
	if !written {
		return nil, ErrSchedulerConfigCAS
	}
	return nil, nil
}
