package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
	"github.com/nomadlike/nomadlike/nomadlike/periodic"
)

// JobValidator is the optional capability of a Backend that validates a
// job as its register would (*server.Server has it: the job's own checks,
// the cron spec, the namespace, job_max_count), returning the job's
// warnings or the error a register would return. Without it the handler
// runs the job's own checks only.
type JobValidator interface {
	ValidateJob(job *nomadlike.Job) (warnings string, err error)
}

// parseRoutes registers PUT/POST /v1/jobs/parse and /v1/validate/job, as
// Nomad's: parse needs parse-job or submit-job in ?namespace=, validate
// needs read-job in the job's namespace. Both bodies are capped as job
// registers are (BodyLimits.Job).
func (h *Handler) parseRoutes() {
	h.write("/v1/jobs/parse", nsEither(acl.NamespaceCapabilityParseJob, acl.NamespaceCapabilitySubmitJob), h.jobsParse)
	h.write("/v1/validate/job", nsOf(nsJobBody, acl.NamespaceCapabilityReadJob), h.serverOnly(h.jobValidate))
}

// maxParses is how many confined parses run at once; more wait.
const maxParses = 2

// parseFilename names the job file in the positions of parse errors.
const parseFilename = "input.hcl"

// jobsParse turns a job's HCL into its JSON. The parse runs on the agent
// that received the request (no state is read) and is confined
// (jobspec.ParseConfined): in a child process under memory and CPU limits
// (Config.ParseLimits), at most maxParses at a time; the file functions
// fail (jobspec.ErrFileFunctionsDisabled) and the agent's environment sets
// no variable (NOMAD_VAR_*); the variables come from the request's
// Variables, the content of a variables file. A file that passes the
// limits is a 400 (jobspec.ErrParseLimit). The job comes back
// canonicalized and validated whatever Canonicalize says (nomadlike's
// parser always does both); an invalid file is a 400 listing each problem
// as input.hcl:line:col.
func (h *Handler) jobsParse(w http.ResponseWriter, r *http.Request) {
	var req api.JobsParseRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	switch {
	case strings.TrimSpace(req.JobHCL) == "":
		writeError(w, badRequest("JobHCL: missing; the body must be {\"JobHCL\": \"job \\\"x\\\" { ... }\"}"))
		return
	case req.HCLv1:
		writeError(w, badRequest("hclv1: nomadlike parses HCL2 job files only"))
		return
	}
	var vars []jobspec.VarSource
	if req.Variables != "" {
		vars = []jobspec.VarSource{{Name: "variables.hcl", Src: []byte(req.Variables)}}
	}
	select {
	case h.parseSlotsCh <- struct{}{}:
		defer func() { <-h.parseSlotsCh }()
	case <-r.Context().Done():
		writeError(w, r.Context().Err())
		return
	}
	job, err := jobspec.ParseConfined(r.Context(), parseFilename, []byte(req.JobHCL), vars, h.cfg.ParseLimits)
	if err != nil {
		if errors.Is(err, jobspec.ErrInvalidJobFile) || errors.Is(err, jobspec.ErrParseLimit) {
			err = badRequest("%s", err)
		}
		writeError(w, err)
		return
	}
	writeJSON(w, r, job)
}

// jobValidate answers PUT /v1/validate/job as Nomad does: a job that
// fails its checks is a 200 whose ValidationErrors list each problem
// (Error joins them), the job's warnings (those a register would return)
// in Warnings. A body that is not a job is a 400.
func (h *Handler) jobValidate(w http.ResponseWriter, r *http.Request) {
	var req api.JobValidateRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Job == nil {
		writeError(w, badRequest("Job: missing; the body must be {\"Job\": {...}}"))
		return
	}
	jobNamespace(r, req.Job)
	var warnings string
	var err error
	if v, ok := h.cfg.Server.(JobValidator); ok {
		warnings, err = v.ValidateJob(req.Job)
	} else {
		warnings, err = validateJobLocally(req.Job)
	}
	out := &api.JobValidateResponse{Warnings: warnings, ValidationErrors: []string{}}
	if err != nil {
		var ve *nomadlike.ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				out.ValidationErrors = append(out.ValidationErrors, fe.String())
			}
		} else {
			out.ValidationErrors = append(out.ValidationErrors, err.Error())
		}
		out.Error = err.Error()
	}
	writeJSON(w, r, out)
}

// validateJobLocally runs the job's own checks, for a backend without
// JobValidator.
func validateJobLocally(job *nomadlike.Job) (string, error) {
	job = job.Copy()
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return "", err
	}
	if err := periodic.Validate(job); err != nil {
		return "", err
	}
	var lines []string
	for _, w := range job.Warnings() {
		lines = append(lines, w.String())
	}
	return strings.Join(lines, "\n"), nil
}
