package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// DeploymentPromoteRequest is the body of POST /v1/deployment/promote/:id.
type DeploymentPromoteRequest struct {
	DeploymentID string   `json:"DeploymentID"`
	All          bool     `json:"All"`
	Groups       []string `json:"Groups"`
}

// DeploymentPauseRequest is the body of POST /v1/deployment/pause/:id.
type DeploymentPauseRequest struct {
	DeploymentID string `json:"DeploymentID"`
	Pause        bool   `json:"Pause"`
}

// DeploymentAllocHealthRequest is the body of POST
// /v1/deployment/allocation-health/:id.
type DeploymentAllocHealthRequest struct {
	DeploymentID           string   `json:"DeploymentID"`
	HealthyAllocationIDs   []string `json:"HealthyAllocationIDs"`
	UnhealthyAllocationIDs []string `json:"UnhealthyAllocationIDs"`
}

// DeploymentFailRequest is the body of POST /v1/deployment/fail/:id.
type DeploymentFailRequest struct {
	DeploymentID string `json:"DeploymentID"`
}

// DeploymentUpdateResponse is the reply to a deployment change (Nomad's).
type DeploymentUpdateResponse struct {
	EvalID                string  `json:"EvalID"`
	EvalCreateIndex       uint64  `json:"EvalCreateIndex"`
	DeploymentModifyIndex uint64  `json:"DeploymentModifyIndex"`
	RevertedJobVersion    *uint64 `json:"RevertedJobVersion"`
	LastIndex             uint64  `json:"LastIndex"`
	RequestTime           int64   `json:"RequestTime"`
}

// JobRevertRequest is the body of POST /v1/job/:id/revert.
type JobRevertRequest struct {
	JobID               string  `json:"JobID"`
	JobVersion          uint64  `json:"JobVersion"`
	EnforcePriorVersion *uint64 `json:"EnforcePriorVersion"`
}

// JobStabilityRequest is the body of POST /v1/job/:id/stable.
type JobStabilityRequest struct {
	JobID      string `json:"JobID"`
	JobVersion uint64 `json:"JobVersion"`
	Stable     bool   `json:"Stable"`
}

// JobStabilityResponse is the reply to POST /v1/job/:id/stable.
type JobStabilityResponse struct {
	JobModifyIndex uint64 `json:"JobModifyIndex"`
	LastIndex      uint64 `json:"LastIndex"`
	RequestTime    int64  `json:"RequestTime"`
}

// Deployments is the deployment endpoints.
type Deployments struct{ c *Client }

// Deployments returns the deployment endpoints.
func (c *Client) Deployments() *Deployments { return &Deployments{c: c} }

func deploymentPath(op, id string) string {
	if op == "" {
		return "/v1/deployment/" + url.PathEscape(id)
	}
	return "/v1/deployment/" + op + "/" + url.PathEscape(id)
}

// List lists deployments, newest first (q.Prefix filters by ID prefix).
func (d *Deployments) List(ctx context.Context, q *QueryOptions) ([]*nomadlike.Deployment, *QueryMeta, error) {
	var out []*nomadlike.Deployment
	qm, err := d.c.Query(ctx, "/v1/deployments", &out, q)
	return out, qm, err
}

// Info reads one deployment.
func (d *Deployments) Info(ctx context.Context, id string, q *QueryOptions) (*nomadlike.Deployment, *QueryMeta, error) {
	var out nomadlike.Deployment
	qm, err := d.c.Query(ctx, deploymentPath("", id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations lists the allocations of a deployment.
func (d *Deployments) Allocations(ctx context.Context, id string, q *QueryOptions) ([]*nomadlike.AllocListStub, *QueryMeta, error) {
	var out []*nomadlike.AllocListStub
	qm, err := d.c.Query(ctx, deploymentPath("allocations", id), &out, q)
	return out, qm, err
}

func (d *Deployments) change(ctx context.Context, op, id string, body any, q *QueryOptions) (*DeploymentUpdateResponse, error) {
	var out DeploymentUpdateResponse
	if _, err := d.c.Write(ctx, http.MethodPost, deploymentPath(op, id), body, &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// Promote promotes the canaries of every group (groups empty) or of the
// named groups.
func (d *Deployments) Promote(ctx context.Context, id string, groups []string, q *QueryOptions) (*DeploymentUpdateResponse, error) {
	return d.change(ctx, "promote", id, &DeploymentPromoteRequest{DeploymentID: id, All: len(groups) == 0, Groups: groups}, q)
}

// Fail marks a deployment failed.
func (d *Deployments) Fail(ctx context.Context, id string, q *QueryOptions) (*DeploymentUpdateResponse, error) {
	return d.change(ctx, "fail", id, &DeploymentFailRequest{DeploymentID: id}, q)
}

// Pause pauses (pause true) or resumes a deployment.
func (d *Deployments) Pause(ctx context.Context, id string, pause bool, q *QueryOptions) (*DeploymentUpdateResponse, error) {
	return d.change(ctx, "pause", id, &DeploymentPauseRequest{DeploymentID: id, Pause: pause}, q)
}

// Unblock unblocks a multiregion deployment (nomadlike: always refused).
func (d *Deployments) Unblock(ctx context.Context, id string, q *QueryOptions) (*DeploymentUpdateResponse, error) {
	return d.change(ctx, "unblock", id, &DeploymentFailRequest{DeploymentID: id}, q)
}

// SetAllocHealth marks allocations of a deployment healthy or unhealthy.
func (d *Deployments) SetAllocHealth(ctx context.Context, id string, healthy, unhealthy []string, q *QueryOptions) (*DeploymentUpdateResponse, error) {
	return d.change(ctx, "allocation-health", id, &DeploymentAllocHealthRequest{DeploymentID: id,
		HealthyAllocationIDs: healthy, UnhealthyAllocationIDs: unhealthy}, q)
}

// Deployments lists the deployments of job id, newest first.
func (j *Jobs) Deployments(ctx context.Context, id string, q *QueryOptions) ([]*nomadlike.Deployment, *QueryMeta, error) {
	var out []*nomadlike.Deployment
	qm, err := j.c.Query(ctx, jobPath(id, "/deployments"), &out, q)
	return out, qm, err
}

// LatestDeployment reads the newest deployment of job id (nil when none).
func (j *Jobs) LatestDeployment(ctx context.Context, id string, q *QueryOptions) (*nomadlike.Deployment, *QueryMeta, error) {
	var out *nomadlike.Deployment
	qm, err := j.c.Query(ctx, jobPath(id, "/deployment"), &out, q)
	return out, qm, err
}

// Revert registers version of job id again as its newest version.
func (j *Jobs) Revert(ctx context.Context, id string, version uint64, enforcePrior *uint64, q *QueryOptions) (*JobRegisterResponse, error) {
	var out JobRegisterResponse
	req := &JobRevertRequest{JobID: id, JobVersion: version, EnforcePriorVersion: enforcePrior}
	if _, err := j.c.Write(ctx, http.MethodPost, jobPath(id, "/revert"), req, &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// Stable marks a version of job id stable or not.
func (j *Jobs) Stable(ctx context.Context, id string, version uint64, stable bool, q *QueryOptions) (*JobStabilityResponse, error) {
	var out JobStabilityResponse
	req := &JobStabilityRequest{JobID: id, JobVersion: version, Stable: stable}
	if _, err := j.c.Write(ctx, http.MethodPost, jobPath(id, "/stable"), req, &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}
