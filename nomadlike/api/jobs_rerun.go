package api

import (
	"context"
	"net/http"
)

// JobRerunRequest is the body of PUT /v1/job/:id/rerun (nomadlike's): run a
// finished batch job again, whole or (Failed) only the indexes whose latest
// attempt did not succeed. The body may be empty (whole).
type JobRerunRequest struct {
	JobID  string `json:"JobID"`
	Failed bool   `json:"Failed"`
}

// Rerun runs a finished batch or sysbatch job again as a new version (see
// JobRerunRequest) and returns its evaluation.
func (j *Jobs) Rerun(ctx context.Context, id string, failedOnly bool, q *QueryOptions) (*JobRegisterResponse, *WriteMeta, error) {
	var out JobRegisterResponse
	wm, err := j.c.Write(ctx, http.MethodPut, jobPath(id, "/rerun"), &JobRerunRequest{JobID: id, Failed: failedOnly}, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}
