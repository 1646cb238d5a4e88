package nomadlike

import (
	"fmt"
	"maps"
)

// JobTrackedScalingEvents is how many scaling events are kept per task
// group, newest first (Nomad keeps 20).
const JobTrackedScalingEvents = 20

// ScaleRequest is a request to change the count of one task group of a
// job, or to record a scaling event without changing it (Error set, Count
// nil), as Nomad's ScalingRequest: Target{"Group"} is Group here.
type ScaleRequest struct {
	Group string
	// Count is the new count; nil records an event only.
	Count   *int64
	Message string
	// Error marks the event as an error (an autoscaler that could not
	// act); an error event carries no count.
	Error bool
	Meta  map[string]any
	// JobModifyIndex, when not 0, makes the scale happen only when the
	// job's JobModifyIndex still equals it (ErrIndexMismatch otherwise).
	JobModifyIndex uint64
}

// Check returns the request's own problems as a *ValidationError naming
// the Nomad field ("Target.Group", "Count"), nil when it is well formed.
func (r *ScaleRequest) Check() error {
	var errs []FieldError
	if r.Group == "" {
		errs = append(errs, FieldError{Path: "Target.Group", Message: "missing: name the task group to scale"})
	}
	switch {
	case r.Count == nil && !r.Error:
		errs = append(errs, FieldError{Path: "Count", Message: "missing: a scaling request without Error needs a count"})
	case r.Count != nil && r.Error:
		errs = append(errs, FieldError{Path: "Count", Message: "must be unset when Error is true"})
	case r.Count != nil && *r.Count < 0:
		errs = append(errs, FieldError{Path: "Count", Message: fmt.Sprintf("must not be negative, got %d", *r.Count)})
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs}
	}
	return nil
}

// ScalingEvent is one recorded scaling action of a task group (Nomad's
// ScalingEvent). Time is unix nanoseconds.
type ScalingEvent struct {
	Time          uint64         `json:"Time"`
	Count         *int64         `json:"Count"`
	PreviousCount int64          `json:"PreviousCount"`
	Message       string         `json:"Message"`
	Error         bool           `json:"Error"`
	Meta          map[string]any `json:"Meta"`
	EvalID        *string        `json:"EvalID"`
	CreateIndex   uint64         `json:"CreateIndex"`
}

// Copy returns a deep copy (Meta's values are shared).
func (e *ScalingEvent) Copy() *ScalingEvent {
	if e == nil {
		return nil
	}
	c := *e
	if e.Count != nil {
		n := *e.Count
		c.Count = &n
	}
	if e.EvalID != nil {
		id := *e.EvalID
		c.EvalID = &id
	}
	c.Meta = maps.Clone(e.Meta)
	return &c
}

// JobScalingEvents are the scaling events of one job, by task group,
// newest first.
type JobScalingEvents struct {
	Namespace     string                     `json:"Namespace"`
	JobID         string                     `json:"JobID"`
	ScalingEvents map[string][]*ScalingEvent `json:"ScalingEvents"`
	ModifyIndex   uint64                     `json:"ModifyIndex"`
}

// Copy returns a copy whose event lists the caller may change.
func (j *JobScalingEvents) Copy() *JobScalingEvents {
	if j == nil {
		return nil
	}
	c := *j
	c.ScalingEvents = make(map[string][]*ScalingEvent, len(j.ScalingEvents))
	for g, evs := range j.ScalingEvents {
		out := make([]*ScalingEvent, len(evs))
		for i, e := range evs {
			out[i] = e.Copy()
		}
		c.ScalingEvents[g] = out
	}
	return &c
}

// Add puts ev first in group's events and keeps at most
// JobTrackedScalingEvents of them.
func (j *JobScalingEvents) Add(group string, ev *ScalingEvent) {
	if j.ScalingEvents == nil {
		j.ScalingEvents = map[string][]*ScalingEvent{}
	}
	evs := append([]*ScalingEvent{ev}, j.ScalingEvents[group]...)
	if len(evs) > JobTrackedScalingEvents {
		evs = evs[:JobTrackedScalingEvents]
	}
	j.ScalingEvents[group] = evs
}
