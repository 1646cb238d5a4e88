package stream

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Event types, as Nomad names them, by the raft message that caused them.
var typesByMessage = map[string]map[string]string{
	"JobRegister":           {TopicJob: "JobRegistered"},
	"JobDeregister":         {TopicJob: "JobDeregistered"},
	"EvalUpdate":            {TopicEvaluation: "EvaluationUpdated"},
	"AllocUpdate":           {TopicAllocation: "AllocationUpdateDesiredStatus"},
	"AllocClientUpdate":     {TopicAllocation: "AllocationUpdated"},
	"NodeRegister":          {TopicNode: "NodeRegistration"},
	"NodeDeregister":        {TopicNode: "NodeDeregistration"},
	"NodeUpdateStatus":      {TopicNode: "NodeStreamEvent"},
	"NodeUpdateEligibility": {TopicNode: "NodeEligibility"},
	"NodeUpdateDrain":       {TopicNode: "NodeDrain"},
	"ApplyPlanResults":      {"*": "PlanResult"},
	"PlanResultsEntry":      {"*": "PlanResult"},
	"PlanResultsBatch":      {"*": "PlanResult"}, // plan group commit
}

// defaultTypes are the types of changes a message makes to other tables.
var defaultTypes = map[string]string{
	TopicJob:        "JobRegistered",
	TopicEvaluation: "EvaluationUpdated",
	TopicAllocation: "AllocationUpdated",
	TopicNode:       "NodeStreamEvent",
}

// FromChanges turns the changes of the entry at index (of message type
// msgType) into events. Deleted objects are left out, except jobs, whose
// deregistration is an event ("JobDeregistered", with Deleted: true).
func FromChanges(index uint64, msgType string, changes []state.Change) []Event {
	out := make([]Event, 0, len(changes))
	for _, c := range changes {
		ev, ok := fromChange(c)
		if !ok {
			continue
		}
		ev.Index = index
		ev.Type = defaultTypes[ev.Topic]
		if t := typesByMessage[msgType]; t != nil {
			if typ := t[ev.Topic]; typ != "" {
				ev.Type = typ
			} else if typ := t["*"]; typ != "" {
				ev.Type = typ
			}
		}
		if ev.Topic == TopicJob && c.After == nil {
			ev.Type = "JobDeregistered"
		}
		out = append(out, ev)
	}
	return out
}

func fromChange(c state.Change) (Event, bool) {
	obj := c.After
	if obj == nil {
		if c.Table != state.TableJobs {
			return Event{}, false
		}
		obj = c.Before
	}
	switch o := obj.(type) {
	case *nomadlike.Job:
		p := map[string]any{"Job": o}
		if c.After == nil {
			p["Deleted"] = true
		}
		return Event{Topic: TopicJob, Key: o.ID, Namespace: o.Namespace, Payload: p}, true
	case *nomadlike.Evaluation:
		return Event{Topic: TopicEvaluation, Key: o.ID, Namespace: o.Namespace, FilterKeys: []string{o.JobID},
			Payload: map[string]any{"Evaluation": o}}, true
	case *nomadlike.Allocation:
		return Event{Topic: TopicAllocation, Key: o.ID, Namespace: o.Namespace, FilterKeys: []string{o.JobID},
			Payload: map[string]any{"Allocation": AllocPayload{o}}}, true
	case *nomadlike.Node:
		return Event{Topic: TopicNode, Key: o.ID, Payload: map[string]any{"Node": NodePayload{o}}}, true
	}
	return Event{}, false
}
