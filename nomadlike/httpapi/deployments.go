package httpapi

import (
	"errors"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Deployer is the optional capability of a Backend that changes
// deployments and job versions (*server.Server has it; see
// server/deployments.go). Each change returns the evaluation it created
// ("" none) and its raft index.
type Deployer interface {
	PromoteDeployment(id string, all bool, groups []string) (evalID string, index uint64, err error)
	FailDeployment(id string) (evalID string, index uint64, err error)
	PauseDeployment(id string, pause bool) (evalID string, index uint64, err error)
	SetAllocHealth(id string, healthy, unhealthy []string) (evalID string, index uint64, err error)
	UnblockDeployment(id string) (evalID string, index uint64, err error)
	RevertJob(ns, jobID string, version uint64, enforcePrior *uint64) (evalID string, index uint64, err error)
	SetJobStability(ns, jobID string, version uint64, stable bool) (uint64, error)
}

var errNoDeployer = errors.New("this server cannot change deployments")

// deploymentRoutes registers Nomad's deployment endpoints: reads need
// read-job, changes submit-job, in ?namespace= (a deployment of another
// namespace is not found, as in Nomad).
func (h *Handler) deploymentRoutes() {
	read, write := ns(acl.NamespaceCapabilityReadJob), ns(acl.NamespaceCapabilitySubmitJob)
	h.get("/v1/deployments", nsList(acl.NamespaceCapabilityReadJob), h.serverOnly(h.deploymentList))
	h.get("/v1/deployment/{id}", read, h.serverOnly(h.deploymentInfo))
	h.get("/v1/deployment/allocations/{id}", read, h.serverOnly(h.deploymentAllocations))
	h.write("/v1/deployment/promote/{id}", write, h.serverOnly(h.deploymentPromote))
	h.write("/v1/deployment/fail/{id}", write, h.serverOnly(h.deploymentChange(func(d Deployer, id string, _ *http.Request) (string, uint64, error) {
		return d.FailDeployment(id)
	})))
	h.write("/v1/deployment/pause/{id}", write, h.serverOnly(h.deploymentPause))
	h.write("/v1/deployment/allocation-health/{id}", write, h.serverOnly(h.deploymentAllocHealth))
	h.write("/v1/deployment/unblock/{id}", write, h.serverOnly(h.deploymentChange(func(d Deployer, id string, _ *http.Request) (string, uint64, error) {
		return d.UnblockDeployment(id)
	})))
	h.get("/v1/job/{id}/deployments", read, h.serverOnly(h.jobDeployments))
	h.get("/v1/job/{id}/deployment", read, h.serverOnly(h.jobLatestDeployment))
	h.write("/v1/job/{id}/revert", write, h.serverOnly(h.jobRevert))
	h.write("/v1/job/{id}/stable", write, h.serverOnly(h.jobStable))
}

func deploymentKey(d *nomadlike.Deployment) listKey {
	return listKey{index: d.CreateIndex, id: d.ID}
}

func (h *Handler) deploymentList(w http.ResponseWriter, r *http.Request) {
	opts, err := parseListOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		deps, err := st.Deployments(ws, state.AllNamespaces, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*nomadlike.Deployment, 0, len(deps))
		for _, d := range deps {
			if (q.namespace != nomadlike.AllNamespaces && d.Namespace != q.namespace) ||
				!allowNS(r, d.Namespace, acl.NamespaceCapabilityReadJob) {
				continue
			}
			out = append(out, d)
		}
		sortNewestFirst(out, deploymentKey)
		l := listing[*nomadlike.Deployment]{order: byIndexDesc, key: deploymentKey}
		page, err := l.page(out, opts)
		if err != nil {
			return nil, 0, err
		}
		idx, err := tableIndex(st, state.TableDeployments)
		return page, idx, err
	})
}

// deploymentByPath returns the deployment {id} (or unique prefix) of the
// request's namespace.
func deploymentByPath(ws state.WatchSet, st Store, r *http.Request) (*nomadlike.Deployment, error) {
	id := r.PathValue("id")
	d, err := byIDOrPrefix("deployment", id,
		func() (*nomadlike.Deployment, error) { return st.DeploymentByID(ws, id) },
		func() ([]*nomadlike.Deployment, error) { return st.Deployments(ws, state.AllNamespaces, id) },
		func(d *nomadlike.Deployment) string { return d.ID })
	if err != nil {
		return nil, err
	}
	if d.Namespace != namespaceParam(r) {
		return nil, notFound("deployment", id)
	}
	return d, nil
}

func (h *Handler) deploymentInfo(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableDeployments)
		if err != nil {
			return nil, 0, err
		}
		d, err := deploymentByPath(ws, st, r)
		return d, idx, err
	})
}

