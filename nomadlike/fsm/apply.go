package fsm

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// entry is a decoded raft entry header: its type, raft index, the leader's
// append time in unix nanos (0 when unknown) and the JSON body.
type entry struct {
	typ   MessageType
	index uint64
	at    int64
	body  []byte
}

// handler applies one entry and returns the evaluations it wrote, for the
// eval hook.
type handler func(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error)

// handlers is the dispatch table, indexed by MessageType.
var handlers = [...]handler{
	JobRegisterRequestType:           applyJobRegister,
	JobDeregisterRequestType:         applyJobDeregister,
	EvalUpdateRequestType:            applyEvalUpdate,
	EvalDeleteRequestType:            applyEvalDelete,
	AllocUpdateRequestType:           applyAllocUpdate,
	AllocClientUpdateRequestType:     applyAllocClientUpdate,
	NodeRegisterRequestType:          applyNodeRegister,
	NodeDeregisterRequestType:        applyNodeDeregister,
	NodeUpdateStatusRequestType:      applyNodeUpdateStatus,
	NodeUpdateEligibilityRequestType: applyNodeUpdateEligibility,
	NodeUpdateDrainRequestType:       applyNodeUpdateDrain,
	ApplyPlanResultsRequestType:      applyPlanResults,
	PlanResultsEntryType:             applyPlanResults,
	PeriodicLaunchRequestType:        applyPeriodicLaunch,
	// namespaces (namespaces.go)
	NamespaceUpsertRequestType: applyNamespaceUpsert,
	NamespaceDeleteRequestType: applyNamespaceDelete,
	// ACL store (acl.go)
	ACLPolicyUpsertRequestType: applyACLPolicyUpsert,
	ACLPolicyDeleteRequestType: applyACLPolicyDelete,
	ACLTokenUpsertRequestType:  applyACLTokenUpsert,
	ACLTokenDeleteRequestType:  applyACLTokenDelete,
	ACLBootstrapRequestType:    applyACLBootstrap,
	// job scale (scaling.go)
	JobScaleRequestType: applyJobScale,
	// server garbage collection (gc.go)
	GCPurgeRequestType:            applyGCPurge,
	GCNodesRequestType:            applyGCNodes,
	ReconcileSummariesRequestType: applyReconcileSummaries,
	// variables and keyring (variables.go)
	VariableApplyRequestType: applyVariable,
	RootKeyUpsertRequestType: applyRootKeyUpsert,
	// service catalog (service_registrations.go)
	ServiceRegistrationUpsertRequestType:         applyServiceRegistrationUpsert,
	ServiceRegistrationDeleteByIDRequestType:     applyServiceRegistrationDeleteByID,
	ServiceRegistrationDeleteByAllocsRequestType: applyServiceRegistrationDeleteByAllocs,
	ServiceRegistrationDeleteByNodeRequestType:   applyServiceRegistrationDeleteByNode,
	ServiceRegistrationDeleteByIDsRequestType:    applyServiceRegistrationDeleteByIDs,
	// deployments (deployments.go)
	DeploymentUpsertRequestType:       applyDeploymentUpsert,
	DeploymentStatusUpdateRequestType: applyDeploymentStatusUpdate,
	DeploymentPromoteRequestType:      applyDeploymentPromote,
	DeploymentAllocHealthRequestType:  applyDeploymentAllocHealth,
	JobStabilityRequestType:           applyJobStability,
	DeploymentDeleteRequestType:       applyDeploymentDelete,
	// node drainer (drain.go)
	AllocUpdateDesiredTransitionRequestType: applyAllocUpdateDesiredTransition,
	// scheduler configuration (scheduler_config.go)
	SchedulerConfigRequestType: applySchedulerConfig,
	// dynamic host volumes (host_volumes.go)
	HostVolumeUpsertRequestType: applyHostVolumeUpsert,
	HostVolumeDeleteRequestType: applyHostVolumeDelete,
	// plan group commit (plan_batch.go)
	PlanResultsBatchType: applyPlanResultsBatch,
}

// stampEvals sets the leader's append time on evals: ModifyTime always,
// CreateTime when unset (the store keeps an existing eval's CreateTime).
func stampEvals(e entry, evals []*nomadlike.Evaluation) {
	if e.at == 0 {
		return
	}
	for _, ev := range evals {
		if ev == nil {
			continue
		}
		ev.ModifyTime = e.at
		if ev.CreateTime == 0 {
			ev.CreateTime = e.at
		}
	}
}

// stampAllocs is stampEvals for allocations.
func stampAllocs(e entry, allocs []*nomadlike.Allocation) {
	if e.at == 0 {
		return
	}
	for _, a := range allocs {
		if a == nil {
			continue
		}
		a.ModifyTime = e.at
		if a.CreateTime == 0 {
			a.CreateTime = e.at
		}
	}
}

// upsertEvals writes evals (if any) and returns them for the hook.
func upsertEvals(s *state.StateStore, e entry, evals []*nomadlike.Evaluation) ([]*nomadlike.Evaluation, error) {
	if len(evals) == 0 {
		return nil, nil
	}
	stampEvals(e, evals)
	if err := s.UpsertEvals(e.index, evals); err != nil {
		return nil, err
	}
	return evals, nil
}

