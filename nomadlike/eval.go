package nomadlike

import "time"

// Evaluation statuses.
const (
	EvalStatusBlocked   = "blocked"
	EvalStatusPending   = "pending"
	EvalStatusComplete  = "complete"
	EvalStatusFailed    = "failed"
	EvalStatusCancelled = "canceled"
)

// What triggered an evaluation.
const (
	EvalTriggerJobRegister      = "job-register"
	EvalTriggerJobDeregister    = "job-deregister"
	EvalTriggerPeriodicJob      = "periodic-job"
	EvalTriggerNodeDrain        = "node-drain"
	EvalTriggerNodeUpdate       = "node-update"
	EvalTriggerAllocStop        = "alloc-stop"
	EvalTriggerScheduled        = "scheduled"
	EvalTriggerRollingUpdate    = "rolling-update"
	EvalTriggerQueuedAllocs     = "queued-allocs"
	EvalTriggerRetryFailedAlloc = "alloc-failure"
	EvalTriggerMaxPlans         = "max-plan-attempts"
	EvalTriggerFailedFollowUp   = "failed-eval-follow-up"
	EvalTriggerReschedule       = "alloc-reschedule"
	EvalTriggerJobScaling       = "job-scaling"
)

// Evaluation asks the scheduler to reconcile a job with the cluster.
type Evaluation struct {
	ID             string `json:"ID"`
	Namespace      string `json:"Namespace"`
	Priority       int    `json:"Priority"`
	Type           string `json:"Type"`
	TriggeredBy    string `json:"TriggeredBy"`
	JobID          string `json:"JobID"`
	JobModifyIndex uint64 `json:"JobModifyIndex"`
	// DeploymentID is the deployment the evaluation's placements joined
	// (Nomad's: its CLI follows that deployment after the evaluation).
	DeploymentID         string                  `json:"DeploymentID,omitempty"`
	NodeID               string                  `json:"NodeID"`
	NodeModifyIndex      uint64                  `json:"NodeModifyIndex"`
	Status               string                  `json:"Status"`
	StatusDescription    string                  `json:"StatusDescription"`
	Wait                 time.Duration           `json:"Wait"`
	WaitUntil            time.Time               `json:"WaitUntil"`
	NextEval             string                  `json:"NextEval"`
	PreviousEval         string                  `json:"PreviousEval"`
	BlockedEval          string                  `json:"BlockedEval"`
	FailedTGAllocs       map[string]*AllocMetric `json:"FailedTGAllocs"`
	ClassEligibility     map[string]bool         `json:"ClassEligibility"`
	EscapedComputedClass bool                    `json:"EscapedComputedClass"`
	AnnotatePlan         bool                    `json:"AnnotatePlan"`
	QueuedAllocations    map[string]int          `json:"QueuedAllocations"`
	SnapshotIndex        uint64                  `json:"SnapshotIndex"`
	CreateIndex          uint64                  `json:"CreateIndex"`
	ModifyIndex          uint64                  `json:"ModifyIndex"`
	CreateTime           int64                   `json:"CreateTime"`
	ModifyTime           int64                   `json:"ModifyTime"`
}

// TerminalStatus reports whether the evaluation is finished.
func (e *Evaluation) TerminalStatus() bool {
	switch e.Status {
	case EvalStatusComplete, EvalStatusFailed, EvalStatusCancelled:
		return true
	}
	return false
}

// AllocMetric explains a placement: how many nodes were looked at, which were
// filtered and why, which ran out of which resource.
type AllocMetric struct {
	NodesEvaluated     int              `json:"NodesEvaluated"`
	NodesFiltered      int              `json:"NodesFiltered"`
	NodesInPool        int              `json:"NodesInPool"`
	NodesAvailable     map[string]int   `json:"NodesAvailable"`
	ClassFiltered      map[string]int   `json:"ClassFiltered"`
	ConstraintFiltered map[string]int   `json:"ConstraintFiltered"`
	NodesExhausted     int              `json:"NodesExhausted"`
	ClassExhausted     map[string]int   `json:"ClassExhausted"`
	DimensionExhausted map[string]int   `json:"DimensionExhausted"`
	ScoreMetaData      []*NodeScoreMeta `json:"ScoreMetaData"`
	AllocationTime     time.Duration    `json:"AllocationTime"`
	CoalescedFailures  int              `json:"CoalescedFailures"`
}

// NodeScoreMeta is the score of one candidate node.
type NodeScoreMeta struct {
	NodeID    string             `json:"NodeID"`
	Scores    map[string]float64 `json:"Scores"`
	NormScore float64            `json:"NormScore"`
}

// FilterNode records a node removed by a feasibility check with its reason.
func (m *AllocMetric) FilterNode(class, reason string) {
	m.NodesFiltered++
	if class != "" {
		if m.ClassFiltered == nil {
			m.ClassFiltered = map[string]int{}
		}
		m.ClassFiltered[class]++
	}
	if reason != "" {
		if m.ConstraintFiltered == nil {
			m.ConstraintFiltered = map[string]int{}
		}
		m.ConstraintFiltered[reason]++
	}
}

// ExhaustedNode records a feasible node that lacked a resource dimension.
func (m *AllocMetric) ExhaustedNode(class, dimension string) {
	m.NodesExhausted++
	if class != "" {
		if m.ClassExhausted == nil {
			m.ClassExhausted = map[string]int{}
		}
		m.ClassExhausted[class]++
	}
	if dimension != "" {
		if m.DimensionExhausted == nil {
			m.DimensionExhausted = map[string]int{}
		}
		m.DimensionExhausted[dimension]++
	}
}
