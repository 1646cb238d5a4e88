package fsm

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// MessageType is the first byte of every raft log entry; the rest of the
// entry is the JSON of the request (see Encode).
type MessageType uint8

// Message types. Never renumber: they are stored in raft logs.
const (
	JobRegisterRequestType MessageType = iota
	JobDeregisterRequestType
	EvalUpdateRequestType
	EvalDeleteRequestType
	AllocUpdateRequestType // server-side alloc changes (e.g. marking lost)
	AllocClientUpdateRequestType
	NodeRegisterRequestType
	NodeDeregisterRequestType
	NodeUpdateStatusRequestType
	NodeUpdateEligibilityRequestType
	NodeUpdateDrainRequestType
	ApplyPlanResultsRequestType
	PeriodicLaunchRequestType
	// PlanResultsEntryType is a plan result written by this version's
	// committer: a PlanResultsEntry, whose placements may be in the compact
	// form (templates plus records). It is a type of its own, not a new
	// field of ApplyPlanResults, so that an older server, which would
	// decode the entry and ignore fields it does not know (dropping the
	// placements and diverging silently), stops at an unknown type instead.
	PlanResultsEntryType
)

// Namespace message types (namespaces.go), explicit numbers 30..34.
const (
	NamespaceUpsertRequestType MessageType = 30
	NamespaceDeleteRequestType MessageType = 31
)

// ACL store message types (explicit numbers 20..29 are the ACL store's).
const (
	ACLPolicyUpsertRequestType MessageType = 20
	ACLPolicyDeleteRequestType MessageType = 21
	ACLTokenUpsertRequestType  MessageType = 22
	ACLTokenDeleteRequestType  MessageType = 23
	ACLBootstrapRequestType    MessageType = 24
)

// typeNames is indexed by MessageType (keyed, so types need not be dense:
// new features take explicit numbers, see the constants above).
var typeNames = [...]string{
	JobRegisterRequestType: "JobRegister", JobDeregisterRequestType: "JobDeregister",
	EvalUpdateRequestType: "EvalUpdate", EvalDeleteRequestType: "EvalDelete",
	AllocUpdateRequestType: "AllocUpdate", AllocClientUpdateRequestType: "AllocClientUpdate",
	NodeRegisterRequestType: "NodeRegister", NodeDeregisterRequestType: "NodeDeregister",
	NodeUpdateStatusRequestType: "NodeUpdateStatus", NodeUpdateEligibilityRequestType: "NodeUpdateEligibility",
	NodeUpdateDrainRequestType: "NodeUpdateDrain", ApplyPlanResultsRequestType: "ApplyPlanResults",
	PeriodicLaunchRequestType: "PeriodicLaunch", PlanResultsEntryType: "PlanResultsEntry",
	// namespaces
	NamespaceUpsertRequestType: "NamespaceUpsert", NamespaceDeleteRequestType: "NamespaceDelete",
	// ACL store
	ACLPolicyUpsertRequestType: "ACLPolicyUpsert", ACLPolicyDeleteRequestType: "ACLPolicyDelete",
	ACLTokenUpsertRequestType: "ACLTokenUpsert", ACLTokenDeleteRequestType: "ACLTokenDelete",
	ACLBootstrapRequestType: "ACLBootstrap",
	// job scale (scaling.go)
	JobScaleRequestType: "JobScale",
	// server garbage collection (gc.go)
	GCPurgeRequestType: "GCPurge", GCNodesRequestType: "GCNodes", ReconcileSummariesRequestType: "ReconcileSummaries",
	// variables and keyring (variables.go)
	VariableApplyRequestType: "VariableApply", RootKeyUpsertRequestType: "RootKeyUpsert",
	// service catalog (service_registrations.go)
	ServiceRegistrationUpsertRequestType:         "ServiceRegistrationUpsert",
	ServiceRegistrationDeleteByIDRequestType:     "ServiceRegistrationDeleteByID",
	ServiceRegistrationDeleteByAllocsRequestType: "ServiceRegistrationDeleteByAllocs",
	ServiceRegistrationDeleteByNodeRequestType:   "ServiceRegistrationDeleteByNode",
	ServiceRegistrationDeleteByIDsRequestType:    "ServiceRegistrationDeleteByIDs",
	// deployments (deployments.go)
	DeploymentUpsertRequestType: "DeploymentUpsert", DeploymentStatusUpdateRequestType: "DeploymentStatusUpdate",
	DeploymentPromoteRequestType: "DeploymentPromote", DeploymentAllocHealthRequestType: "DeploymentAllocHealth",
	JobStabilityRequestType: "JobStability", DeploymentDeleteRequestType: "DeploymentDelete",
	// node drainer (drain.go)
	AllocUpdateDesiredTransitionRequestType: "AllocUpdateDesiredTransition",
	// scheduler configuration (scheduler_config.go)
	SchedulerConfigRequestType: "SchedulerConfig",
	// dynamic host volumes (host_volumes.go)
	HostVolumeUpsertRequestType: "HostVolumeUpsert", HostVolumeDeleteRequestType: "HostVolumeDelete",
	// plan group commit (plan_batch.go)
	PlanResultsBatchType: "PlanResultsBatch",
}

