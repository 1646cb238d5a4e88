package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Node drainer message types (explicit numbers 140..144 are the drainer's).
const (
	AllocUpdateDesiredTransitionRequestType MessageType = 140
)

// AllocUpdateDesiredTransitionRequest marks allocations (the drainer's
// migrations) and creates the evaluations that act on them.
type AllocUpdateDesiredTransitionRequest = state.AllocDesiredTransitionRequest

func applyAllocUpdateDesiredTransition(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[AllocUpdateDesiredTransitionRequest](e)
	if err := s.UpdateAllocsDesiredTransitions(e.index, req.Allocs); err != nil {
		return nil, err
	}
	return upsertEvals(s, e, req.Evals)
}
