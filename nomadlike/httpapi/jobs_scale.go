package httpapi

import (
	"errors"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// JobScaler is the optional capability of a Backend that scales jobs
// (*server.Server has it); see server.Server.ScaleJob for the rules.
type JobScaler interface {
	ScaleJob(ns, jobID string, req nomadlike.ScaleRequest) (evalID string, index uint64, warnings string, err error)
}

// errNoScale is the answer of a backend without JobScaler.
var errNoScale = errors.New("this server cannot scale jobs")

// scaleRoutes registers /v1/job/:id/scale, with Nomad's requirements:
// scaling needs scale-job or submit-job, reading read-job-scaling or
// read-job, in ?namespace=.
func (h *Handler) scaleRoutes() {
	h.write("/v1/job/{id}/scale", nsEither(acl.NamespaceCapabilityScaleJob, acl.NamespaceCapabilitySubmitJob), h.serverOnly(h.jobScale))
	h.get("/v1/job/{id}/scale", nsEither(acl.NamespaceCapabilityReadJobScaling, acl.NamespaceCapabilityReadJob), h.serverOnly(h.jobScaleStatus))
}

// jobScale answers PUT /v1/job/:id/scale: Nomad's ScalingRequest
// (Target{"Group"}, Count, Message, Error, Meta), through the scheduler.
func (h *Handler) jobScale(w http.ResponseWriter, r *http.Request) {
	var req api.ScalingRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	if j := req.Target["Job"]; j != "" && j != id {
		writeError(w, badRequest("Target.Job: %s does not match the job ID %s in the path", reqlimit.Quote(j), reqlimit.Quote(id)))
		return
	}
	scaler, ok := h.cfg.Server.(JobScaler)
	if !ok {
		writeError(w, errNoScale)
		return
	}
	ns := namespaceParam(r)
	sr := nomadlike.ScaleRequest{Group: req.Target["Group"], Count: req.Count, Message: req.Message,
		Error: req.Error, Meta: req.Meta, JobModifyIndex: req.JobModifyIndex}
	h.writeOp(w, r, func() (any, uint64, error) {
		evalID, index, warnings, err := scaler.ScaleJob(ns, id, sr)
		if err != nil {
			return nil, 0, err
		}
		out := &api.JobRegisterResponse{EvalID: evalID, Warnings: warnings, Index: index, JobModifyIndex: index}
		if evalID != "" {
			out.EvalCreateIndex = index
		}
		return out, index, nil
	})
}

// jobScaleStatus answers GET /v1/job/:id/scale: each group's count, its
// placed (not terminal) and running allocations of the current job, and
// its scaling events, newest first.
func (h *Handler) jobScaleStatus(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableJobs, state.TableAllocs, state.TableScalingEvents)
		if err != nil {
			return nil, 0, err
		}
		job, err := jobByPath(ws, st, r, q)
		if err != nil {
			return nil, idx, err
		}
		allocs, err := st.AllocsByJob(ws, job.Namespace, job.ID)
		if err != nil {
			return nil, idx, err
		}
		events, err := st.ScalingEventsByJob(ws, job.Namespace, job.ID)
		if err != nil {
			return nil, idx, err
		}
		return scaleStatus(job, allocs, events), idx, nil
	})
}

// scaleStatus builds the answer of GET /v1/job/:id/scale.
func scaleStatus(job *nomadlike.Job, allocs []*nomadlike.Allocation, events *nomadlike.JobScalingEvents) *api.JobScaleStatusResponse {
	out := &api.JobScaleStatusResponse{
		JobID: job.ID, Namespace: job.Namespace, JobCreateIndex: job.CreateIndex, JobModifyIndex: job.JobModifyIndex,
		JobStopped: job.Stop, TaskGroups: make(map[string]api.TaskGroupScaleStatus, len(job.TaskGroups)),
	}
	for _, tg := range job.TaskGroups {
		s := api.TaskGroupScaleStatus{Desired: tg.Count, Events: []*nomadlike.ScalingEvent{}}
		if events != nil && len(events.ScalingEvents[tg.Name]) > 0 {
			s.Events = events.ScalingEvents[tg.Name]
		}
		out.TaskGroups[tg.Name] = s
	}
	for _, a := range allocs {
		s, ok := out.TaskGroups[a.TaskGroup]
		// Allocations of an earlier job with this ID are not counted.
		if !ok || a.TerminalStatus() || (a.Job != nil && a.Job.CreateIndex != 0 && a.Job.CreateIndex != job.CreateIndex) {
			continue
		}
		s.Placed++
		if a.ClientStatus == nomadlike.AllocClientStatusRunning {
			s.Running++
		}
		out.TaskGroups[a.TaskGroup] = s
	}
	return out
}
