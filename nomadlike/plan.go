package nomadlike

// Plan is a scheduler's proposed change: allocations to stop or update per
// node and new allocations per node. The plan applier checks it against the
// newest state before committing.
type Plan struct {
	EvalID         string                   `json:"EvalID"`
	EvalToken      string                   `json:"EvalToken"`
	Priority       int                      `json:"Priority"`
	AllAtOnce      bool                     `json:"AllAtOnce"`
	Job            *Job                     `json:"Job"`
	NodeUpdate     map[string][]*Allocation `json:"NodeUpdate"`
	NodeAllocation map[string][]*Allocation `json:"NodeAllocation"`
	Annotations    *PlanAnnotations         `json:"Annotations"`
	SnapshotIndex  uint64                   `json:"SnapshotIndex"`
	// Deployment is created or updated with the plan (deployments,
	// deployment.go); DeploymentUpdates change other deployments' status
	// (a newer job version cancels the old one).
	Deployment        *Deployment               `json:"Deployment,omitempty"`
	DeploymentUpdates []*DeploymentStatusUpdate `json:"DeploymentUpdates,omitempty"`
}

// PlanAnnotations carries what `job plan` shows: desired changes per group.
type PlanAnnotations struct {
	DesiredTGUpdates map[string]*DesiredUpdates `json:"DesiredTGUpdates"`
}

// DesiredUpdates counts the reconciler's decisions for one task group.
type DesiredUpdates struct {
	Ignore            uint64 `json:"Ignore"`
	Place             uint64 `json:"Place"`
	Migrate           uint64 `json:"Migrate"`
	Stop              uint64 `json:"Stop"`
	InPlaceUpdate     uint64 `json:"InPlaceUpdate"`
	DestructiveUpdate uint64 `json:"DestructiveUpdate"`
	Canary            uint64 `json:"Canary"`
	Preemptions       uint64 `json:"Preemptions"`
	Reschedule        uint64 `json:"RescheduleNow"`
	Lost              uint64 `json:"Lost"`
}

// PlanResult is what the applier committed.
type PlanResult struct {
	NodeUpdate     map[string][]*Allocation `json:"NodeUpdate"`
	NodeAllocation map[string][]*Allocation `json:"NodeAllocation"`
	RefreshIndex   uint64                   `json:"RefreshIndex"`
	AllocIndex     uint64                   `json:"AllocIndex"`
	// Deployment and DeploymentUpdates are the plan's, committed with it.
	Deployment        *Deployment               `json:"Deployment,omitempty"`
	DeploymentUpdates []*DeploymentStatusUpdate `json:"DeploymentUpdates,omitempty"`
}

// AppendStoppedAlloc marks alloc to stop with a reason and a client status
// ("" keeps the current one).
func (p *Plan) AppendStoppedAlloc(alloc *Allocation, desc, clientStatus string) {
	a := new(Allocation)
	*a = *alloc
	a.Job = nil
	a.DesiredStatus = AllocDesiredStatusStop
	a.DesiredDescription = desc
	if clientStatus != "" {
		a.ClientStatus = clientStatus
	}
	if p.NodeUpdate == nil {
		p.NodeUpdate = map[string][]*Allocation{}
	}
	p.NodeUpdate[alloc.NodeID] = append(p.NodeUpdate[alloc.NodeID], a)
}

// AppendAlloc adds a new or updated allocation for its node.
func (p *Plan) AppendAlloc(alloc *Allocation) {
	if p.NodeAllocation == nil {
		p.NodeAllocation = map[string][]*Allocation{}
	}
	p.NodeAllocation[alloc.NodeID] = append(p.NodeAllocation[alloc.NodeID], alloc)
}

// IsNoOp reports whether the plan changes nothing.
func (p *Plan) IsNoOp() bool {
	return len(p.NodeUpdate) == 0 && len(p.NodeAllocation) == 0 && p.Deployment == nil && len(p.DeploymentUpdates) == 0
}

// FullCommit reports whether the result committed everything the plan asked
// and returns the counts expected and actual.
func (r *PlanResult) FullCommit(p *Plan) (bool, int, int) {
	expected, actual := 0, 0
	for node, allocs := range p.NodeAllocation {
		expected += len(allocs)
		actual += len(r.NodeAllocation[node])
	}
	return expected == actual, expected, actual
}
