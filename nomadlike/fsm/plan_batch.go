package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// PlanResultsBatchType is several committed plans in one raft entry: the
// plan applier's group commit (nomadlike/plan). Explicit number 150 of the
// range 150..159 (issue #19, the short batch jobs). An older server stops
// at the unknown type instead of skipping plans: upgrade every server
// before the leader writes it.
const PlanResultsBatchType MessageType = 150

// PlanResultsBatch is the raft entry of a PlanResultsBatchType: plans in
// the order the applier checked them, each a PlanResultsEntry (compact form
// allowed). The state store writes them in one transaction, all or none.
type PlanResultsBatch struct {
	Plans []*PlanResultsEntry `json:"Plans"`
}

func applyPlanResultsBatch(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	b := decode[PlanResultsBatch](e)
	reqs := make([]*state.ApplyPlanResultsRequest, len(b.Plans))
	var evals []*nomadlike.Evaluation
	for i, p := range b.Plans {
		req := p.request(e.index)
		stampAllocs(e, req.AllocsUpdated)
		stampAllocs(e, req.AllocsStopped)
		stampEvals(e, req.Evals)
		evals = append(evals, req.Evals...)
		reqs[i] = req
	}
	if err := s.UpsertPlanResultsBatch(e.index, reqs); err != nil {
		return nil, err
	}
	return evals, nil
}
