package api

import (
	"context"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// ScalingRequest is the body of PUT /v1/job/:id/scale (Nomad's): Target
// names the group ({"Group": "web"}; Nomad's clients also send "Job").
type ScalingRequest struct {
	Count          *int64            `json:"Count"`
	Target         map[string]string `json:"Target"`
	Message        string            `json:"Message"`
	Error          bool              `json:"Error"`
	Meta           map[string]any    `json:"Meta"`
	PolicyOverride bool              `json:"PolicyOverride"`
	JobModifyIndex uint64            `json:"JobModifyIndex"`
}

// JobScaleStatusResponse is the reply to GET /v1/job/:id/scale.
type JobScaleStatusResponse struct {
	JobID          string                          `json:"JobID"`
	Namespace      string                          `json:"Namespace"`
	JobCreateIndex uint64                          `json:"JobCreateIndex"`
	JobModifyIndex uint64                          `json:"JobModifyIndex"`
	JobStopped     bool                            `json:"JobStopped"`
	TaskGroups     map[string]TaskGroupScaleStatus `json:"TaskGroups"`
}

// TaskGroupScaleStatus is one group's count, its allocations and its
// scaling events (newest first). Healthy and Unhealthy are 0: nomadlike
// has no deployments to judge health by.
type TaskGroupScaleStatus struct {
	Desired   int                       `json:"Desired"`
	Placed    int                       `json:"Placed"`
	Running   int                       `json:"Running"`
	Healthy   int                       `json:"Healthy"`
	Unhealthy int                       `json:"Unhealthy"`
	Events    []*nomadlike.ScalingEvent `json:"Events"`
}

// JobsParseRequest is the body of PUT /v1/jobs/parse (Nomad's): the HCL
// of a job and, as the content of a variables file, its variables.
type JobsParseRequest struct {
	JobHCL       string `json:"JobHCL"`
	Variables    string `json:"Variables"`
	Canonicalize bool   `json:"Canonicalize"`
	HCLv1        bool   `json:"hclv1,omitempty"`
}

// JobValidateRequest is the body of PUT /v1/validate/job.
type JobValidateRequest struct {
	Job *nomadlike.Job `json:"Job"`
}

// JobValidateResponse is the reply to PUT /v1/validate/job (Nomad's): an
// invalid job is a 200 with its problems in ValidationErrors and Error.
type JobValidateResponse struct {
	DriverConfigValidated bool     `json:"DriverConfigValidated"`
	ValidationErrors      []string `json:"ValidationErrors"`
	Error                 string   `json:"Error"`
	Warnings              string   `json:"Warnings"`
}

// Scale sets the count of group in job id (count nil with isError records
// an error event only), through the scheduler: a new job version and an
// evaluation, whose ID the answer carries.
func (j *Jobs) Scale(ctx context.Context, id, group string, count *int64, message string, isError bool, meta map[string]any, q *QueryOptions) (*JobRegisterResponse, *WriteMeta, error) {
	req := &ScalingRequest{Count: count, Target: map[string]string{"Job": id, "Group": group}, Message: message, Error: isError, Meta: meta}
	var out JobRegisterResponse
	wm, err := j.c.Write(ctx, http.MethodPut, jobPath(id, "/scale"), req, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// ScaleStatus reads the groups' counts and scaling events of job id.
func (j *Jobs) ScaleStatus(ctx context.Context, id string, q *QueryOptions) (*JobScaleStatusResponse, *QueryMeta, error) {
	var out JobScaleStatusResponse
	qm, err := j.c.Query(ctx, jobPath(id, "/scale"), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// ParseHCL has the servers parse a job file (file functions disabled
// there) and returns the job.
func (j *Jobs) ParseHCL(ctx context.Context, req *JobsParseRequest, q *QueryOptions) (*nomadlike.Job, error) {
	var out nomadlike.Job
	if _, err := j.c.Write(ctx, http.MethodPut, "/v1/jobs/parse", req, &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// Validate has the servers validate job.
func (j *Jobs) Validate(ctx context.Context, job *nomadlike.Job, q *QueryOptions) (*JobValidateResponse, error) {
	var out JobValidateResponse
	if _, err := j.c.Write(ctx, http.MethodPut, "/v1/validate/job", &JobValidateRequest{Job: job}, &out, nsQuery(job.Namespace, q)); err != nil {
		return nil, err
	}
	return &out, nil
}

// Regions lists the regions the agent knows (one: its own).
func (c *Client) Regions(ctx context.Context) ([]string, error) {
	var out []string
	if _, err := c.Query(ctx, "/v1/regions", &out, nil); err != nil {
		return nil, err
	}
	return out, nil
}
