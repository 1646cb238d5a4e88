package allocrunner

import (
	"context"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// dispatchPayloadHook writes a dispatched job's payload to the file the
// task's dispatch_payload block names, under the task's local/ directory,
// before every start (a restart finds it even if the task removed it).
// Tasks without the block, and jobs dispatched without a payload, get no
// file.
type dispatchPayloadHook struct{}

func (dispatchPayloadHook) Name() string { return "dispatch_payload" }

func (dispatchPayloadHook) Prestart(_ context.Context, req *TaskPrestartRequest, _ *TaskPrestartResponse) error {
	dp := req.Task.DispatchPayload
	if dp == nil || req.Alloc.Job == nil || len(req.Alloc.Job.Payload) == 0 {
		return nil
	}
	fail := func(err error) error {
		ev := newEvent(nomadlike.TaskEventSetupFailure, fmt.Sprintf("failed to write the dispatch payload to local/%s: %v", dp.File, err))
		ev.FailsTask = true
		return &HookError{Event: ev, Err: err}
	}
	// local/ is the task's to change (a restart finds what it left there):
	// the file is written beneath the alloc dir's descriptor, refusing any
	// link on the way, and replacing, not following, one at the name.
	rel, err := req.AllocDir.RelPath(req.TaskDir.LocalDir, dp.File)
	if err != nil {
		return fail(err)
	}
	root, err := req.AllocDir.Open()
	if err != nil {
		return fail(err)
	}
	defer root.Close()
	if err := root.WriteFileAtomic(rel, req.Alloc.Job.Payload, 0o644); err != nil {
		return fail(err)
	}
	return nil
}