func applyJobRegister(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[JobRegisterRequest](e)
	if err := s.UpsertJob(e.index, req.Job); err != nil {
		return nil, err
	}
	return upsertJobEval(s, e, req.Job, req.Eval)
}

// upsertJobEval writes eval (if any), the evaluation of the job just
// stored, with the stored job's JobModifyIndex.
func upsertJobEval(s *state.StateStore, e entry, job *nomadlike.Job, eval *nomadlike.Evaluation) ([]*nomadlike.Evaluation, error) {
	if eval == nil {
		return nil, nil
	}
	stored, err := s.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	eval.JobModifyIndex = stored.JobModifyIndex
	return upsertEvals(s, e, []*nomadlike.Evaluation{eval})
}

func applyJobDeregister(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[JobDeregisterRequest](e)
	if req.Purge {
		if err := s.DeleteJob(e.index, req.Namespace, req.JobID); err != nil {
			return nil, err
		}
		if req.Eval != nil {
			req.Eval.JobModifyIndex = e.index
		}
	} else {
		job, err := s.JobByID(nil, req.Namespace, req.JobID)
		if err != nil {
			return nil, err
		}
		if job == nil {
			return nil, fmt.Errorf("stop job %q in %q: %w", req.JobID, req.Namespace, nomadlike.ErrJobNotFound)
		}
		stopped := job.Copy()
		stopped.Stop = true
		if err := s.UpsertJob(e.index, stopped); err != nil {
			return nil, err
		}
		if req.Eval != nil {
			cur, err := s.JobByID(nil, req.Namespace, req.JobID)
			if err != nil {
				return nil, err
			}
			req.Eval.JobModifyIndex = cur.JobModifyIndex
		}
	}
	if req.Eval == nil {
		return nil, nil
	}
	return upsertEvals(s, e, []*nomadlike.Evaluation{req.Eval})
}

func applyEvalUpdate(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[EvalUpdateRequest](e)
	return upsertEvals(s, e, req.Evals)
}

func applyEvalDelete(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[EvalDeleteRequest](e)
	return nil, s.DeleteEvals(e.index, req.Evals, req.Allocs)
}

func applyAllocUpdate(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[AllocUpdateRequest](e)
	return applyPlanRequest(s, e, &state.ApplyPlanResultsRequest{
		Job:           req.Job,
		AllocsUpdated: append(append([]*nomadlike.Allocation(nil), req.Allocs...), req.AllocsUpdated...),
		AllocsStopped: req.AllocsStopped,
		EvalID:        req.EvalID,
		Evals:         req.Evals,
	})
}

func applyAllocClientUpdate(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[AllocClientUpdateRequest](e)
	if e.at != 0 {
		for _, a := range req.Allocs {
			if a != nil {
				a.ModifyTime = e.at
			}
		}
	}
	// The evaluations first: the job's status, refreshed by the allocation
	// write, then sees them pending and stays running instead of turning
	// dead for an instant (job run -wait would report that dead job's
	// outcome) when the last live allocation finishes and the evaluation
	// will place more (a reschedule, or a group depending on it).
	evals, err := upsertEvals(s, e, req.Evals)
	if err != nil {
		return nil, err
	}
	if err := s.UpdateAllocsFromClient(e.index, req.Allocs); err != nil {
		return nil, err
	}
	return evals, nil
}

func applyNodeRegister(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[NodeRegisterRequest](e)
	return nil, s.UpsertNode(e.index, req.Node)
}

func applyNodeDeregister(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[NodeDeregisterRequest](e)
	return nil, s.DeleteNode(e.index, req.NodeIDs)
}

func applyNodeUpdateStatus(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[NodeUpdateStatusRequest](e)
	if err := s.UpdateNodeStatus(e.index, req.NodeID, req.Status, req.UpdatedAt); err != nil {
		return nil, err
	}
	return upsertEvals(s, e, req.Evals)
}

func applyNodeUpdateEligibility(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[NodeUpdateEligibilityRequest](e)
	if err := s.UpdateNodeEligibility(e.index, req.NodeID, req.Eligibility); err != nil {
		return nil, err
	}
	return upsertEvals(s, e, req.Evals)
}

func applyNodeUpdateDrain(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[NodeUpdateDrainRequest](e)
	if err := s.UpdateNodeDrain(e.index, req.NodeID, req.DrainStrategy, req.MarkEligible); err != nil {
		return nil, err
	}
	return upsertEvals(s, e, req.Evals)
}

func applyPlanResults(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	return applyPlanRequest(s, e, decode[PlanResultsEntry](e).request(e.index))
}

func applyPlanRequest(s *state.StateStore, e entry, req *state.ApplyPlanResultsRequest) ([]*nomadlike.Evaluation, error) {
	stampAllocs(e, req.AllocsUpdated)
	stampAllocs(e, req.AllocsStopped)
	stampEvals(e, req.Evals)
	if err := s.UpsertPlanResults(e.index, req); err != nil {
		return nil, err
	}
	return req.Evals, nil
}

func applyPeriodicLaunch(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[PeriodicLaunchRequest](e)
	var evals []*nomadlike.Evaluation
	if req.Job != nil && req.Eval != nil {
		evals = []*nomadlike.Evaluation{req.Eval}
		stampEvals(e, evals)
	}
	if err := s.UpsertPeriodicLaunch(e.index, req.Launch, req.Job, evals); err != nil {
		return nil, err
	}
	return evals, nil
}
