package command

import (
	"context"
	"fmt"
	"io"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Exit codes of commands that monitor an evaluation, as Nomad's.
const (
	exitOK             = 0
	exitPlacementError = 2
)

// monitorEval follows an evaluation like Nomad's monitor: placements, status
// changes, then the outcome with the placement failures explained. It
// returns exitPlacementError when allocations could not all be placed.
func monitorEval(ctx context.Context, w io.Writer, client *api.Client, evalID string, verbose bool) (int, error) {
	fmt.Fprintf(w, "==> %s: Monitoring evaluation %q\n", now(), shortID(evalID, verbose))
	first := true
	last := ""
	eval, _, err := client.MonitorEval(ctx, evalID, func(up api.EvalUpdate) {
		e := up.Eval
		if first {
			first = false
			switch {
			case e.NodeID != "":
				fmt.Fprintf(w, "    %s: Evaluation triggered by node %q\n", now(), shortID(e.NodeID, verbose))
			case e.JobID != "":
				fmt.Fprintf(w, "    %s: Evaluation triggered by job %q\n", now(), e.JobID)
			}
		}
		for _, a := range up.NewAllocs {
			if a.DesiredStatus != nomadlike.AllocDesiredStatusRun {
				continue
			}
			fmt.Fprintf(w, "    %s: Allocation %q created: node %q, group %q\n",
				now(), shortID(a.ID, verbose), shortID(a.NodeID, verbose), a.TaskGroup)
		}
		if up.StatusChanged && last != "" {
			fmt.Fprintf(w, "    %s: Evaluation status changed: %q -> %q\n", now(), last, e.Status)
		}
		last = e.Status
	})
	if err != nil {
		return 1, fmt.Errorf("monitor evaluation %q: %w", evalID, err)
	}
	if len(eval.FailedTGAllocs) == 0 {
		fmt.Fprintf(w, "==> %s: Evaluation %q finished with status %q\n", now(), shortID(eval.ID, verbose), eval.Status)
		if eval.Status == nomadlike.EvalStatusFailed {
			if eval.StatusDescription != "" {
				fmt.Fprintf(w, "    %s\n", eval.StatusDescription)
			}
			return 1, nil
		}
		return exitOK, nil
	}
	fmt.Fprintf(w, "==> %s: Evaluation %q finished with status %q but failed to place all allocations:\n",
		now(), shortID(eval.ID, verbose), eval.Status)
	formatFailedTGAllocs(w, eval.FailedTGAllocs, "    ")
	if eval.BlockedEval != "" {
		fmt.Fprintf(w, "    Evaluation %q waiting for additional capacity to place remainder\n", shortID(eval.BlockedEval, verbose))
	}
	return exitPlacementError, nil
}
