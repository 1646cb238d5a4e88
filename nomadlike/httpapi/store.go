package httpapi

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Store is what the HTTP API reads from the servers' state: the reads of
// *state.StateStore that the handlers use, and
// nothing that writes. Every read takes a state.WatchSet, nil when the
// handler does not block; query re-runs a read when one of the watched
// results may have changed (blocking queries). Returned objects are shared
// with the store: never modify them.
type Store interface {
	jobReads
	allocReads
	nodeReads
	clusterReads
	// Index is the last index that changed table; IndexWatch also adds the
	// table's index entry to ws; LatestIndex is the largest of all tables.
	Index(table string) (uint64, error)
	IndexWatch(ws state.WatchSet, table string) (uint64, error)
	LatestIndex() (uint64, error)
}

type jobReads interface {
	JobByID(ws state.WatchSet, ns, id string) (*nomadlike.Job, error)
	Jobs(ws state.WatchSet, ns, prefix string) ([]*nomadlike.Job, error)
	JobSummaryByID(ws state.WatchSet, ns, id string) (*nomadlike.JobSummary, error)
	JobVersionsByID(ws state.WatchSet, ns, id string) ([]*nomadlike.Job, error)
	ScalingEventsByJob(ws state.WatchSet, ns, jobID string) (*nomadlike.JobScalingEvents, error)
	EvalByID(ws state.WatchSet, id string) (*nomadlike.Evaluation, error)
	Evals(ws state.WatchSet, prefix string) ([]*nomadlike.Evaluation, error)
	EvalsByJob(ws state.WatchSet, ns, jobID string) ([]*nomadlike.Evaluation, error)
	DeploymentByID(ws state.WatchSet, id string) (*nomadlike.Deployment, error)
	Deployments(ws state.WatchSet, ns, prefix string) ([]*nomadlike.Deployment, error)
	DeploymentsByJob(ws state.WatchSet, ns, jobID string) ([]*nomadlike.Deployment, error)
	LatestDeploymentByJob(ws state.WatchSet, ns, jobID string) (*nomadlike.Deployment, error)
}

type allocReads interface {
	AllocByID(ws state.WatchSet, id string) (*nomadlike.Allocation, error)
	Allocs(ws state.WatchSet, prefix string) ([]*nomadlike.Allocation, error)
	AllocsByEval(ws state.WatchSet, evalID string) ([]*nomadlike.Allocation, error)
	AllocsByJob(ws state.WatchSet, ns, jobID string) ([]*nomadlike.Allocation, error)
	AllocsByNode(ws state.WatchSet, nodeID string) ([]*nomadlike.Allocation, error)
	ServiceRegistrations(ws state.WatchSet, ns string) ([]*nomadlike.ServiceRegistration, error)
	ServiceRegistrationsByAlloc(ws state.WatchSet, allocID string) ([]*nomadlike.ServiceRegistration, error)
	ServiceRegistrationsByName(ws state.WatchSet, ns, name string) ([]*nomadlike.ServiceRegistration, error)
}

type nodeReads interface {
	NodeByID(ws state.WatchSet, id string) (*nomadlike.Node, error)
	NodeBySecretID(ws state.WatchSet, secret string) (*nomadlike.Node, error)
	Nodes(ws state.WatchSet, prefix string) ([]*nomadlike.Node, error)
	HostVolumeByID(ws state.WatchSet, id string) (*nomadlike.HostVolume, error)
	HostVolumeClaims(ws state.WatchSet, v *nomadlike.HostVolume) ([]*nomadlike.AllocListStub, error)
	HostVolumes(ws state.WatchSet, ns, prefix string) ([]*nomadlike.HostVolume, error)
	HostVolumesByNode(ws state.WatchSet, nodeID string) ([]*nomadlike.HostVolume, error)
}

// clusterReads are the cluster-wide tables: ACLs, namespaces, variables and
// the scheduler's configuration.
type clusterReads interface {
	ACLPolicies(ws state.WatchSet, prefix string) ([]*nomadlike.ACLPolicy, error)
	ACLPolicyByName(ws state.WatchSet, name string) (*nomadlike.ACLPolicy, error)
	ACLTokenByAccessorID(ws state.WatchSet, id string) (*nomadlike.ACLToken, error)
	ACLTokens(ws state.WatchSet, prefix string) ([]*nomadlike.ACLToken, error)
	NamespaceByName(ws state.WatchSet, name string) (*nomadlike.Namespace, error)
	Namespaces(ws state.WatchSet, prefix string) ([]*nomadlike.Namespace, error)
	VariableByPath(ws state.WatchSet, ns, path string) (*nomadlike.VariableEncrypted, error)
	Variables(ws state.WatchSet, ns, prefix string) ([]*nomadlike.VariableEncrypted, error)
	SchedulerConfig(ws state.WatchSet) (*nomadlike.SchedulerConfiguration, error)
}

var _ Store = (*state.StateStore)(nil)
