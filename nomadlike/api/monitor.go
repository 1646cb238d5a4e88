package api

import (
	"context"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// EvalUpdate is one step of MonitorEval: the evaluation as last read and the
// allocations it created that were not reported before.
type EvalUpdate struct {
	Eval          *nomadlike.Evaluation
	StatusChanged bool
	NewAllocs     []*nomadlike.AllocListStub
}

// monitorWait bounds each blocking query of MonitorEval.
const monitorWait = 10 * time.Second

// MonitorEval follows an evaluation with blocking queries until it reaches a
// terminal status (complete, failed, canceled) or ctx ends, calling fn on
// every status change and every batch of new allocations. It returns the
// terminal evaluation and every allocation the evaluation touched.
func (c *Client) MonitorEval(ctx context.Context, evalID string, fn func(EvalUpdate)) (*nomadlike.Evaluation, []*nomadlike.AllocListStub, error) {
	seen := map[string]bool{}
	var all []*nomadlike.AllocListStub
	lastStatus := ""
	var index uint64
	for {
		eval, qm, err := c.Evaluations().Info(ctx, evalID, &QueryOptions{WaitIndex: index, WaitTime: monitorWait})
		if err != nil {
			return nil, nil, err
		}
		allocs, _, err := c.Evaluations().Allocations(ctx, evalID, nil)
		if err != nil {
			return nil, nil, err
		}
		up := EvalUpdate{Eval: eval, StatusChanged: eval.Status != lastStatus}
		for _, a := range allocs {
			if !seen[a.ID] {
				seen[a.ID] = true
				up.NewAllocs = append(up.NewAllocs, a)
				all = append(all, a)
			}
		}
		lastStatus = eval.Status
		if fn != nil && (up.StatusChanged || len(up.NewAllocs) > 0) {
			fn(up)
		}
		if eval.TerminalStatus() {
			return eval, all, nil
		}
		if qm.LastIndex > index {
			index = qm.LastIndex
			continue
		}
		// The agent did not report a newer index: back off instead of spinning.
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		case <-t.C:
		}
	}
}
