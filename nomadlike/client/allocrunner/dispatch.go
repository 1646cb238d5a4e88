package allocrunner

import (
	"context"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/render"
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
	path, err := req.AllocDir.Resolve(req.TaskDir.LocalDir, dp.File)
	if err != nil {
		return fail(err)
	}
	if err := render.WriteFileAtomic(path, req.Alloc.Job.Payload, 0o644); err != nil {
		return fail(err)
	}
	return nil
}
