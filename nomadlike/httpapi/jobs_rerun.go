package httpapi

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// JobRerunner is the optional capability of a Backend that runs finished
// batch jobs again (*server.Server has it); see server.Server.RerunJob.
type JobRerunner interface {
	RerunJob(ns, jobID string, failedOnly bool) (evalID string, index uint64, warnings string, err error)
}

// errNoRerun is the answer of a backend without JobRerunner.
var errNoRerun = errors.New("this server cannot rerun jobs")

// rerunRoutes registers PUT /v1/job/:id/rerun (nomadlike's `job rerun`).
// It registers a new version of the job, so it needs submit-job in
// ?namespace=, as a job register does.
func (h *Handler) rerunRoutes() {
	h.write("/v1/job/{id}/rerun", ns(acl.NamespaceCapabilitySubmitJob), h.serverOnly(h.jobRerun))
}

// jobRerun answers PUT /v1/job/:id/rerun with a JobRegisterResponse; the
// body (api.JobRerunRequest) is optional.
func (h *Handler) jobRerun(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req api.JobRerunRequest
	if len(bytes.TrimSpace(b)) > 0 {
		if err := decodeJSON(b, &req); err != nil {
			writeError(w, err)
			return
		}
	}
	id := r.PathValue("id")
	if req.JobID != "" && req.JobID != id {
		writeError(w, badRequest("JobID: %s does not match the job ID %s in the path", reqlimit.Quote(req.JobID), reqlimit.Quote(id)))
		return
	}
	rerunner, ok := h.cfg.Server.(JobRerunner)
	if !ok {
		writeError(w, errNoRerun)
		return
	}
	ns := namespaceParam(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		evalID, index, warnings, err := rerunner.RerunJob(ns, id, req.Failed)
		if err != nil {
			return nil, 0, err
		}
		return &api.JobRegisterResponse{EvalID: evalID, EvalCreateIndex: index, JobModifyIndex: index, Warnings: warnings, Index: index}, index, nil
	})
}
