package fsm

import (
	"fmt"
	"reflect"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// PlanResultsEntry is the raft entry of a PlanResultsEntryType (and is also
// how ApplyPlanResultsRequestType entries are decoded): an
// ApplyPlanResultsRequest whose placements may be in a compact form. It
// repeats the request's fields rather than embedding the request because
// jsonx.Append, which encodes big entries element by element, walks only
// structs without embedded fields. The
// placements of one plan share almost every field, so instead of each
// allocation in full the entry may carry AllocTemplates (allocations with
// the per-allocation fields cleared) and AllocRecords (a template index
// and the per-allocation fields). The FSM expands the records, in order,
// after AllocsUpdated. Entries without the two fields (all entries written
// before the form existed) are a plain ApplyPlanResultsRequest.
type PlanResultsEntry struct {
	Job            *nomadlike.Job          `json:"Job"`
	AllocsUpdated  []*nomadlike.Allocation `json:"AllocsUpdated"`
	AllocsStopped  []*nomadlike.Allocation `json:"AllocsStopped"`
	EvalID         string                  `json:"EvalID"`
	Evals          []*nomadlike.Evaluation `json:"Evals"`
	AllocTemplates []*nomadlike.Allocation `json:"AllocTemplates,omitempty"`
	AllocRecords   []AllocRecord           `json:"AllocRecords,omitempty"`
	// deployments (deployments.go)
	Deployment        *nomadlike.Deployment               `json:"Deployment,omitempty"`
	DeploymentUpdates []*nomadlike.DeploymentStatusUpdate `json:"DeploymentUpdates,omitempty"`
}

// AllocRecord is one placement of a compact PlanResultsEntry: template
// T with these fields set. AllocatedResources nil means the template's
// (an allocation without resources never uses a template that has them).
type AllocRecord struct {
	T                  int                           `json:"T"`
	ID                 string                        `json:"ID"`
	Name               string                        `json:"Name"`
	NodeID             string                        `json:"NodeID"`
	NodeName           string                        `json:"NodeName"`
	Metrics            *nomadlike.AllocMetric        `json:"Metrics"`
	PreviousAllocation string                        `json:"PreviousAllocation,omitempty"`
	RescheduleTracker  *nomadlike.RescheduleTracker  `json:"RescheduleTracker,omitempty"`
	AllocatedResources *nomadlike.AllocatedResources `json:"AllocatedResources,omitempty"`
}

// compactTemplatesTried is how many of the latest templates an allocation
// is compared with before it starts a template of its own.
const compactTemplatesTried = 4

// NewPlanResultsEntry returns the entry for req, with its AllocsUpdated in
// the compact form when that saves space (at least two allocations per
// template), else in the plain form. The entry shares req's objects; the
// caller must not modify them until the entry is encoded.
func NewPlanResultsEntry(req *ApplyPlanResultsRequest) *PlanResultsEntry {
	e := &PlanResultsEntry{
		Job: req.Job, AllocsUpdated: req.AllocsUpdated, AllocsStopped: req.AllocsStopped,
		EvalID: req.EvalID, Evals: req.Evals,
		Deployment: req.Deployment, DeploymentUpdates: req.DeploymentUpdates,
	}
	if len(req.AllocsUpdated) < 2 {
		return e
	}
	var templates []*nomadlike.Allocation
	records := make([]AllocRecord, len(req.AllocsUpdated))
	for i, a := range req.AllocsUpdated {
		if a == nil {
			return e
		}
		rec := AllocRecord{
			T: -1, ID: a.ID, Name: a.Name, NodeID: a.NodeID, NodeName: a.NodeName, Metrics: a.Metrics,
			PreviousAllocation: a.PreviousAllocation, RescheduleTracker: a.RescheduleTracker,
		}
		shared := allocShared(a)
		for k := len(templates) - 1; k >= 0 && k >= len(templates)-compactTemplatesTried; k-- {
			t := templates[k]
			same, ok := sameResources(a.AllocatedResources, t.AllocatedResources)
			if !ok {
				continue
			}
			shared.AllocatedResources = t.AllocatedResources
			if reflect.DeepEqual(&shared, t) {
				rec.T = k
				if !same {
					rec.AllocatedResources = a.AllocatedResources
				}
				break
			}
		}
		if rec.T < 0 {
			shared.AllocatedResources = a.AllocatedResources
			t := shared
			templates = append(templates, &t)
			rec.T = len(templates) - 1
		}
		records[i] = rec
	}
	if 2*len(templates) > len(records) {
		return e
	}
	e.AllocsUpdated, e.AllocTemplates, e.AllocRecords = nil, templates, records
	return e
}

// allocShared returns a copy of a with the per-allocation fields (those
// of AllocRecord) cleared.
func allocShared(a *nomadlike.Allocation) nomadlike.Allocation {
	s := *a
	s.ID, s.Name, s.NodeID, s.NodeName, s.Metrics = "", "", "", "", nil
	s.PreviousAllocation, s.RescheduleTracker = "", nil
	return s
}

// sameResources reports whether a (an allocation's resources) equals t (a
// template's), and whether a record can express a on template t: a nil
// record field means t's, so a nil a needs a nil t.
func sameResources(a, t *nomadlike.AllocatedResources) (same, ok bool) {
	switch {
	case a == t:
		return true, true
	case a == nil || t == nil:
		return false, a != nil
	default:
		same = reflect.DeepEqual(a, t)
		return same, true
	}
}

// request returns e as the request the state store applies, with its
// records expanded into AllocsUpdated. Expanded allocations share their
// template's sub-objects (the store does not modify them). A record naming
// no template is a corrupt entry: it panics, as decode does.
func (e *PlanResultsEntry) request(index uint64) *ApplyPlanResultsRequest {
	req := &ApplyPlanResultsRequest{
		Job: e.Job, AllocsUpdated: e.AllocsUpdated, AllocsStopped: e.AllocsStopped,
		EvalID: e.EvalID, Evals: e.Evals,
		Deployment: e.Deployment, DeploymentUpdates: e.DeploymentUpdates,
	}
	if len(e.AllocRecords) == 0 {
		return req
	}
	expanded := make([]nomadlike.Allocation, len(e.AllocRecords))
	updated := make([]*nomadlike.Allocation, 0, len(e.AllocsUpdated)+len(e.AllocRecords))
	updated = append(updated, e.AllocsUpdated...)
	for i, r := range e.AllocRecords {
		if r.T < 0 || r.T >= len(e.AllocTemplates) || e.AllocTemplates[r.T] == nil {
			panic(fmt.Sprintf("fsm: %s entry at index %d: record %d names template %d of %d",
				ApplyPlanResultsRequestType, index, i, r.T, len(e.AllocTemplates)))
		}
		a := &expanded[i]
		*a = *e.AllocTemplates[r.T]
		a.ID, a.Name, a.NodeID, a.NodeName, a.Metrics = r.ID, r.Name, r.NodeID, r.NodeName, r.Metrics
		a.PreviousAllocation, a.RescheduleTracker = r.PreviousAllocation, r.RescheduleTracker
		if r.AllocatedResources != nil {
			a.AllocatedResources = r.AllocatedResources
		}
		updated = append(updated, a)
	}
	req.AllocsUpdated = updated
	return req
}