func (h *Handler) deploymentAllocations(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableDeployments, state.TableAllocs)
		if err != nil {
			return nil, 0, err
		}
		d, err := deploymentByPath(ws, st, r)
		if err != nil {
			return nil, idx, err
		}
		allocs, err := st.AllocsByJob(ws, d.Namespace, d.JobID)
		if err != nil {
			return nil, idx, err
		}
		out := make([]*nomadlike.Allocation, 0, len(allocs))
		for _, a := range allocs {
			if a.DeploymentID == d.ID {
				out = append(out, a)
			}
		}
		sortNewestFirst(out, allocKey)
		return &listAnswer[*nomadlike.Allocation]{items: out, wire: allocStub}, idx, nil
	})
}

// deploymentChange answers a deployment change with Nomad's
// DeploymentUpdateResponse.
func (h *Handler) deploymentChange(op func(d Deployer, id string, r *http.Request) (string, uint64, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.writeOp(w, r, func() (any, uint64, error) {
			dep, ok := h.cfg.Server.(Deployer)
			if !ok {
				return nil, 0, errNoDeployer
			}
			d, err := deploymentByPath(nil, h.cfg.Server.State(), r)
			if err != nil {
				return nil, 0, err
			}
			evalID, index, err := op(dep, d.ID, r)
			if err != nil {
				return nil, 0, err
			}
			out := &api.DeploymentUpdateResponse{EvalID: evalID, DeploymentModifyIndex: index}
			if evalID != "" {
				out.EvalCreateIndex = index
			}
			out.LastIndex = index
			return out, index, nil
		})
	}
}

func (h *Handler) deploymentPromote(w http.ResponseWriter, r *http.Request) {
	var req api.DeploymentPromoteRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	h.deploymentChange(func(d Deployer, id string, _ *http.Request) (string, uint64, error) {
		return d.PromoteDeployment(id, req.All, req.Groups)
	})(w, r)
}

func (h *Handler) deploymentPause(w http.ResponseWriter, r *http.Request) {
	var req api.DeploymentPauseRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	h.deploymentChange(func(d Deployer, id string, _ *http.Request) (string, uint64, error) {
		return d.PauseDeployment(id, req.Pause)
	})(w, r)
}

func (h *Handler) deploymentAllocHealth(w http.ResponseWriter, r *http.Request) {
	var req api.DeploymentAllocHealthRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	h.deploymentChange(func(d Deployer, id string, _ *http.Request) (string, uint64, error) {
		return d.SetAllocHealth(id, req.HealthyAllocationIDs, req.UnhealthyAllocationIDs)
	})(w, r)
}

func (h *Handler) jobDeployments(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableDeployments)
		if err != nil {
			return nil, 0, err
		}
		deps, err := st.DeploymentsByJob(ws, q.namespace, r.PathValue("id"))
		if deps == nil {
			deps = []*nomadlike.Deployment{}
		}
		return deps, idx, err
	})
}

// jobLatestDeployment answers the job's newest deployment, or null.
func (h *Handler) jobLatestDeployment(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableDeployments)
		if err != nil {
			return nil, 0, err
		}
		d, err := st.LatestDeploymentByJob(ws, q.namespace, r.PathValue("id"))
		return d, idx, err
	})
}

func (h *Handler) jobRevert(w http.ResponseWriter, r *http.Request) {
	var req api.JobRevertRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	if req.JobID != "" && req.JobID != id {
		writeError(w, badRequest("JobID: %q does not match the job ID %q in the path", req.JobID, id))
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		dep, ok := h.cfg.Server.(Deployer)
		if !ok {
			return nil, 0, errNoDeployer
		}
		evalID, index, err := dep.RevertJob(namespaceParam(r), id, req.JobVersion, req.EnforcePriorVersion)
		if err != nil {
			return nil, 0, err
		}
		out := &api.JobRegisterResponse{EvalID: evalID, JobModifyIndex: index, Index: index}
		if evalID != "" {
			out.EvalCreateIndex = index
		}
		return out, index, nil
	})
}

func (h *Handler) jobStable(w http.ResponseWriter, r *http.Request) {
	var req api.JobStabilityRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		dep, ok := h.cfg.Server.(Deployer)
		if !ok {
			return nil, 0, errNoDeployer
		}
		index, err := dep.SetJobStability(namespaceParam(r), r.PathValue("id"), req.JobVersion, req.Stable)
		if err != nil {
			return nil, 0, err
		}
		out := &api.JobStabilityResponse{JobModifyIndex: index}
		out.LastIndex = index
		return out, index, nil
	})
}
