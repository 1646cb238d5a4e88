package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Dynamic host volume message types (issue #17), explicit numbers 100..104.
const (
	HostVolumeUpsertRequestType MessageType = 100
	HostVolumeDeleteRequestType MessageType = 101
)

// HostVolumeUpsertRequest writes one dynamic host volume (create, ready,
// delete requested).
type HostVolumeUpsertRequest struct {
	Volume *nomadlike.HostVolume `json:"Volume"`
}

// HostVolumeDeleteRequest removes a dynamic host volume from the state
// (its client removed the directory).
type HostVolumeDeleteRequest struct {
	ID string `json:"ID"`
}

func applyHostVolumeUpsert(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[HostVolumeUpsertRequest](e)
	if req.Volume == nil {
		return nil, nil
	}
	return nil, s.UpsertHostVolume(e.index, req.Volume, e.at)
}

func applyHostVolumeDelete(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[HostVolumeDeleteRequest](e)
	return nil, s.DeleteHostVolume(e.index, req.ID)
}
