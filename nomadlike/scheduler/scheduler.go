package scheduler

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/rank"
)

// State is the read-only view of the cluster a scheduler works on. The
// state store's snapshots implement it. Returned objects are shared with the
// store and must not be modified; copy before changing.
type State interface {
	// JobByID returns the job or nil when it does not exist.
	JobByID(namespace, id string) (*nomadlike.Job, error)
	// Nodes returns every node.
	Nodes() ([]*nomadlike.Node, error)
	// NodeByID returns the node or nil.
	NodeByID(id string) (*nomadlike.Node, error)
	// AllocsByJob returns the job's allocations, terminal ones included.
	AllocsByJob(namespace, jobID string) ([]*nomadlike.Allocation, error)
	// AllocsByNode returns the node's allocations, terminal ones included.
	AllocsByNode(nodeID string) ([]*nomadlike.Allocation, error)
	// EvalByID returns the evaluation or nil.
	EvalByID(id string) (*nomadlike.Evaluation, error)
	// LatestIndex is the raft index the snapshot reflects.
	LatestIndex() (uint64, error)
}

// UsageState is an optional capability of State: the summed usage of a
// node's non-terminal allocations, which a State may keep across
// evaluations (the leader's workers do, per node, until the node's
// allocations change) instead of the scheduler summing AllocsByNode for
// every candidate node of every evaluation. The returned usage is shared:
// the scheduler forks it before changing it.
type UsageState interface {
	NodeUsage(nodeID string) (*rank.NodeUsage, error)
}

// DeploymentState is an optional capability of State: the job's
// deployments, newest first. Without it the scheduler sees none and
// replaces allocations all at once.
type DeploymentState interface {
	JobDeployments(namespace, jobID string) ([]*nomadlike.Deployment, error)
}

// Planner is how a scheduler changes the cluster. The leader's worker
// implements it over the plan queue and raft; tests record calls.
type Planner interface {
	// SubmitPlan submits a plan for commit. It returns what was committed
	// and, when the plan was only partly committed because the state moved,
	// a newer State to retry against (nil otherwise).
	SubmitPlan(plan *nomadlike.Plan) (*nomadlike.PlanResult, State, error)
	// UpdateEval updates the evaluation being processed (status, failed
	// allocations, queued counts).
	UpdateEval(eval *nomadlike.Evaluation) error
	// CreateEval creates a follow-up evaluation (blocked or delayed).
	CreateEval(eval *nomadlike.Evaluation) error
	// ReblockEval puts a blocked evaluation back in the blocked set.
	ReblockEval(eval *nomadlike.Evaluation) error
}

// Scheduler processes evaluations of one job type.
type Scheduler interface {
	Process(eval *nomadlike.Evaluation) error
}
