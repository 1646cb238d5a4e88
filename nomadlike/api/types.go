package api

import (
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// JobRegisterRequest is the body of PUT /v1/jobs and PUT /v1/job/:id.
type JobRegisterRequest struct {
	Job *nomadlike.Job `json:"Job"`
	// EnforceIndex makes the register fail unless the job's current
	// JobModifyIndex equals JobModifyIndex (0: the job must not exist).
	EnforceIndex   bool   `json:"EnforceIndex"`
	JobModifyIndex uint64 `json:"JobModifyIndex"`
	PolicyOverride bool   `json:"PolicyOverride"`
}

// JobRegisterResponse is the reply to a job register, deregister or
// force-evaluate.
type JobRegisterResponse struct {
	EvalID          string `json:"EvalID"`
	EvalCreateIndex uint64 `json:"EvalCreateIndex"`
	JobModifyIndex  uint64 `json:"JobModifyIndex"`
	Warnings        string `json:"Warnings"`
	Index           uint64 `json:"Index"`
}

// JobDeregisterResponse is the reply to DELETE /v1/job/:id.
type JobDeregisterResponse = JobRegisterResponse

// JobPlanRequest is the body of PUT /v1/job/:id/plan.
type JobPlanRequest struct {
	Job            *nomadlike.Job `json:"Job"`
	Diff           bool           `json:"Diff"`
	PolicyOverride bool           `json:"PolicyOverride"`
}

// JobPlanResponse is what a dry run of the scheduler would do.
type JobPlanResponse struct {
	JobModifyIndex     uint64                            `json:"JobModifyIndex"`
	CreatedEvals       []*nomadlike.Evaluation           `json:"CreatedEvals"`
	Diff               *JobDiff                          `json:"Diff"`
	Annotations        *nomadlike.PlanAnnotations        `json:"Annotations"`
	FailedTGAllocs     map[string]*nomadlike.AllocMetric `json:"FailedTGAllocs"`
	NextPeriodicLaunch time.Time                         `json:"NextPeriodicLaunch"`
	Warnings           string                            `json:"Warnings"`
	Index              uint64                            `json:"Index"`
}

// Diff types of JobDiff, TaskGroupDiff, TaskDiff, ObjectDiff and FieldDiff.
const (
	DiffTypeNone    = nomadlike.DiffTypeNone
	DiffTypeAdded   = nomadlike.DiffTypeAdded
	DiffTypeDeleted = nomadlike.DiffTypeDeleted
	DiffTypeEdited  = nomadlike.DiffTypeEdited
)

// JobDiff and the types below are the domain's (nomadlike.Job.Diff).
type (
	JobDiff       = nomadlike.JobDiff
	TaskGroupDiff = nomadlike.TaskGroupDiff
	TaskDiff      = nomadlike.TaskDiff
	ObjectDiff    = nomadlike.ObjectDiff
	FieldDiff     = nomadlike.FieldDiff
)

// JobVersionsResponse is the reply to GET /v1/job/:id/versions.
type JobVersionsResponse struct {
	Versions []*nomadlike.Job `json:"Versions"`
	Diffs    []*JobDiff       `json:"Diffs"`
	Index    uint64           `json:"Index"`
}

// JobEvaluateRequest is the body of PUT /v1/job/:id/evaluate.
type JobEvaluateRequest struct {
	JobID       string      `json:"JobID"`
	EvalOptions EvalOptions `json:"EvalOptions"`
}

// JobDispatchRequest is the body of PUT /v1/job/:id/dispatch. Payload is
// base64 in JSON.
type JobDispatchRequest struct {
	JobID            string            `json:"JobID"`
	Payload          []byte            `json:"Payload"`
	Meta             map[string]string `json:"Meta"`
	IdPrefixTemplate string            `json:"IdPrefixTemplate"`
}

// JobDispatchResponse is the reply to PUT /v1/job/:id/dispatch: the child
// job and its evaluation, both created at Index.
type JobDispatchResponse struct {
	DispatchedJobID string `json:"DispatchedJobID"`
	EvalID          string `json:"EvalID"`
	EvalCreateIndex uint64 `json:"EvalCreateIndex"`
	JobCreateIndex  uint64 `json:"JobCreateIndex"`
	Index           uint64 `json:"Index"`
}

// PeriodicForceResponse is the reply to PUT /v1/job/:id/periodic/force:
// the evaluation of the launched child.
type PeriodicForceResponse struct {
	EvalID          string `json:"EvalID"`
	EvalCreateIndex uint64 `json:"EvalCreateIndex"`
	Index           uint64 `json:"Index"`
}

// EvalOptions tune a forced evaluation.
type EvalOptions struct {
	ForceReschedule bool `json:"ForceReschedule"`
}

// DrainSpec is what a user asks for when draining a node.
type DrainSpec struct {
	// Deadline is how long allocations may take to migrate; -1 forces an
	// immediate drain, 0 means no deadline.
	Deadline         time.Duration `json:"Deadline"`
	IgnoreSystemJobs bool          `json:"IgnoreSystemJobs"`
}

// NodeUpdateDrainRequest is the body of POST /v1/node/:id/drain.
type NodeUpdateDrainRequest struct {
	NodeID       string            `json:"NodeID"`
	DrainSpec    *DrainSpec        `json:"DrainSpec"`
	MarkEligible bool              `json:"MarkEligible"`
	Meta         map[string]string `json:"Meta"`
}

// NodeUpdateEligibilityRequest is the body of POST /v1/node/:id/eligibility.
type NodeUpdateEligibilityRequest struct {
	NodeID      string `json:"NodeID"`
	Eligibility string `json:"Eligibility"`
}

// NodeUpdateResponse is the reply to a node drain or eligibility change.
type NodeUpdateResponse struct {
	NodeModifyIndex uint64   `json:"NodeModifyIndex"`
	EvalIDs         []string `json:"EvalIDs"`
	EvalCreateIndex uint64   `json:"EvalCreateIndex"`
	Index           uint64   `json:"Index"`
}

// AllocStopResponse is the reply to POST /v1/allocation/:id/stop.
type AllocStopResponse struct {
	EvalID string `json:"EvalID"`
	Index  uint64 `json:"Index"`
}

// AgentMember is one server of the cluster as /v1/agent/members lists it.
type AgentMember struct {
	Name        string            `json:"Name"`
	Addr        string            `json:"Addr"`
	Port        uint16            `json:"Port"`
	Tags        map[string]string `json:"Tags"`
	Status      string            `json:"Status"`
	ProtocolMin uint8             `json:"ProtocolMin"`
	ProtocolMax uint8             `json:"ProtocolMax"`
	ProtocolCur uint8             `json:"ProtocolCur"`
	DelegateMin uint8             `json:"DelegateMin"`
	DelegateMax uint8             `json:"DelegateMax"`
	DelegateCur uint8             `json:"DelegateCur"`
}

// ServerMembers is the reply to GET /v1/agent/members.
type ServerMembers struct {
	ServerName   string         `json:"ServerName"`
	ServerRegion string         `json:"ServerRegion"`
	ServerDC     string         `json:"ServerDC"`
	Members      []*AgentMember `json:"Members"`
}

// AgentSelf is the reply to GET /v1/agent/self.
type AgentSelf struct {
	Config map[string]any               `json:"config"`
	Member *AgentMember                 `json:"member"`
	Stats  map[string]map[string]string `json:"stats"`
}

// AgentHealth is one half of the /v1/agent/health reply.
type AgentHealth struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// AgentHealthResponse is the reply to GET /v1/agent/health; a half is nil
// when the agent does not run that role.
type AgentHealthResponse struct {
	Client *AgentHealth `json:"client,omitempty"`
	Server *AgentHealth `json:"server,omitempty"`
}

// RaftServer is one raft peer.
type RaftServer struct {
	ID           string `json:"ID"`
	Node         string `json:"Node"`
	Address      string `json:"Address"`
	Leader       bool   `json:"Leader"`
	Voter        bool   `json:"Voter"`
	RaftProtocol string `json:"RaftProtocol"`
}

// RaftConfiguration is the reply to GET /v1/operator/raft/configuration.
type RaftConfiguration struct {
	Servers []*RaftServer `json:"Servers"`
	Index   uint64        `json:"Index"`
}

// Search contexts.
const (
	SearchAll    = "all"
	SearchJobs   = "jobs"
	SearchEvals  = "evals"
	SearchAllocs = "allocs"
	SearchNodes  = "nodes"
)

// SearchRequest is the body of POST /v1/search.
type SearchRequest struct {
	Prefix    string `json:"Prefix"`
	Context   string `json:"Context"`
	Namespace string `json:"Namespace,omitempty"`
}

// SearchResponse maps each context to the IDs matching the prefix, at most
// 20 each; Truncations says which lists were cut.
type SearchResponse struct {
	Matches     map[string][]string `json:"Matches"`
	Truncations map[string]bool     `json:"Truncations"`
	Index       uint64              `json:"Index"`
}
