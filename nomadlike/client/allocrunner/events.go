package allocrunner

import (
	"fmt"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// maxTaskEvents is how many events a task state keeps, as Nomad's.
const maxTaskEvents = 10

// Restart reasons shown to users.
const (
	ReasonNoRestartsAllowed = "Policy allows no restarts"
	ReasonUnrecoverable     = "Error was unrecoverable"
	ReasonWithinPolicy      = "Restart within policy"
	ReasonDelay             = "Exceeded allowed attempts, applying a delay"
	ReasonUserRestart       = "User requested restart"
)

func newEvent(typ, display string) *nomadlike.TaskEvent {
	return &nomadlike.TaskEvent{Type: typ, Time: time.Now().UnixNano(), DisplayMessage: display, Message: display, Details: map[string]string{}}
}

func terminatedEvent(r *drivers.ExitResult) *nomadlike.TaskEvent {
	parts := []string{fmt.Sprintf("Exit Code: %d", r.ExitCode)}
	if r.Signal != 0 {
		parts = append(parts, fmt.Sprintf("Signal: %d", r.Signal))
	}
	if r.Err != "" {
		parts = append(parts, "Exit Message: "+quote(r.Err))
	}
	e := newEvent(nomadlike.TaskEventTerminated, strings.Join(parts, ", "))
	e.ExitCode, e.Signal, e.OOMKilled = r.ExitCode, r.Signal, r.OOMKilled
	e.Details["exit_code"] = fmt.Sprint(r.ExitCode)
	e.Details["signal"] = fmt.Sprint(r.Signal)
	if r.OOMKilled {
		e.Details["oom_killed"] = "true"
	}
	return e
}

func restartingEvent(delay time.Duration, reason string) *nomadlike.TaskEvent {
	e := newEvent(nomadlike.TaskEventRestarting, fmt.Sprintf("Task restarting in %v", delay.Round(time.Millisecond)))
	e.RestartReason = reason
	e.Details["restart_delay"] = fmt.Sprint(delay.Nanoseconds())
	e.Details["restart_reason"] = reason
	return e
}

func notRestartingEvent(reason string, fails bool) *nomadlike.TaskEvent {
	e := newEvent(nomadlike.TaskEventNotRestarting, reason)
	e.RestartReason = reason
	e.FailsTask = fails
	e.Details["restart_reason"] = reason
	if fails {
		e.Details["fails_task"] = "true"
	}
	return e
}

func driverFailureEvent(err error, fails bool) *nomadlike.TaskEvent {
	e := newEvent(nomadlike.TaskEventDriverFailure, err.Error())
	e.DriverError = err.Error()
	e.FailsTask = fails
	e.Details["driver_error"] = err.Error()
	return e
}

func killingEvent(timeout time.Duration, reason string) *nomadlike.TaskEvent {
	msg := fmt.Sprintf("Sent interrupt. Waiting %v before force killing", timeout)
	if reason != "" {
		msg = reason + ": " + msg
	}
	e := newEvent(nomadlike.TaskEventKilling, msg)
	e.KillTimeout = int64(timeout)
	e.Details["kill_timeout"] = timeout.String()
	if reason != "" {
		e.Details["kill_reason"] = reason
	}
	return e
}

// quote wraps s in double quotes unless it already is.
func quote(s string) string {
	if strings.HasPrefix(s, `"`) {
		return s
	}
	return `"` + s + `"`
}
