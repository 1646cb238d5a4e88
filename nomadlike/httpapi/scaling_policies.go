package httpapi

import (
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// scalingPolicyRoutes registers /v1/scaling/policies and
// /v1/scaling/policy/:id (scaling, issue #17), with Nomad's requirements:
// list-scaling-policies and read-scaling-policy in ?namespace=. Policies
// are the scaling blocks of the jobs' groups; a policy's ID stays the same
// across versions of its job.
func (h *Handler) scalingPolicyRoutes() {
	h.get("/v1/scaling/policies", nsList(acl.NamespaceCapabilityListScalingPolicies), h.serverOnly(h.scalingPolicyList))
	h.get("/v1/scaling/policy/{id}", ns(acl.NamespaceCapabilityReadScalingPolicy), h.serverOnly(h.scalingPolicyGet))
}

// scalingPolicyList answers GET /v1/scaling/policies with Nomad's
// ScalingPolicyListStub list, filtered by ?job= and ?type=.
func (h *Handler) scalingPolicyList(w http.ResponseWriter, r *http.Request) {
	jobFilter, typeFilter := r.URL.Query().Get("job"), r.URL.Query().Get("type")
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		jobs, err := st.Jobs(ws, q.namespace, "")
		if err != nil {
			return nil, 0, err
		}
		jobs = filterNS(r, jobs, acl.NamespaceCapabilityListScalingPolicies, func(j *nomadlike.Job) string { return j.Namespace })
		out := []*nomadlike.ScalingPolicyStub{}
		for _, j := range jobs {
			if jobFilter != "" && j.ID != jobFilter {
				continue
			}
			for _, p := range scalingPolicies(j) {
				if typeFilter == "" || p.Type == typeFilter {
					out = append(out, p.Stub())
				}
			}
		}
		idx, err := tableIndex(st, state.TableJobs)
		return out, idx, err
	})
}

// scalingPolicyGet answers GET /v1/scaling/policy/:id with Nomad's
// ScalingPolicy, looked up in ?namespace=.
func (h *Handler) scalingPolicyGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableJobs)
		if err != nil {
			return nil, 0, err
		}
		jobs, err := st.Jobs(ws, q.namespace, "")
		if err != nil {
			return nil, idx, err
		}
		for _, j := range jobs {
			for _, p := range scalingPolicies(j) {
				if p.ID == id {
					return p, idx, nil
				}
			}
		}
		return nil, idx, notFound("scaling policy", id)
	})
}

// scalingPolicies returns the policies of job's groups, as the API shows
// them. A stopped job's policies are listed too, as Nomad lists them.
func scalingPolicies(j *nomadlike.Job) []*nomadlike.ScalingPolicy {
	var out []*nomadlike.ScalingPolicy
	for _, tg := range j.TaskGroups {
		if tg.Scaling != nil {
			out = append(out, nomadlike.ScalingPolicyOf(j, tg))
		}
	}
	return out
}
