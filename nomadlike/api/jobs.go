package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Jobs is the /v1/jobs and /v1/job/:id part of the API.
type Jobs struct{ c *Client }

// Jobs returns the jobs endpoints.
func (c *Client) Jobs() *Jobs { return &Jobs{c: c} }

func jobPath(id string, suffix string) string {
	return "/v1/job/" + url.PathEscape(id) + suffix
}

func nsQuery(ns string, q *QueryOptions) *QueryOptions {
	if ns == "" {
		return q
	}
	if q == nil {
		return &QueryOptions{Namespace: ns}
	}
	cp := *q
	if cp.Namespace == "" {
		cp.Namespace = ns
	}
	return &cp
}

// Register submits a job (create or update). It returns after the job and
// its evaluation are committed.
func (j *Jobs) Register(ctx context.Context, job *nomadlike.Job, q *QueryOptions) (*JobRegisterResponse, *WriteMeta, error) {
	return j.EnforceRegister(ctx, job, false, 0, q)
}

// EnforceRegister registers the job only if its current JobModifyIndex is
// modifyIndex (0: the job must not exist yet) when enforce is set.
func (j *Jobs) EnforceRegister(ctx context.Context, job *nomadlike.Job, enforce bool, modifyIndex uint64, q *QueryOptions) (*JobRegisterResponse, *WriteMeta, error) {
	req := &JobRegisterRequest{Job: job, EnforceIndex: enforce, JobModifyIndex: modifyIndex}
	var out JobRegisterResponse
	wm, err := j.c.Write(ctx, http.MethodPut, "/v1/jobs", req, &out, nsQuery(job.Namespace, q))
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// List lists jobs (q.Prefix filters by ID prefix; q.Namespace "*" lists all).
func (j *Jobs) List(ctx context.Context, q *QueryOptions) ([]*nomadlike.JobListStub, *QueryMeta, error) {
	var out []*nomadlike.JobListStub
	qm, err := j.c.Query(ctx, "/v1/jobs", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// PrefixList lists the jobs whose ID starts with prefix.
func (j *Jobs) PrefixList(ctx context.Context, prefix string) ([]*nomadlike.JobListStub, *QueryMeta, error) {
	return j.List(ctx, &QueryOptions{Prefix: prefix})
}

// Info returns the job; errors.Is(err, ErrNotFound) when it does not exist.
func (j *Jobs) Info(ctx context.Context, id string, q *QueryOptions) (*nomadlike.Job, *QueryMeta, error) {
	var out nomadlike.Job
	qm, err := j.c.Query(ctx, jobPath(id, ""), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Deregister stops the job and, with purge, removes it and its history.
func (j *Jobs) Deregister(ctx context.Context, id string, purge bool, q *QueryOptions) (*JobDeregisterResponse, *WriteMeta, error) {
	if purge {
		q = withParam(q, "purge", "true")
	}
	var out JobDeregisterResponse
	wm, err := j.c.Write(ctx, http.MethodDelete, jobPath(id, ""), nil, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Plan runs the scheduler on the job without committing anything.
func (j *Jobs) Plan(ctx context.Context, job *nomadlike.Job, diff bool, q *QueryOptions) (*JobPlanResponse, *WriteMeta, error) {
	req := &JobPlanRequest{Job: job, Diff: diff}
	var out JobPlanResponse
	wm, err := j.c.Write(ctx, http.MethodPut, jobPath(job.ID, "/plan"), req, &out, nsQuery(job.Namespace, q))
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Versions returns the job's stored versions, newest first, and with diffs
// the change each made over the one before.
func (j *Jobs) Versions(ctx context.Context, id string, diffs bool, q *QueryOptions) ([]*nomadlike.Job, []*JobDiff, *QueryMeta, error) {
	if diffs {
		q = withParam(q, "diffs", "true")
	}
	var out JobVersionsResponse
	qm, err := j.c.Query(ctx, jobPath(id, "/versions"), &out, q)
	if err != nil {
		return nil, nil, nil, err
	}
	return out.Versions, out.Diffs, qm, nil
}

// Allocations lists the job's allocations; all includes those of previous
// job versions that were replaced.
func (j *Jobs) Allocations(ctx context.Context, id string, all bool, q *QueryOptions) ([]*nomadlike.AllocListStub, *QueryMeta, error) {
	if all {
		q = withParam(q, "all", "true")
	}
	var out []*nomadlike.AllocListStub
	qm, err := j.c.Query(ctx, jobPath(id, "/allocations"), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Evaluations lists the job's evaluations.
func (j *Jobs) Evaluations(ctx context.Context, id string, q *QueryOptions) ([]*nomadlike.Evaluation, *QueryMeta, error) {
	var out []*nomadlike.Evaluation
	qm, err := j.c.Query(ctx, jobPath(id, "/evaluations"), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Summary returns the job's allocation counts per task group.
func (j *Jobs) Summary(ctx context.Context, id string, q *QueryOptions) (*nomadlike.JobSummary, *QueryMeta, error) {
	var out nomadlike.JobSummary
	qm, err := j.c.Query(ctx, jobPath(id, "/summary"), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// ForceEvaluate creates a new evaluation of the job.
func (j *Jobs) ForceEvaluate(ctx context.Context, id string, opts EvalOptions, q *QueryOptions) (*JobRegisterResponse, *WriteMeta, error) {
	req := &JobEvaluateRequest{JobID: id, EvalOptions: opts}
	var out JobRegisterResponse
	wm, err := j.c.Write(ctx, http.MethodPut, jobPath(id, "/evaluate"), req, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Dispatch runs a parameterized job once with meta and payload (either may
// be empty); idPrefixTemplate, when set, goes into the child's ID. It
// returns after the child job and its evaluation are committed.
func (j *Jobs) Dispatch(ctx context.Context, id string, meta map[string]string, payload []byte, idPrefixTemplate string, q *QueryOptions) (*JobDispatchResponse, *WriteMeta, error) {
	req := &JobDispatchRequest{JobID: id, Payload: payload, Meta: meta, IdPrefixTemplate: idPrefixTemplate}
	var out JobDispatchResponse
	wm, err := j.c.Write(ctx, http.MethodPut, jobPath(id, "/dispatch"), req, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// PeriodicForce launches a child of a periodic job now and returns the
// child's evaluation ID.
func (j *Jobs) PeriodicForce(ctx context.Context, id string, q *QueryOptions) (*PeriodicForceResponse, *WriteMeta, error) {
	var out PeriodicForceResponse
	wm, err := j.c.Write(ctx, http.MethodPut, jobPath(id, "/periodic/force"), nil, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// withParam returns a copy of q with one more query parameter.
func withParam(q *QueryOptions, key, value string) *QueryOptions {
	var cp QueryOptions
	if q != nil {
		cp = *q
	}
	params := make(map[string]string, len(cp.Params)+1)
	for k, v := range cp.Params {
		params[k] = v
	}
	params[key] = value
	cp.Params = params
	return &cp
}
