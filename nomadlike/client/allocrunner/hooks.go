package allocrunner

import (
	"context"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/getter"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
)

// Runner hooks are one-method interfaces, as Nomad's: a hook implements the
// stages it takes part in, and the runners call every hook that has a stage.

// AllocPrerunHook runs before any task of the allocation starts.
type AllocPrerunHook interface {
	Name() string
	Prerun() error
}

// AllocDestroyHook runs when the allocation is destroyed (garbage collected).
type AllocDestroyHook interface {
	Name() string
	Destroy() error
}

// AllocPreKillHook runs once before the allocation's tasks are killed (the
// service hook deregisters the allocation's instances there); the group's
// shutdown_delay, then each task's, follow, so traffic drains before the
// kill signal.
type AllocPreKillHook interface {
	Name() string
	PreKill()
}

// TaskPrestartRequest is what a task prestart hook sees.
type TaskPrestartRequest struct {
	Alloc    *nomadlike.Allocation
	Task     *nomadlike.Task
	AllocDir *allocdir.AllocDir
	TaskDir  allocdir.TaskDir
	// Env is the task's environment, including what earlier hooks added.
	Env *taskenv.Env
	// ArtifactsDone is set once artifacts were fetched for this task.
	ArtifactsDone bool
	// Emit records a task event.
	Emit func(*nomadlike.TaskEvent)
	// Runner is the task's runner (hooks that act on the task later, as
	// templates do, keep it).
	Runner *TaskRunner
}

// TaskPrestartResponse is what a hook hands back.
type TaskPrestartResponse struct {
	// Env is added to the task's environment.
	Env map[string]string
	// ArtifactsDone marks the artifacts fetched.
	ArtifactsDone bool
}

// TaskPrestartHook runs before every start of a task.
type TaskPrestartHook interface {
	Name() string
	Prestart(ctx context.Context, req *TaskPrestartRequest, resp *TaskPrestartResponse) error
}

// TaskStopHook is told when the task runner ends (the task is dead, or the
// agent shuts down and leaves it running).
type TaskStopHook interface {
	Name() string
	Stop()
}

// TaskRecoverHook is told when the runner reattached to a task a previous
// agent started (no prestart runs then).
type TaskRecoverHook interface {
	Name() string
	Recover(ctx context.Context, req *TaskPrestartRequest)
}

// HookError is a prestart failure with the event that tells the user why.
// Recoverable errors go through the restart policy; others fail the task.
type HookError struct {
	Event       *nomadlike.TaskEvent
	Recoverable bool
	Err         error
}

func (e *HookError) Error() string { return e.Err.Error() }
func (e *HookError) Unwrap() error { return e.Err }

// allocDirHook builds the allocation directory and removes it on destroy.
type allocDirHook struct{ ad *allocdir.AllocDir }

func (h allocDirHook) Name() string   { return "alloc_dir" }
func (h allocDirHook) Prerun() error  { return h.ad.Build() }
func (h allocDirHook) Destroy() error { return h.ad.Destroy() }

// taskDirHook builds the task's directories.
type taskDirHook struct{}

func (taskDirHook) Name() string { return "task_dir" }

func (taskDirHook) Prestart(_ context.Context, req *TaskPrestartRequest, _ *TaskPrestartResponse) error {
	if _, err := req.AllocDir.BuildTask(req.Task.Name); err != nil {
		ev := newEvent(nomadlike.TaskEventSetupFailure, fmt.Sprintf("failed to build task directory: %v", err))
		ev.FailsTask = true
		return &HookError{Event: ev, Err: err}
	}
	return nil
}

// artifactHook downloads the task's artifacts once.
type artifactHook struct{ getter *getter.Getter }

func (artifactHook) Name() string { return "artifacts" }

func (h artifactHook) Prestart(ctx context.Context, req *TaskPrestartRequest, resp *TaskPrestartResponse) error {
	if len(req.Task.Artifacts) == 0 || req.ArtifactsDone {
		return nil
	}
	req.Emit(newEvent(nomadlike.TaskEventDownloadingArtifacts, "Client is downloading artifacts"))
	for _, a := range req.Task.Artifacts {
		if err := h.getter.Get(ctx, a, req.Env, req.AllocDir, req.TaskDir.Dir); err != nil {
			ev := newEvent(nomadlike.TaskEventArtifactDownloadFailed, fmt.Sprintf("failed to download artifact %q: %v", a.GetterSource, err))
			ev.Details["download_error"] = err.Error()
			// A refused source, an unsafe archive or a limit fails the
			// same way every time: fail the task instead of retrying.
			permanent := getter.Permanent(err)
			ev.FailsTask = permanent
			return &HookError{Event: ev, Recoverable: !permanent, Err: err}
		}
	}
	resp.ArtifactsDone = true
	return nil
}