func (t MessageType) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// JobRegisterRequest registers or updates a job, with the evaluation that
// schedules it (optional). The eval's JobModifyIndex is set to the stored
// job's.
type JobRegisterRequest struct {
	Job  *nomadlike.Job        `json:"Job"`
	Eval *nomadlike.Evaluation `json:"Eval"`
}

// JobDeregisterRequest stops a job (Purge false: a new version with Stop
// set, as Nomad does) or purges it, with an optional evaluation.
type JobDeregisterRequest struct {
	Namespace string                `json:"Namespace"`
	JobID     string                `json:"JobID"`
	Purge     bool                  `json:"Purge"`
	Eval      *nomadlike.Evaluation `json:"Eval"`
}

// EvalUpdateRequest creates or updates evaluations.
type EvalUpdateRequest struct {
	Evals []*nomadlike.Evaluation `json:"Evals"`
}

// EvalDeleteRequest garbage collects evaluations and allocations by ID.
type EvalDeleteRequest struct {
	Evals  []string `json:"Evals"`
	Allocs []string `json:"Allocs"`
}

// AllocUpdateRequest is a server-side allocation change (marking
// allocations lost, desired transitions). Allocs with a nil Job take Job,
// then their stored job. It also carries the fields of an
// ApplyPlanResultsRequest, so a plan result sent with this type is applied
// in full: Allocs and AllocsUpdated are upserted alike.
type AllocUpdateRequest struct {
	Allocs []*nomadlike.Allocation `json:"Allocs"`
	Job    *nomadlike.Job          `json:"Job"`
	Evals  []*nomadlike.Evaluation `json:"Evals"`

	AllocsUpdated []*nomadlike.Allocation `json:"AllocsUpdated,omitempty"`
	AllocsStopped []*nomadlike.Allocation `json:"AllocsStopped,omitempty"`
	EvalID        string                  `json:"EvalID,omitempty"`
}

// AllocClientUpdateRequest carries clients' allocation updates (ID,
// ClientStatus, ClientDescription, TaskStates) and the evaluations they
// cause (e.g. rescheduling failed allocations).
type AllocClientUpdateRequest struct {
	Allocs []*nomadlike.Allocation `json:"Allocs"`
	Evals  []*nomadlike.Evaluation `json:"Evals"`
}

// NodeRegisterRequest registers or updates a node.
type NodeRegisterRequest struct {
	Node *nomadlike.Node `json:"Node"`
}

// NodeDeregisterRequest removes nodes.
type NodeDeregisterRequest struct {
	NodeIDs []string `json:"NodeIDs"`
}

// NodeUpdateStatusRequest changes a node's status (UpdatedAt in unix nanos),
// with the evaluations of the jobs on the node.
type NodeUpdateStatusRequest struct {
	NodeID    string                  `json:"NodeID"`
	Status    string                  `json:"Status"`
	UpdatedAt int64                   `json:"UpdatedAt"`
	Evals     []*nomadlike.Evaluation `json:"Evals"`
}

// NodeUpdateEligibilityRequest changes a node's scheduling eligibility.
type NodeUpdateEligibilityRequest struct {
	NodeID      string                  `json:"NodeID"`
	Eligibility string                  `json:"Eligibility"`
	Evals       []*nomadlike.Evaluation `json:"Evals"`
}

// NodeUpdateDrainRequest starts (DrainStrategy set) or ends a drain.
type NodeUpdateDrainRequest struct {
	NodeID        string                   `json:"NodeID"`
	DrainStrategy *nomadlike.DrainStrategy `json:"DrainStrategy"`
	MarkEligible  bool                     `json:"MarkEligible"`
	Evals         []*nomadlike.Evaluation  `json:"Evals"`
}

// PeriodicLaunchRequest records a launch of a periodic job: the time, and
// the child job and its evaluation (both nil when the launch was skipped
// because of prohibit_overlap). It is applied in one transaction, and
// refused with an error wrapping nomadlike.ErrConflict when the child
// already exists, so a launch cannot happen twice across leaders.
type PeriodicLaunchRequest struct {
	Launch *nomadlike.PeriodicLaunch `json:"Launch"`
	Job    *nomadlike.Job            `json:"Job"`
	Eval   *nomadlike.Evaluation     `json:"Eval"`
}

// ApplyPlanResultsRequest is a committed plan; see state.ApplyPlanResultsRequest.
type ApplyPlanResultsRequest = state.ApplyPlanResultsRequest
